/* test_plot.c — the PNG plots (src/viz/plot.c): each kind is read back with libpng and
 * checked for its size, for being really drawn (many distinct pixel values, the series or
 * category colours present, dark text pixels where the title goes), for degenerate inputs
 * that must still give a figure, and for failures that must leave no file behind.
 *
 * Set SG_PLOT_KEEP=<folder> to keep the PNGs there for a look. */
#include <cairo.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "pngutil.h"
#include "testutil.h"
#include "viz/plot.h"

/* LeakSanitizer's built-in suppressions hook (read only in sanitizer builds). After
 * cairo_debug_reset_static_data() what is left is fontconfig's own configuration, which it
 * keeps for the life of the process (FcFini would free it, but our code never links
 * fontconfig directly); the suppression names that library only. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

struct ctx {
    char *dir;
    bool keep;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof *c);
    const char *keep = getenv("SG_PLOT_KEEP");
    if (keep && *keep) {
        mkdir(keep, 0755);
        c->dir = strdup(keep);
        c->keep = true;
    } else {
        c->dir = tmpdir_make();
    }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    if (!c->keep) tmpdir_remove(c->dir);
    free(c->dir);
    free(c);
    /* cairo keeps its font caches (and fontconfig patterns) for the life of the process;
     * freeing them here keeps LeakSanitizer's report to leaks of our own. */
    cairo_debug_reset_static_data();
    return 0;
}

static char *out_path(void **state, const char *name)
{
    return path_join(((struct ctx *)*state)->dir, name);
}

/* Reads the PNG and checks its size. */
static void read_png(const char *path, uint32_t w, uint32_t h, struct png_rgb *img)
{
    char msg[512];
    if (png_rgb_read(path, img, msg, sizeof msg) != 0) fail_msg("%s", msg);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
}

static size_t files_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* ---- line plots -------------------------------------------------------------------- */

#define EPOCHS 20

struct curves {
    double loss_tr[EPOCHS], loss_va[EPOCHS], acc_tr[EPOCHS], acc_va[EPOCHS];
    struct plot_series loss[2], acc[2];
    struct plot_panel panels[2];
    struct plot_lines_spec spec;
};

static void curves_init(struct curves *c, size_t epochs)
{
    for (size_t e = 0; e < EPOCHS; e++) {
        double t = (double)e;
        c->loss_tr[e] = 0.3 + 0.9 * exp(-t / 4.0) + 0.01 * sin(3.0 * t);
        c->loss_va[e] = 0.42 + 0.8 * exp(-t / 5.0) + 0.004 * t * t / 10.0;
        c->acc_tr[e] = 0.95 - 0.45 * exp(-t / 4.0);
        c->acc_va[e] = 0.88 - 0.40 * exp(-t / 5.0) + 0.01 * cos(2.0 * t);
    }
    c->loss[0] = (struct plot_series){"train", NULL, c->loss_tr, epochs};
    c->loss[1] = (struct plot_series){"val", NULL, c->loss_va, epochs};
    c->acc[0] = (struct plot_series){"train", NULL, c->acc_tr, epochs};
    c->acc[1] = (struct plot_series){"val", NULL, c->acc_va, epochs};
    c->panels[0] = (struct plot_panel){.title = "loss", .xlabel = "epoch", .ylabel = "loss", .series = c->loss, .n_series = 2};
    c->panels[1] = (struct plot_panel){.title = "accuracy", .xlabel = "epoch", .ylabel = "acc", .series = c->acc, .n_series = 2};
    c->spec = (struct plot_lines_spec){NULL, c->panels, 2, 0, 0};
}

