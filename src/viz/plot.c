/* plot.c — line plots, scatter plots and heat maps as PNG files, drawn with cairo
 * (see plot.h).
 *
 * Every figure is laid out in logical units on an image of the default size: the cairo
 * context is scaled by s = √(width·height / default area) (clamped to 0.6..4), so fonts,
 * line widths and margins keep their proportions at any size. Text uses cairo's toy text
 * API with the "sans-serif" face (fontconfig picks DejaVu Sans on Debian); margins are
 * measured from the text they hold rather than fixed.
 *
 * Axes follow the usual "nice numbers" scheme: the data range (padded by 5 %, widened
 * around a constant series) gets 4–8 ticks at multiples of 1, 2, 2.5 or 5 × 10^k, labelled
 * with as many decimals as the step needs; x values that are all whole numbers (epochs)
 * get whole-number ticks. Colours: Okabe & Ito's colour-blind-safe palette first, a second
 * shape channel (markers) for series and for categories past the palette, and viridis for
 * heat maps, with black or white cell text chosen by the cell's luminance.
 *
 * The image is rendered into a cairo image surface, then streamed as PNG into an
 * atomic_file (temporary file, fsync, rename). Errors name the function and the output
 * path. Not done: log axes, dates, legends placed by the caller, vector output.
 */
#include "viz/plot.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"

static const double PI = 3.14159265358979323846;

/* ---- colours ---------------------------------------------------------------------- */

static const uint32_t palette[PLOT_PALETTE_SIZE] = {
    /* Okabe & Ito */
    0x0072B2, 0xD55E00, 0x009E73, 0xE69F00, 0x56B4E9, 0xCC79A7, 0xF0E442, 0x000000,
    /* Paul Tol muted, then dark/extra tones */
    0x332288, 0x117733, 0x882255, 0x44AA99, 0x999933, 0xAA4499, 0xDDCC77, 0x88CCEE,
    0xCC6677, 0x661100, 0x6699CC, 0x888888,
};

uint32_t plot_palette_color(size_t k)
{
    return palette[k % PLOT_PALETTE_SIZE];
}

/* viridis sampled at i/9 (matplotlib's map; R's viridis(10)), interpolated linearly. */
static const uint32_t viridis_stops[10] = {
    0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E,
    0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725,
};

uint32_t plot_colormap_viridis(double t)
{
    if (!(t > 0.0)) t = 0.0; /* NaN too */
    if (t > 1.0) t = 1.0;
    double u = t * 9.0;
    int i = (int)u;
    if (i >= 9) return viridis_stops[9];
    double f = u - i;
    uint32_t a = viridis_stops[i], b = viridis_stops[i + 1], out = 0;
    for (int sh = 16; sh >= 0; sh -= 8) {
        double ca = (a >> sh) & 0xFF, cb = (b >> sh) & 0xFF;
        out |= (uint32_t)lround(ca + (cb - ca) * f) << sh;
    }
    return out;
}

static void set_rgb(cairo_t *cr, uint32_t c)
{
    cairo_set_source_rgb(cr, ((c >> 16) & 0xFF) / 255.0, ((c >> 8) & 0xFF) / 255.0,
                         (c & 0xFF) / 255.0);
}

static double luminance(uint32_t c)
{
    return (0.299 * ((c >> 16) & 0xFF) + 0.587 * ((c >> 8) & 0xFF) + 0.114 * (c & 0xFF)) /
           255.0;
}

#define INK 0x222222u   /* text and axes */
#define GRID 0xE6E6E6u  /* grid lines */
#define MUTED 0x555555u /* tick labels */

/* ---- canvas: surface, scale, atomic PNG output ------------------------------------- */

struct canvas {
    cairo_surface_t *surf;
    cairo_t *cr;
    double w, h; /* logical size */
};

static int check_output_path(const char *what, const char *path, struct error *err)
{
    if (!path || !*path) return error_set(err, "%s: no output path given", what);
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        size_t n = (size_t)(slash - path);
        char *dir = sg_malloc(n + 1, 1, what, err);
        if (!dir) return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
        struct stat st;
        int rc = 0;
        if (stat(dir, &st) != 0) {
            rc = error_set(err, "%s: '%s': folder '%s' does not exist", what, path, dir);
            error_hint(err, "create it first (mkdir -p '%s')", dir);
        } else if (!S_ISDIR(st.st_mode)) {
            rc = error_set(err, "%s: '%s': '%s' is not a folder", what, path, dir);
        }
        free(dir);
        if (rc) return rc;
    }
    size_t len = strlen(path);
    if (path[len - 1] == '/') return error_set(err, "%s: '%s' names a folder, not a file", what, path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return error_set(err, "%s: '%s' is a folder, not a file", what, path);
    return 0;
}