static void test_lines_training_curves(void **state)
{
    struct curves c;
    curves_init(&c, EPOCHS);
    char *path = out_path(state, "lines_training_curves.png");
    struct error err = {{0}};
    if (plot_lines(path, &c.spec, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 1000, 450, &img);
    assert_true(png_rgb_distinct(&img) > 50);
    /* markers (20 points each) are filled with the exact series colours */
    assert_true(png_rgb_count(&img, plot_palette_color(0)) > 200);
    assert_true(png_rgb_count(&img, plot_palette_color(1)) > 200);
    /* panel titles are drawn above the plot boxes, in dark ink */
    assert_true(png_rgb_count_dark(&img, 0, 0, 1000, 40, 0x60) > 30);
    /* both panels: dark pixels (frames, tick labels) in the left and right halves */
    assert_true(png_rgb_count_dark(&img, 0, 40, 500, 450, 0x60) > 500);
    assert_true(png_rgb_count_dark(&img, 500, 40, 1000, 450, 0x60) > 500);
    png_rgb_free(&img);
    free(path);
}

static void test_lines_size_and_title(void **state)
{
    struct curves c;
    curves_init(&c, EPOCHS);
    c.spec.title = "run 3: binary, window 64";
    c.spec.width = 1600;
    c.spec.height = 600;
    c.spec.n_panels = 1;
    char *path = out_path(state, "lines_size_title.png");
    struct error err = {{0}};
    if (plot_lines(path, &c.spec, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 1600, 600, &img);
    assert_true(png_rgb_count(&img, plot_palette_color(1)) > 200);
    png_rgb_free(&img);
    free(path);
}

static void test_lines_degenerate(void **state)
{
    /* one epoch; a constant series; NaN inside a series, leaving an isolated point; an
     * all-NaN series; an empty series; unnamed series */
    double one_x[1] = {1}, one_y[1] = {0.693};
    double flat[5] = {0.5, 0.5, 0.5, 0.5, 0.5};
    double holes[6] = {1.0, NAN, 0.8, NAN, 0.6, 0.55};
    double nan3[3] = {NAN, NAN, NAN};
    double inf2[2] = {INFINITY, -INFINITY};
    struct plot_series s1[2] = {{"train", one_x, one_y, 1}, {"val", one_x, one_y, 1}};
    struct plot_series s2[3] = {{"flat", NULL, flat, 5}, {"holes", NULL, holes, 6},
                                {NULL, NULL, nan3, 3}};
    struct plot_series s3[3] = {{"", NULL, NULL, 0}, {"nan", NULL, nan3, 3},
                                {"inf", NULL, inf2, 2}};
    struct plot_panel panels[3] = {{.title = "one epoch", .xlabel = "epoch", .ylabel = "loss", .series = s1, .n_series = 2},
                                   {.title = "", .xlabel = NULL, .ylabel = NULL, .series = s2, .n_series = 3},
                                   {.title = "nothing finite", .xlabel = "epoch", .ylabel = "f1", .series = s3, .n_series = 3}};
    struct plot_lines_spec spec = {"", panels, 3, 0, 0};
    double huge[3] = {1e308, -1e308, 1e-310};
    struct plot_series sh[1] = {{"huge", NULL, huge, 3}};
    struct plot_panel ph[1] = {{.title = "huge", .xlabel = "epoch", .ylabel = "v", .series = sh, .n_series = 1}};
    struct plot_lines_spec spech = {NULL, ph, 1, 0, 0};
    char *pathh = out_path(state, "lines_huge.png");
    struct error errh;
    if (plot_lines(pathh, &spech, &errh) != 0) fail_msg("%s", errh.msg);
    free(pathh);
    char *path = out_path(state, "lines_degenerate.png");
    struct error err = {{0}};
    if (plot_lines(path, &spec, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 1000, 450, &img);
    /* the single epoch and the isolated point get markers in the series' colours */
    assert_true(png_rgb_count(&img, plot_palette_color(0)) > 10);
    assert_true(png_rgb_count(&img, plot_palette_color(1)) > 10);
    png_rgb_free(&img);

    /* a constant series alone, with a panel of no series at all */
    struct plot_panel p2[2] = {{.title = "flat", .xlabel = "epoch", .ylabel = "acc", .series = s2, .n_series = 1}, {.title = "empty", .xlabel = "x", .ylabel = "y", .series = NULL, .n_series = 0}};
    struct plot_lines_spec spec2 = {NULL, p2, 2, 300, 200};
    free(path);
    path = out_path(state, "lines_flat_small.png");
    if (plot_lines(path, &spec2, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 300, 200, &img);
    assert_true(png_rgb_count(&img, plot_palette_color(0)) > 10);
    png_rgb_free(&img);
    free(path);
}

static void test_lines_bad_arguments(void **state)
{
    struct curves c;
    curves_init(&c, EPOCHS);
    struct ctx *cx = *state;
    char *path = out_path(state, "bad_args.png");
    struct error err = {{0}};

    c.spec.n_panels = 0;
    assert_int_equal(plot_lines(path, &c.spec, &err), -1);
    assert_non_null(strstr(err.msg, "plot_lines"));
    assert_non_null(strstr(err.msg, "0 panels"));

    c.spec.n_panels = 2;
    c.spec.width = 50;
    assert_int_equal(plot_lines(path, &c.spec, &err), -1);
    assert_non_null(strstr(err.msg, "image size 50x450"));
    c.spec.width = 0;
    c.spec.height = 20000;
    assert_int_equal(plot_lines(path, &c.spec, &err), -1);
    assert_non_null(strstr(err.msg, "image size"));
    c.spec.height = 0;

    /* a folder that does not exist: the message names the path and the folder */
    assert_int_equal(plot_lines("/nonexistent-sg-folder/curves.png", &c.spec, &err), -1);
    assert_non_null(strstr(err.msg, "'/nonexistent-sg-folder/curves.png'"));
    assert_non_null(strstr(err.msg, "folder '/nonexistent-sg-folder' does not exist"));
    assert_non_null(strstr(err.msg, "hint:"));
    /* the output path is a folder */
    assert_int_equal(plot_lines(cx->dir, &c.spec, &err), -1);
    assert_non_null(strstr(err.msg, "is a folder"));
    assert_int_equal(plot_lines("", &c.spec, &err), -1);
    assert_non_null(strstr(err.msg, "no output path"));
    assert_int_equal(access(path, F_OK), -1);
    free(path);
}

/* A write that fails half way (the file-size limit makes write() fail with EFBIG) leaves
 * the previous file as it was and no temporary file. */
static void test_failed_write_leaves_no_file(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "curves.png");
    write_text_file(path, "previous contents");
    struct curves c;
    curves_init(&c, EPOCHS);
    struct error err = {{0}};

    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = old;
    lim.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = plot_lines(path, &c.spec, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);

    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "plot_lines"));
    assert_non_null(strstr(err.msg, path));
    char *text = read_text_file(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "previous contents");
    free(text);
    assert_int_equal(files_in(dir), 1);

    /* an allocation failure before anything is written: no file either */
    char *path2 = path_join(dir, "scatter.png");
    double x[2] = {0, 1}, y[2] = {1, 0};
    struct plot_scatter_spec ss = {0};
    ss.x = x;
    ss.y = y;
    ss.n = 2;
    alloc_fail_after(0);
    rc = plot_scatter(path2, &ss, &err);
    alloc_fail_after(-1);
    assert_int_equal(rc, -1);
    assert_int_equal(files_in(dir), 1);

    /* the same plot without the limit succeeds and replaces the file */
    if (plot_lines(path, &c.spec, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 1000, 450, &img);
    png_rgb_free(&img);
    assert_int_equal(files_in(dir), 1);
    free(path2);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

/* ---- scatter plots ------------------------------------------------------------------- */

/* n points in k Gaussian-ish clusters on a circle, deterministic. */
static void clusters(double *x, double *y, size_t *cat, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++) {
        size_t c = i % k;
        double a = 2 * 3.14159265358979 * (double)c / (double)k;
        double u = sin((double)i * 12.9898) * 43758.5453, v = sin((double)i * 78.233) * 12543.13;
        u -= floor(u);
        v -= floor(v);
        double r = sqrt(-2 * log(u + 1e-9)), t = 2 * 3.14159265358979 * v;
        x[i] = 10 * cos(a) + 1.5 * r * cos(t);
        y[i] = 10 * sin(a) + 1.5 * r * sin(t);
        cat[i] = c;
    }
}

static void test_scatter_categories(void **state)
{
    enum { N = 600 };
    double x[N], y[N];
    size_t cat[N];
    clusters(x, y, cat, N, 3);
    const char *names[3] = {"S (signing)", "nonS", "other"};
    struct plot_scatter_spec s = {"Signer embeddings (t-SNE)", "t-SNE 1", "t-SNE 2", x, y,
                                  cat, N, names, 3, 0, 0};
    char *path = out_path(state, "scatter_3.png");
    struct error err = {{0}};
    if (plot_scatter(path, &s, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 800, 700, &img);
    assert_true(png_rgb_distinct(&img) > 30);
    for (size_t k = 0; k < 3; k++) assert_true(png_rgb_count(&img, plot_palette_color(k)) > 500);
    assert_true(png_rgb_count_dark(&img, 0, 0, 800, 40, 0x60) > 30);
    png_rgb_free(&img);

    /* a category index past n_categories is an input error, not a crash */
    cat[7] = 3;
    assert_int_equal(plot_scatter(path, &s, &err), -1);
    assert_non_null(strstr(err.msg, "point 7 has category 3"));
    free(path);
}

static void test_scatter_many_categories(void **state)
{
    enum { N = 900, K = 45 };
    double x[N], y[N];
    size_t cat[N];
    clusters(x, y, cat, N, K);
    char names_buf[K][32];
    const char *names[K];
    for (size_t k = 0; k < K; k++) {
        snprintf(names_buf[k], sizeof names_buf[k], "signer %02zu", k);
        names[k] = names_buf[k];
    }
    names[2] = "";
    names[3] = NULL;
    names[4] = "a very long category name that cannot possibly fit into the legend column";
    struct plot_scatter_spec s = {"45 signers", "PC 1", "PC 2", x, y, cat, N, names, K, 0, 0};
    char *path = out_path(state, "scatter_45.png");
    struct error err = {{0}};
    if (plot_scatter(path, &s, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 800, 700, &img);
    /* all twenty palette colours are used (categories past 20 cycle them) */
    for (size_t k = 0; k < PLOT_PALETTE_SIZE; k++)
        assert_true(png_rgb_count(&img, plot_palette_color(k)) > 20);
    png_rgb_free(&img);
    free(path);
}

static void test_scatter_degenerate(void **state)
{
    char *path = out_path(state, "scatter_degenerate.png");
    struct error err = {{0}};
    struct png_rgb img;
    /* one point, no categories, no labels */
    double x1[1] = {3}, y1[1] = {-2};
    struct plot_scatter_spec s = {0};
    s.x = x1;
    s.y = y1;
    s.n = 1;
    if (plot_scatter(path, &s, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 800, 700, &img);
    assert_true(png_rgb_count(&img, plot_palette_color(0)) > 10);
    png_rgb_free(&img);
    /* NaN and infinite coordinates skipped; identical points; empty names */
    double x[5] = {NAN, 1, 1, INFINITY, 1}, y[5] = {0, 2, 2, 1, 2};
    size_t cat[5] = {0, 1, 1, 0, 1};
    const char *names[2] = {"", ""};
    struct plot_scatter_spec s2 = {"", "", "", x, y, cat, 5, names, 2, 400, 300};
    if (plot_scatter(path, &s2, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 400, 300, &img);
    assert_true(png_rgb_count(&img, plot_palette_color(1)) > 10);
    png_rgb_free(&img);
    /* coordinates near ±DBL_MAX; names given but no categories */
    double xb[3] = {1e308, -1e308, 0}, yb[3] = {-1.7e308, 1e-300, 5};
    struct plot_scatter_spec s3 = {"huge", "x", "y", xb, yb, NULL, 3, names, 0, 0, 0};
    if (plot_scatter(path, &s3, &err) != 0) fail_msg("%s", err.msg);
    /* nothing finite at all, and no points at all */
    double xn[2] = {NAN, NAN}, yn[2] = {NAN, 0};
    s2.x = xn;
    s2.y = yn;
    s2.n = 2;
    if (plot_scatter(path, &s2, &err) != 0) fail_msg("%s", err.msg);
    s2.n = 0;
    if (plot_scatter(path, &s2, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 400, 300, &img);
    png_rgb_free(&img);
    free(path);
}

/* ---- heat maps ------------------------------------------------------------------- */

static void test_heatmap_confusion(void **state)
{
    const double cm[5 * 5] = {
        50, 2, 0, 1, 0,
        3, 41, 5, 0, 1,
        0, 7, 38, 2, 3,
        1, 0, 4, 45, 0,
        0, 1, 2, 0, 47,
    };
    const char *labels[5] = {"S", "nonS", "hello", "thanks", "yes"};
    struct plot_heatmap_spec h = {"Confusion matrix (val)", "predicted", "true", cm, 5, 5,
                                  labels, labels, 0, 0, 0};
    char *path = out_path(state, "heatmap_5.png");
    struct error err = {{0}};
    if (plot_heatmap(path, &h, &err) != 0) fail_msg("%s", err.msg);
    struct png_rgb img;
    read_png(path, 800, 700, &img);
    assert_true(png_rgb_distinct(&img) > 50);
    /* the zero cells are the map's low end, the 50 its high end */
    assert_int_equal(plot_colormap_viridis(0.0), 0x440154);
    assert_int_equal(plot_colormap_viridis(1.0), 0xFDE725);
    assert_true(png_rgb_count(&img, 0x440154) > 5000);
    assert_true(png_rgb_count(&img, 0xFDE725) > 2000);
    /* numbers in the cells: dark text on the bright top-left cell ("50"), whose middle
     * is otherwise plain yellow */
    assert_true(png_rgb_count_dark(&img, 120, 85, 185, 120, 0x60) > 20);
    assert_true(png_rgb_count_dark(&img, 0, 0, 800, 40, 0x60) > 30);
    png_rgb_free(&img);

    /* fractions with two decimals, a custom size */
    double frac[4] = {0.9, 0.1, 0.25, 0.75};
    struct plot_heatmap_spec h2 = {"normalised", "predicted", "true", frac, 2, 2,
                                   NULL, NULL, 2, 500, 400};
    if (plot_heatmap(path, &h2, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 500, 400, &img);
    png_rgb_free(&img);
    free(path);
}

static void test_heatmap_degenerate(void **state)
{
    char *path = out_path(state, "heatmap_degenerate.png");
    struct error err = {{0}};
    struct png_rgb img;
    /* 1x1, constant */
    double one[1] = {7};
    struct plot_heatmap_spec h = {0};
    h.values = one;
    h.rows = h.cols = 1;
    if (plot_heatmap(path, &h, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 800, 700, &img);
    png_rgb_free(&img);
    /* 40x40 with NaN cells, negative values and long labels: no numbers, thinned labels */
    enum { R = 40 };
    double *m = malloc(R * R * sizeof *m);
    char lab[R][40];
    const char *labels[R];
    for (size_t i = 0; i < R; i++) {
        snprintf(lab[i], sizeof lab[i], "class number %zu with a long name", i);
        labels[i] = lab[i];
        for (size_t j = 0; j < R; j++) m[i * R + j] = i == j ? 30.0 : (double)((i * 7 + j * 3) % 5) - 1;
    }
    m[5] = NAN;
    labels[3] = "";
    struct plot_heatmap_spec h2 = {"40 classes", "predicted", "true", m, R, R,
                                   labels, NULL, 0, 0, 0};
    if (plot_heatmap(path, &h2, &err) != 0) fail_msg("%s", err.msg);
    read_png(path, 800, 700, &img);
    assert_true(png_rgb_count(&img, 0xD0D0D0) > 20); /* the NaN cell */
    png_rgb_free(&img);
    /* a rectangular matrix whose labels need turning */
    free(path);
    path = out_path(state, "heatmap_3x12.png");
    h2.rows = 3;
    h2.cols = 12;
    h2.col_labels = labels;
    if (plot_heatmap(path, &h2, &err) != 0) fail_msg("%s", err.msg);
    /* an empty matrix is an error */
    h2.rows = 0;
    assert_int_equal(plot_heatmap(path, &h2, &err), -1);
    assert_non_null(strstr(err.msg, "empty matrix"));
    h2.rows = 2;
    h2.decimals = -1;
    assert_int_equal(plot_heatmap(path, &h2, &err), -1);
    assert_non_null(strstr(err.msg, "decimals"));
    free(m);
    free(path);
}

static void test_palette_and_colormap(void **state)
{
    (void)state;
    assert_int_equal(plot_palette_color(0), 0x0072B2);
    assert_int_equal(plot_palette_color(1), 0xD55E00);
    assert_int_equal(plot_palette_color(PLOT_PALETTE_SIZE + 3), plot_palette_color(3));
    for (size_t a = 0; a < PLOT_PALETTE_SIZE; a++)
        for (size_t b = a + 1; b < PLOT_PALETTE_SIZE; b++)
            assert_true(plot_palette_color(a) != plot_palette_color(b));
    assert_int_equal(plot_colormap_viridis(NAN), 0x440154);
    assert_int_equal(plot_colormap_viridis(-3), 0x440154);
    assert_int_equal(plot_colormap_viridis(7), 0xFDE725);
    /* monotone in brightness, as a sequential map must be */
    double prev = -1;
    for (int i = 0; i <= 100; i++) {
        uint32_t c = plot_colormap_viridis(i / 100.0);
        double l = 0.299 * ((c >> 16) & 0xFF) + 0.587 * ((c >> 8) & 0xFF) + 0.114 * (c & 0xFF);
        assert_true(l >= prev - 1.0);
        prev = l;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_training_curves),
        cmocka_unit_test(test_lines_size_and_title),
        cmocka_unit_test(test_lines_degenerate),
        cmocka_unit_test(test_lines_bad_arguments),
        cmocka_unit_test(test_failed_write_leaves_no_file),
        cmocka_unit_test(test_scatter_categories),
        cmocka_unit_test(test_scatter_many_categories),
        cmocka_unit_test(test_scatter_degenerate),
        cmocka_unit_test(test_heatmap_confusion),
        cmocka_unit_test(test_heatmap_degenerate),
        cmocka_unit_test(test_palette_and_colormap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