static int canvas_begin(struct canvas *cv, const char *what, const char *path, int width,
                        int height, int def_w, int def_h, struct error *err)
{
    memset(cv, 0, sizeof *cv);
    const char *shown = path ? path : "";
    if (width == 0) width = def_w;
    if (height == 0) height = def_h;
    if (width < PLOT_MIN_SIDE || width > PLOT_MAX_SIDE || height < PLOT_MIN_SIDE ||
        height > PLOT_MAX_SIDE)
        return error_set(err, "%s: '%s': image size %dx%d is outside %d..%d pixels a side",
                         what, shown, width, height, PLOT_MIN_SIDE, PLOT_MAX_SIDE);
    if (check_output_path(what, path, err) != 0) return -1;
    cv->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    if (cairo_surface_status(cv->surf) != CAIRO_STATUS_SUCCESS) {
        error_set(err, "%s: '%s': cannot create a %dx%d image: %s", what, path, width, height,
                  cairo_status_to_string(cairo_surface_status(cv->surf)));
        cairo_surface_destroy(cv->surf);
        cv->surf = NULL;
        return -1;
    }
    cv->cr = cairo_create(cv->surf);
    double s = sqrt((double)width * height / ((double)def_w * def_h));
    if (s < 0.6) s = 0.6;
    if (s > 4.0) s = 4.0;
    cv->w = width / s;
    cv->h = height / s;
    cairo_scale(cv->cr, s, s);
    cairo_set_source_rgb(cv->cr, 1, 1, 1);
    cairo_paint(cv->cr);
    cairo_select_font_face(cv->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_line_join(cv->cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cv->cr, CAIRO_LINE_CAP_ROUND);
    return 0;
}

static void canvas_free(struct canvas *cv)
{
    if (cv->cr) cairo_destroy(cv->cr);
    if (cv->surf) cairo_surface_destroy(cv->surf);
    memset(cv, 0, sizeof *cv);
}

struct png_sink {
    FILE *fp;
    int saved_errno;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
    struct png_sink *sink = closure;
    if (fwrite(data, 1, length, sink->fp) != length) {
        sink->saved_errno = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

/* Writes the canvas to path atomically and frees it, whatever happens. */
static int canvas_finish(struct canvas *cv, const char *what, const char *path,
                         struct error *err)
{
    cairo_status_t st = cairo_status(cv->cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        error_set(err, "%s: '%s': drawing failed: %s", what, path, cairo_status_to_string(st));
        canvas_free(cv);
        return -1;
    }
    cairo_surface_flush(cv->surf);
    struct atomic_file af;
    if (atomic_file_open(&af, path, err) != 0) {
        canvas_free(cv);
        return error_prefix(err, "%s", what);
    }
    struct png_sink sink = {af.fp, 0};
    errno = 0;
    st = cairo_surface_write_to_png_stream(cv->surf, png_write, &sink);
    canvas_free(cv);
    if (st != CAIRO_STATUS_SUCCESS) {
        atomic_file_abort(&af);
        if (sink.saved_errno)
            return error_set(err, "%s: cannot write '%s': %s", what, path,
                             strerror(sink.saved_errno));
        return error_set(err, "%s: cannot write '%s': %s", what, path,
                         cairo_status_to_string(st));
    }
    if (atomic_file_commit(&af, err) != 0) return error_prefix(err, "%s", what);
    return 0;
}

/* ---- text --------------------------------------------------------------------------- */

static void font(cairo_t *cr, double size, bool bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Copies s into buf (size n), cut at a UTF-8 boundary and ended with "…" if it is wider
 * than maxw in the current font. */
static void text_fit(cairo_t *cr, const char *s, double maxw, char *buf, size_t n)
{
    snprintf(buf, n, "%s", s);
    if (text_width(cr, buf) <= maxw) return;
    size_t len = strlen(buf);
    while (len > 0) {
        do len--;
        while (len > 0 && ((unsigned char)buf[len] & 0xC0) == 0x80);
        if (len + 4 > n) continue;
        memcpy(buf + len, "\xE2\x80\xA6", 4); /* "…" */
        if (text_width(cr, buf) <= maxw) return;
    }
    if (n >= 4) memcpy(buf, "\xE2\x80\xA6", 4);
}

/* Draws s with its anchor point at (x, y): ax 0/0.5/1 = left/centre/right, ay 0/0.5/1 =
 * top/middle/baseline-ish bottom, using the font's ascent so rows line up. */
static void text_at(cairo_t *cr, double x, double y, const char *s, double ax, double ay)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    double w = text_width(cr, s);
    double asc = fe.ascent * 0.78; /* cap height, roughly: centres digits and capitals */
    cairo_move_to(cr, x - ax * w, y + asc * (1.0 - ay));
    cairo_show_text(cr, s);
}

/* Vertical text reading upwards, centred on (x, y). */
static void text_vertical(cairo_t *cr, double x, double y, const char *s)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -PI / 2);
    text_at(cr, 0, 0, s, 0.5, 0.5);
    cairo_restore(cr);
}

/* ---- ticks -------------------------------------------------------------------------- */

#define MAX_TICKS 24

struct ticks {
    double v[MAX_TICKS];
    int n;
    int decimals;
    bool sci; /* %g labels for very large or very small numbers */
};

/* Widens a degenerate or empty range and pads it by `pad` of its span on each side. */
static void range_pad(double *lo, double *hi, double pad)
{
    if (!(isfinite(*lo) && isfinite(*hi))) {
        *lo = 0;
        *hi = 1;
    }
    /* keep span and padding finite for values near ±DBL_MAX */
    *lo = fmax(*lo, -1e300);
    *hi = fmin(*hi, 1e300);
    double span = *hi - *lo;
    double mag = fmax(fabs(*lo), fabs(*hi));
    if (!(span > 1e-12 * fmax(mag, 1e-300))) {
        double d = mag > 0 ? 0.1 * mag : 0.5;
        *lo -= d;
        *hi += d;
        span = *hi - *lo;
    }
    *lo -= pad * span;
    *hi += pad * span;
}

static void ticks_make(double lo, double hi, int target, bool whole, struct ticks *t)
{
    double raw = (hi - lo) / target;
    double mag = pow(10.0, floor(log10(raw)));
    double norm = raw / mag, step;
    if (whole) {
        step = (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
        if (step < 1) step = 1;
    } else {
        step = (norm < 1.5 ? 1 : norm < 2.25 ? 2 : norm < 3.5 ? 2.5 : norm < 7.5 ? 5 : 10) * mag;
    }
    t->n = 0;
    double k0 = ceil(lo / step - 1e-9);
    for (double k = k0; t->n < MAX_TICKS; k += 1) {
        double v = k * step;
        if (v > hi + 1e-9 * step) break;
        if (fabs(v) < 1e-9 * step) v = 0;
        t->v[t->n++] = v;
    }
    t->decimals = 0;
    while (t->decimals < 12) {
        double sc = step * pow(10.0, t->decimals);
        if (fabs(sc - round(sc)) <= 1e-6 * sc) break;
        t->decimals++;
    }
    double big = fmax(fabs(lo), fabs(hi));
    t->sci = big >= 1e6 || t->decimals > 5;
}

static void tick_label(const struct ticks *t, double v, char *buf, size_t n)
{
    if (t->sci) snprintf(buf, n, "%.3g", v);
    else snprintf(buf, n, "%.*f", t->decimals, v);
    if (!strcmp(buf, "-0")) snprintf(buf, n, "0");
}

static double ticks_max_width(cairo_t *cr, const struct ticks *t)
{
    double w = 0;
    char buf[64];
    for (int i = 0; i < t->n; i++) {
        tick_label(t, t->v[i], buf, sizeof buf);
        w = fmax(w, text_width(cr, buf));
    }
    return w;
}

/* ---- axes --------------------------------------------------------------------------- */

struct axes {
    double x0, y0, x1, y1;         /* plot box in logical units (y0 top) */
    double xmin, xmax, ymin, ymax; /* data range */
};

static double ax_x(const struct axes *a, double x)
{
    return a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * (a->x1 - a->x0);
}
static double ax_y(const struct axes *a, double y)
{
    return a->y1 - (y - a->ymin) / (a->ymax - a->ymin) * (a->y1 - a->y0);
}

#define TICK_FONT 12.0
#define LABEL_FONT 13.0
#define TITLE_FONT 15.0

/* Lays out a panel in the box [bx0,bx1]×[by0,by1]: room for the title on top, the x tick
 * labels and label below, the y tick labels and label on the left. */
static void axes_layout(cairo_t *cr, struct axes *a, double bx0, double by0, double bx1,
                        double by1, const struct ticks *yt, bool has_title, bool has_xlabel,
                        bool has_ylabel)
{
    font(cr, TICK_FONT, false);
    double ytw = ticks_max_width(cr, yt);
    a->x0 = bx0 + 10 + (has_ylabel ? LABEL_FONT + 10 : 0) + ytw + 8;
    a->x1 = bx1 - 14;
    a->y0 = by0 + (has_title ? TITLE_FONT + 18 : 12);
    a->y1 = by1 - (TICK_FONT + 12) - (has_xlabel ? LABEL_FONT + 14 : 4);
    if (a->x1 < a->x0 + 10) a->x1 = a->x0 + 10;
    if (a->y1 < a->y0 + 10) a->y1 = a->y0 + 10;
}

static void axes_draw_frame(cairo_t *cr, const struct axes *a, const struct ticks *xt,
                            const struct ticks *yt, const char *title, const char *xlabel,
                            const char *ylabel, double bx0)
{
    char buf[256];
    /* grid */
    cairo_set_line_width(cr, 1.0);
    set_rgb(cr, GRID);
    for (int i = 0; xt && i < xt->n; i++) {
        double x = round(ax_x(a, xt->v[i])) + 0.5;
        cairo_move_to(cr, x, a->y0);
        cairo_line_to(cr, x, a->y1);
    }
    for (int i = 0; yt && i < yt->n; i++) {
        double y = round(ax_y(a, yt->v[i])) + 0.5;
        cairo_move_to(cr, a->x0, y);
        cairo_line_to(cr, a->x1, y);
    }
    cairo_stroke(cr);
    /* ticks and their labels */
    set_rgb(cr, INK);
    font(cr, TICK_FONT, false);
    for (int i = 0; xt && i < xt->n; i++) {
        double x = round(ax_x(a, xt->v[i])) + 0.5;
        cairo_move_to(cr, x, a->y1);
        cairo_line_to(cr, x, a->y1 + 5);
        cairo_stroke(cr);
        tick_label(xt, xt->v[i], buf, sizeof buf);
        set_rgb(cr, MUTED);
        text_at(cr, x, a->y1 + 8, buf, 0.5, 0);
        set_rgb(cr, INK);
    }
    for (int i = 0; yt && i < yt->n; i++) {
        double y = round(ax_y(a, yt->v[i])) + 0.5;
        cairo_move_to(cr, a->x0 - 5, y);
        cairo_line_to(cr, a->x0, y);
        cairo_stroke(cr);
        tick_label(yt, yt->v[i], buf, sizeof buf);
        set_rgb(cr, MUTED);
        text_at(cr, a->x0 - 8, y, buf, 1, 0.5);
        set_rgb(cr, INK);
    }
    /* frame */
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, round(a->x0) + 0.5, round(a->y0) + 0.5, round(a->x1) - round(a->x0),
                    round(a->y1) - round(a->y0));
    cairo_stroke(cr);
    /* title and axis labels */
    if (title && *title) {
        font(cr, TITLE_FONT, true);
        text_fit(cr, title, a->x1 - a->x0, buf, sizeof buf);
        text_at(cr, (a->x0 + a->x1) / 2, a->y0 - 12, buf, 0.5, 1);
    }
    font(cr, LABEL_FONT, false);
    if (xlabel && *xlabel) {
        text_fit(cr, xlabel, a->x1 - a->x0, buf, sizeof buf);
        text_at(cr, (a->x0 + a->x1) / 2, a->y1 + TICK_FONT + 16, buf, 0.5, 0);
    }
    if (ylabel && *ylabel) {
        text_fit(cr, ylabel, a->y1 - a->y0, buf, sizeof buf);
        text_vertical(cr, bx0 + 10 + LABEL_FONT / 2, (a->y0 + a->y1) / 2, buf);
    }
}

/* ---- markers ------------------------------------------------------------------------ */

/* Adds a marker path of the given shape (0 circle, 1 square, 2 triangle, 3 diamond) with
 * "radius" r around (x, y). */
static void marker_path(cairo_t *cr, int shape, double x, double y, double r)
{
    cairo_new_sub_path(cr);
    switch (shape & 3) {
    case 0: cairo_arc(cr, x, y, r, 0, 2 * PI); break;
    case 1: cairo_rectangle(cr, x - 0.88 * r, y - 0.88 * r, 1.76 * r, 1.76 * r); break;
    case 2:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.1 * r, y + 0.75 * r);
        cairo_line_to(cr, x - 1.1 * r, y + 0.75 * r);
        cairo_close_path(cr);
        break;
    default:
        cairo_move_to(cr, x, y - 1.25 * r);
        cairo_line_to(cr, x + 1.25 * r, y);
        cairo_line_to(cr, x, y + 1.25 * r);
        cairo_line_to(cr, x - 1.25 * r, y);
        cairo_close_path(cr);
        break;
    }
}

/* ---- line plots --------------------------------------------------------------------- */

#define MARKER_MAX_POINTS 40

static double series_x(const struct plot_series *s, size_t i)
{
    return s->x ? s->x[i] : (double)(i + 1);
}

static bool point_ok(const struct plot_series *s, size_t i)
{
    return isfinite(series_x(s, i)) && isfinite(s->y[i]);
}

static void draw_series(cairo_t *cr, const struct axes *a, const struct plot_series *s,
                        size_t k)
{
    size_t nfinite = 0;
    for (size_t i = 0; i < s->n; i++) nfinite += point_ok(s, i);
    set_rgb(cr, plot_palette_color(k));
    cairo_set_line_width(cr, 2.0);
    bool pen = false;
    for (size_t i = 0; i < s->n; i++) {
        if (!point_ok(s, i)) {
            pen = false;
            continue;
        }
        double x = ax_x(a, series_x(s, i)), y = ax_y(a, s->y[i]);
        if (pen) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        pen = true;
    }
    cairo_stroke(cr);
    for (size_t i = 0; i < s->n; i++) {
        if (!point_ok(s, i)) continue;
        bool isolated = (i == 0 || !point_ok(s, i - 1)) && (i + 1 == s->n || !point_ok(s, i + 1));
        if (nfinite > MARKER_MAX_POINTS && !isolated) continue;
        marker_path(cr, (int)(k % 4), ax_x(a, series_x(s, i)), ax_y(a, s->y[i]), 4.0);
    }
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

#define LEGEND_FONT 12.0
#define LEGEND_ROW 19.0
#define LEGEND_SWATCH 26.0

/* Counts data points (and segment midpoints) that fall inside a box: the legend goes to
 * the corner that hides the fewest. */
static size_t points_inside(const struct axes *a, const struct plot_panel *p, double bx0,
                            double by0, double bx1, double by1)
{
    size_t c = 0;
    for (size_t k = 0; k < p->n_series; k++) {
        const struct plot_series *s = &p->series[k];
        for (size_t i = 0; i < s->n; i++) {
            if (!point_ok(s, i)) continue;
            double x = ax_x(a, series_x(s, i)), y = ax_y(a, s->y[i]);
            c += x >= bx0 && x <= bx1 && y >= by0 && y <= by1;
            if (i + 1 < s->n && point_ok(s, i + 1)) {
                double xm = (x + ax_x(a, series_x(s, i + 1))) / 2;
                double ym = (y + ax_y(a, s->y[i + 1])) / 2;
                c += xm >= bx0 && xm <= bx1 && ym >= by0 && ym <= by1;
            }
        }
    }
    return c;
}

static void draw_lines_legend(cairo_t *cr, const struct axes *a, const struct plot_panel *p)
{
    char buf[256];
    size_t rows = 0;
    double tw = 0, maxw = (a->x1 - a->x0) * 0.6 - LEGEND_SWATCH - 20;
    font(cr, LEGEND_FONT, false);
    for (size_t k = 0; k < p->n_series; k++) {
        const char *name = p->series[k].name;
        if (!name || !*name) continue;
        text_fit(cr, name, maxw, buf, sizeof buf);
        tw = fmax(tw, text_width(cr, buf));
        rows++;
    }
    if (!rows) return;
    double w = LEGEND_SWATCH + 8 + tw + 16, h = rows * LEGEND_ROW + 10;
    double m = 8;
    double corners[4][2] = {
        {a->x1 - m - w, a->y0 + m}, {a->x0 + m, a->y0 + m},
        {a->x1 - m - w, a->y1 - m - h}, {a->x0 + m, a->y1 - m - h}};
    int best = 0;
    size_t best_c = (size_t)-1;
    for (int c = 0; c < 4; c++) {
        size_t n = points_inside(a, p, corners[c][0] - 4, corners[c][1] - 4,
                                 corners[c][0] + w + 4, corners[c][1] + h + 4);
        if (n < best_c) {
            best_c = n;
            best = c;
        }
    }
    double lx = corners[best][0], ly = corners[best][1];
    cairo_rectangle(cr, lx, ly, w, h);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_fill_preserve(cr);
    set_rgb(cr, 0xCCCCCC);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    size_t row = 0;
    for (size_t k = 0; k < p->n_series; k++) {
        const char *name = p->series[k].name;
        if (!name || !*name) continue;
        double cy = ly + 5 + (row + 0.5) * LEGEND_ROW;
        set_rgb(cr, plot_palette_color(k));
        cairo_set_line_width(cr, 2.0);
        cairo_move_to(cr, lx + 8, cy);
        cairo_line_to(cr, lx + 8 + LEGEND_SWATCH, cy);
        cairo_stroke(cr);
        marker_path(cr, (int)(k % 4), lx + 8 + LEGEND_SWATCH / 2, cy, 4.0);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
        set_rgb(cr, INK);
        font(cr, LEGEND_FONT, false);
        text_fit(cr, name, maxw, buf, sizeof buf);
        text_at(cr, lx + 8 + LEGEND_SWATCH + 8, cy, buf, 0, 0.5);
        row++;
    }
}

/* has_title/has_xlabel: whether any panel of the figure has one, so that the plot boxes
 * of all panels line up. */
static void draw_panel(cairo_t *cr, const struct plot_panel *p, double bx0, double by0,
                       double bx1, double by1, bool has_title, bool has_xlabel)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    bool whole = true;
    size_t nfinite = 0;
    for (size_t k = 0; k < p->n_series; k++) {
        const struct plot_series *s = &p->series[k];
        for (size_t i = 0; i < s->n; i++) {
            if (!point_ok(s, i)) continue;
            double x = series_x(s, i);
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
            ylo = fmin(ylo, s->y[i]);
            yhi = fmax(yhi, s->y[i]);
            whole = whole && x == round(x);
            nfinite++;
        }
    }
    for (size_t b = 0; b < p->n_bands; b++) {
        if (isfinite(p->bands[b].x0)) xlo = fmin(xlo, p->bands[b].x0);
        if (isfinite(p->bands[b].x1)) xhi = fmax(xhi, p->bands[b].x1);
    }
    range_pad(&xlo, &xhi, 0.05);
    range_pad(&ylo, &yhi, 0.07);
    if (p->ymin < p->ymax) {
        ylo = p->ymin;
        yhi = p->ymax;
    }
    struct ticks xt, yt;
    ticks_make(ylo, yhi, 5, false, &yt);
    struct axes a = {0, 0, 0, 0, xlo, xhi, ylo, yhi};
    axes_layout(cr, &a, bx0, by0, bx1, by1, &yt, has_title, has_xlabel,
                p->ylabel && *p->ylabel);
    int xtarget = (int)fmax(2, fmin(8, (a.x1 - a.x0) / 70));
    ticks_make(xlo, xhi, xtarget, whole && nfinite > 0, &xt);
    axes_draw_frame(cr, &a, &xt, &yt, p->title, p->xlabel, p->ylabel, bx0);
    cairo_save(cr);
    cairo_rectangle(cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
    cairo_clip(cr);
    for (size_t b = 0; b < p->n_bands; b++) {
        const struct plot_band *bd = &p->bands[b];
        double x0 = ax_x(&a, bd->x0), x1 = ax_x(&a, bd->x1);
        double y0 = isfinite(bd->y1) ? ax_y(&a, bd->y1) : a.y0;
        double y1 = isfinite(bd->y0) ? ax_y(&a, bd->y0) : a.y1;
        cairo_rectangle(cr, x0, y0, fmax(x1 - x0, 1.0), y1 - y0);
        cairo_set_source_rgba(cr, ((bd->color >> 16) & 255) / 255.0,
                              ((bd->color >> 8) & 255) / 255.0, (bd->color & 255) / 255.0,
                              bd->alpha);
        cairo_fill(cr);
    }
    if (p->n_hlines) {
        static const double dash[] = {6.0, 4.0};
        cairo_save(cr);
        cairo_set_dash(cr, dash, 2, 0);
        set_rgb(cr, 0x666666);
        cairo_set_line_width(cr, 1.2);
        for (size_t h = 0; h < p->n_hlines; h++) {
            cairo_move_to(cr, a.x0, ax_y(&a, p->hlines[h]));
            cairo_line_to(cr, a.x1, ax_y(&a, p->hlines[h]));
        }
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    for (size_t k = 0; k < p->n_series; k++) draw_series(cr, &a, &p->series[k], k);
    cairo_restore(cr);
    if (nfinite == 0) {
        set_rgb(cr, 0x888888);
        font(cr, LABEL_FONT, false);
        text_at(cr, (a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2, "no data", 0.5, 0.5);
    }
    draw_lines_legend(cr, &a, p);
}

int plot_lines(const char *path, const struct plot_lines_spec *spec, struct error *err)
{
    CHECK(spec != NULL);
    const char *what = "plot_lines";
    if (spec->n_panels == 0 || spec->n_panels > PLOT_MAX_PANELS)
        return error_set(err, "%s: '%s': %zu panels (expected 1..%d)", what,
                         path ? path : "", spec->n_panels, PLOT_MAX_PANELS);
    CHECK(spec->panels != NULL);
    for (size_t p = 0; p < spec->n_panels; p++) {
        const struct plot_panel *pn = &spec->panels[p];
        CHECK(pn->n_series == 0 || pn->series != NULL);
        for (size_t k = 0; k < pn->n_series; k++) CHECK(pn->series[k].n == 0 || pn->series[k].y);
        CHECK(pn->n_bands == 0 || pn->bands != NULL);
        CHECK(pn->n_hlines == 0 || pn->hlines != NULL);
    }
    struct canvas cv;
    if (canvas_begin(&cv, what, path, spec->width, spec->height, 1000, 450, err) != 0)
        return -1;
    cairo_t *cr = cv.cr;
    double top = 0;
    if (spec->title && *spec->title) {
        char buf[256];
        font(cr, TITLE_FONT + 2, true);
        set_rgb(cr, INK);
        text_fit(cr, spec->title, cv.w - 20, buf, sizeof buf);
        text_at(cr, cv.w / 2, 12, buf, 0.5, 0);
        top = TITLE_FONT + 18;
    }
    bool has_title = false, has_xlabel = false;
    for (size_t p = 0; p < spec->n_panels; p++) {
        has_title = has_title || (spec->panels[p].title && *spec->panels[p].title);
        has_xlabel = has_xlabel || (spec->panels[p].xlabel && *spec->panels[p].xlabel);
    }
    double pw = cv.w / (double)spec->n_panels;
    for (size_t p = 0; p < spec->n_panels; p++)
        draw_panel(cr, &spec->panels[p], p * pw + 4, top + 4, (p + 1) * pw - 4, cv.h - 4,
                   has_title, has_xlabel);
    return canvas_finish(&cv, what, path, err);
}

/* ---- scatter plots ------------------------------------------------------------------ */

static void category_name(const struct plot_scatter_spec *s, size_t k, char *buf, size_t n)
{
    const char *name = s->category_names && k < s->n_categories ? s->category_names[k] : NULL;
    if (name && *name) snprintf(buf, n, "%s", name);
    else snprintf(buf, n, "#%zu", k);
}

int plot_scatter(const char *path, const struct plot_scatter_spec *spec, struct error *err)
{
    CHECK(spec != NULL);
    const char *what = "plot_scatter";
    CHECK(spec->n == 0 || (spec->x && spec->y));
    size_t ncat = spec->n_categories ? spec->n_categories : 1;
    if (spec->category && spec->n_categories == 0 && spec->n > 0)
        return error_set(err, "%s: '%s': points have categories but n_categories is 0", what,
                         path ? path : "");
    size_t *count = sg_calloc(ncat, sizeof *count, what, err);
    if (!count) return -1;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    size_t nfinite = 0;
    for (size_t i = 0; i < spec->n; i++) {
        size_t c = spec->category ? spec->category[i] : 0;
        if (c >= ncat) {
            free(count);
            return error_set(err, "%s: '%s': point %zu has category %zu (expected < %zu)",
                             what, path ? path : "", i, c, ncat);
        }
        if (!isfinite(spec->x[i]) || !isfinite(spec->y[i])) continue;
        count[c]++;
        nfinite++;
        xlo = fmin(xlo, spec->x[i]);
        xhi = fmax(xhi, spec->x[i]);
        ylo = fmin(ylo, spec->y[i]);
        yhi = fmax(yhi, spec->y[i]);
    }
    struct canvas cv;
    if (canvas_begin(&cv, what, path, spec->width, spec->height, 800, 700, err) != 0) {
        free(count);
        return -1;
    }
    cairo_t *cr = cv.cr;
    char buf[256];

    /* legend column on the right: categories with points, truncated to what fits */
    size_t present = 0;
    for (size_t k = 0; k < ncat; k++) present += count[k] > 0;
    bool named = spec->n_categories > 0 && (spec->category_names || ncat > 1);
    double legend_w = 0, max_label = cv.w * 0.28;
    font(cr, LEGEND_FONT, false);
    if (named && present) {
        for (size_t k = 0; k < ncat; k++) {
            if (!count[k]) continue;
            category_name(spec, k, buf, sizeof buf);
            char fit[256];
            text_fit(cr, buf, max_label, fit, sizeof fit);
            legend_w = fmax(legend_w, text_width(cr, fit));
        }
        legend_w = fmax(legend_w, text_width(cr, "\xE2\x80\xA6 (000 more)"));
        legend_w += 16 + 14 + 10;
    }
    range_pad(&xlo, &xhi, 0.05);
    range_pad(&ylo, &yhi, 0.05);
    struct ticks xt, yt;
    ticks_make(ylo, yhi, 6, false, &yt);
    struct axes a = {0, 0, 0, 0, xlo, xhi, ylo, yhi};
    axes_layout(cr, &a, 4, 4, cv.w - 4 - legend_w, cv.h - 4, &yt, spec->title && *spec->title,
                spec->xlabel && *spec->xlabel, spec->ylabel && *spec->ylabel);
    ticks_make(xlo, xhi, (int)fmax(2, fmin(8, (a.x1 - a.x0) / 80)), false, &xt);
    axes_draw_frame(cr, &a, &xt, &yt, spec->title, spec->xlabel, spec->ylabel, 4);

    double r = nfinite > 5000 ? 2.2 : nfinite > 500 ? 3.0 : 4.0;
    cairo_save(cr);
    cairo_rectangle(cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
    cairo_clip(cr);
    for (size_t i = 0; i < spec->n; i++) {
        if (!isfinite(spec->x[i]) || !isfinite(spec->y[i])) continue;
        size_t c = spec->category ? spec->category[i] : 0;
        marker_path(cr, (int)((c / PLOT_PALETTE_SIZE) % 4), ax_x(&a, spec->x[i]),
                    ax_y(&a, spec->y[i]), r);
        set_rgb(cr, plot_palette_color(c));
        cairo_fill_preserve(cr);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
        cairo_set_line_width(cr, 0.6);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    if (nfinite == 0) {
        set_rgb(cr, 0x888888);
        font(cr, LABEL_FONT, false);
        text_at(cr, (a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2, "no data", 0.5, 0.5);
    }

    if (legend_w > 0) {
        double lx = cv.w - 4 - legend_w + 10, ly = a.y0;
        size_t fit_rows = (size_t)fmax(1, floor((a.y1 - a.y0) / LEGEND_ROW));
        size_t shown = present <= fit_rows ? present : fit_rows - 1;
        size_t row = 0;
        font(cr, LEGEND_FONT, false);
        for (size_t k = 0; k < ncat && row < shown; k++) {
            if (!count[k]) continue;
            double cy = ly + (row + 0.5) * LEGEND_ROW;
            marker_path(cr, (int)((k / PLOT_PALETTE_SIZE) % 4), lx + 7, cy, 5.0);
            set_rgb(cr, plot_palette_color(k));
            cairo_fill(cr);
            category_name(spec, k, buf, sizeof buf);
            char fit[256];
            text_fit(cr, buf, max_label, fit, sizeof fit);
            set_rgb(cr, INK);
            text_at(cr, lx + 20, cy, fit, 0, 0.5);
            row++;
        }
        if (shown < present) {
            snprintf(buf, sizeof buf, "\xE2\x80\xA6 (%zu more)", present - shown);
            set_rgb(cr, MUTED);
            text_at(cr, lx + 20, ly + (row + 0.5) * LEGEND_ROW, buf, 0, 0.5);
        }
    }
    free(count);
    return canvas_finish(&cv, what, path, err);
}

/* ---- heat maps ---------------------------------------------------------------------- */

#define HEATMAP_TEXT_MAX 20

static void cell_text(double v, int decimals, bool all_whole, char *buf, size_t n)
{
    if (decimals > 0) snprintf(buf, n, "%.*f", decimals, v);
    else if (all_whole && fabs(v) < 1e15) snprintf(buf, n, "%.0f", v);
    else if (fabs(v) >= 1e5) snprintf(buf, n, "%.3g", v);
    else snprintf(buf, n, "%.2f", v);
}

static void axis_label(const char *const *labels, size_t i, char *buf, size_t n)
{
    if (labels && labels[i] && *labels[i]) snprintf(buf, n, "%s", labels[i]);
    else snprintf(buf, n, "%zu", i);
}

int plot_heatmap(const char *path, const struct plot_heatmap_spec *spec, struct error *err)
{
    CHECK(spec != NULL);
    const char *what = "plot_heatmap";
    if (spec->rows == 0 || spec->cols == 0)
        return error_set(err, "%s: '%s': empty matrix (%zux%zu)", what, path ? path : "",
                         spec->rows, spec->cols);
    if (spec->rows > 4096 || spec->cols > 4096)
        return error_set(err, "%s: '%s': matrix %zux%zu is larger than 4096x4096", what,
                         path ? path : "", spec->rows, spec->cols);
    if (spec->decimals < 0 || spec->decimals > 9)
        return error_set(err, "%s: '%s': decimals %d (expected 0..9)", what, path ? path : "",
                         spec->decimals);
    CHECK(spec->values != NULL);
    const size_t R = spec->rows, C = spec->cols;
    double vmin = 0, vmax = -INFINITY;
    bool all_whole = true;
    for (size_t i = 0; i < R * C; i++) {
        double v = spec->values[i];
        if (!isfinite(v)) continue;
        vmin = fmin(vmin, v);
        vmax = fmax(vmax, v);
        all_whole = all_whole && v == round(v);
    }
    if (!(vmax > vmin)) vmax = vmin + 1;

    struct canvas cv;
    if (canvas_begin(&cv, what, path, spec->width, spec->height, 800, 700, err) != 0)
        return -1;
    cairo_t *cr = cv.cr;
    char buf[256];

    /* Label font: shrink with the number of rows/columns; past that, label every k-th. */
    double base = fmin(cv.w, cv.h) * 0.7;
    size_t nmax = R > C ? R : C;
    double lab_font = fmax(7.0, fmin(TICK_FONT, base / (double)nmax * 0.7));
    size_t row_every = (size_t)ceil((lab_font + 2) / (base / (double)R));
    size_t col_every = (size_t)ceil((lab_font + 2) / (base / (double)C));
    if (row_every < 1) row_every = 1;
    if (col_every < 1) col_every = 1;
    font(cr, lab_font, false);
    double max_lab = cv.w * 0.22, rw = 0, cw = 0;
    for (size_t r = 0; r < R; r += row_every) {
        axis_label(spec->row_labels, r, buf, sizeof buf);
        char fit[256];
        text_fit(cr, buf, max_lab, fit, sizeof fit);
        rw = fmax(rw, text_width(cr, fit));
    }
    for (size_t c = 0; c < C; c += col_every) {
        axis_label(spec->col_labels, c, buf, sizeof buf);
        char fit[256];
        text_fit(cr, buf, max_lab, fit, sizeof fit);
        cw = fmax(cw, text_width(cr, fit));
    }

    /* colour bar width and its tick labels */
    struct ticks ct;
    ticks_make(vmin, vmax, 6, all_whole && vmax - vmin >= 2, &ct);
    font(cr, TICK_FONT, false);
    double ctw = ticks_max_width(cr, &ct);
    double bar_w = 16, right = 24 + bar_w + 6 + ctw + 14;

    bool has_title = spec->title && *spec->title;
    bool has_xl = spec->xlabel && *spec->xlabel, has_yl = spec->ylabel && *spec->ylabel;
    double gx0 = 14 + (has_yl ? LABEL_FONT + 12 : 0) + rw + 8;
    double gx1 = cv.w - right;
    double gy0 = has_title ? TITLE_FONT + 26 : 14;
    /* Column labels go horizontal when they fit their cells, else they are turned 90°. */
    double cell_w0 = (gx1 - gx0) / (double)C;
    bool col_vertical = cw > cell_w0 * (double)col_every - 4;
    double col_h = col_vertical ? cw : lab_font;
    double gy1 = cv.h - 10 - col_h - 8 - (has_xl ? LABEL_FONT + 14 : 0);
    if (gx1 < gx0 + 20) gx1 = gx0 + 20;
    if (gy1 < gy0 + 20) gy1 = gy0 + 20;
    double cwid = (gx1 - gx0) / (double)C, chei = (gy1 - gy0) / (double)R;

    /* cells */
    for (size_t r = 0; r < R; r++) {
        for (size_t c = 0; c < C; c++) {
            double v = spec->values[r * C + c];
            double x0 = round(gx0 + c * cwid), x1 = round(gx0 + (c + 1) * cwid);
            double y0 = round(gy0 + r * chei), y1 = round(gy0 + (r + 1) * chei);
            uint32_t col = isfinite(v) ? plot_colormap_viridis((v - vmin) / (vmax - vmin))
                                       : 0xD0D0D0u;
            set_rgb(cr, col);
            cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
            cairo_fill(cr);
        }
    }
    /* values in the cells */
    if (R <= HEATMAP_TEXT_MAX && C <= HEATMAP_TEXT_MAX) {
        double fs = fmin(14.0, chei * 0.42);
        font(cr, fs, false);
        double widest = 0;
        for (size_t i = 0; i < R * C; i++) {
            if (!isfinite(spec->values[i])) continue;
            cell_text(spec->values[i], spec->decimals, all_whole, buf, sizeof buf);
            widest = fmax(widest, text_width(cr, buf));
        }
        if (widest > cwid * 0.86) fs *= cwid * 0.86 / widest;
        if (fs >= 5.0) {
            font(cr, fs, false);
            for (size_t r = 0; r < R; r++) {
                for (size_t c = 0; c < C; c++) {
                    double v = spec->values[r * C + c];
                    if (!isfinite(v)) continue;
                    uint32_t col = plot_colormap_viridis((v - vmin) / (vmax - vmin));
                    set_rgb(cr, luminance(col) > 0.5 ? 0x000000u : 0xFFFFFFu);
                    cell_text(v, spec->decimals, all_whole, buf, sizeof buf);
                    text_at(cr, gx0 + (c + 0.5) * cwid, gy0 + (r + 0.5) * chei, buf, 0.5, 0.5);
                }
            }
        }
    }
    /* frame, row and column labels */
    set_rgb(cr, INK);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, round(gx0) + 0.5, round(gy0) + 0.5, round(gx1) - round(gx0) - 1,
                    round(gy1) - round(gy0) - 1);
    cairo_stroke(cr);
    font(cr, lab_font, false);
    for (size_t r = 0; r < R; r += row_every) {
        axis_label(spec->row_labels, r, buf, sizeof buf);
        char fit[256];
        text_fit(cr, buf, max_lab, fit, sizeof fit);
        text_at(cr, gx0 - 6, gy0 + (r + 0.5) * chei, fit, 1, 0.5);
    }
    for (size_t c = 0; c < C; c += col_every) {
        axis_label(spec->col_labels, c, buf, sizeof buf);
        char fit[256];
        text_fit(cr, buf, max_lab, fit, sizeof fit);
        double x = gx0 + (c + 0.5) * cwid;
        if (col_vertical) {
            cairo_save(cr);
            cairo_translate(cr, x, gy1 + 6);
            cairo_rotate(cr, -PI / 2);
            text_at(cr, 0, 0, fit, 1, 0.5);
            cairo_restore(cr);
        } else {
            text_at(cr, x, gy1 + 6, fit, 0.5, 0);
        }
    }
    if (has_title) {
        font(cr, TITLE_FONT, true);
        text_fit(cr, spec->title, cv.w - 20, buf, sizeof buf);
        text_at(cr, (gx0 + gx1) / 2, gy0 - 14, buf, 0.5, 1);
    }
    font(cr, LABEL_FONT, false);
    if (has_xl) {
        text_fit(cr, spec->xlabel, gx1 - gx0, buf, sizeof buf);
        text_at(cr, (gx0 + gx1) / 2, gy1 + 8 + col_h + 10, buf, 0.5, 0);
    }
    if (has_yl) {
        text_fit(cr, spec->ylabel, gy1 - gy0, buf, sizeof buf);
        text_vertical(cr, 14 + LABEL_FONT / 2, (gy0 + gy1) / 2, buf);
    }

    /* colour bar: a vertical strip of the map with ticks on its right */
    double bx = gx1 + 24, by0 = gy0, by1 = gy1;
    int steps = (int)fmax(2, by1 - by0);
    for (int i = 0; i < steps; i++) {
        double t = 1.0 - (i + 0.5) / steps;
        set_rgb(cr, plot_colormap_viridis(t));
        cairo_rectangle(cr, bx, by0 + (by1 - by0) * i / steps, bar_w,
                        (by1 - by0) / steps + 0.6);
        cairo_fill(cr);
    }
    set_rgb(cr, INK);
    cairo_rectangle(cr, bx, by0, bar_w, by1 - by0);
    cairo_stroke(cr);
    font(cr, TICK_FONT, false);
    for (int i = 0; i < ct.n; i++) {
        double y = by1 - (ct.v[i] - vmin) / (vmax - vmin) * (by1 - by0);
        cairo_move_to(cr, bx + bar_w, y);
        cairo_line_to(cr, bx + bar_w + 4, y);
        cairo_stroke(cr);
        tick_label(&ct, ct.v[i], buf, sizeof buf);
        set_rgb(cr, MUTED);
        text_at(cr, bx + bar_w + 6, y, buf, 0, 0.5);
        set_rgb(cr, INK);
    }
    return canvas_finish(&cv, what, path, err);
}
