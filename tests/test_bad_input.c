/* test_bad_input.c — a hostile-input trial, one test per class of defect, through the CLI.
 * Each bad case must exit 1 (bad data, I/O) or 2 (a command line that contradicts itself),
 * print exactly one line on stderr naming the flag or file and what to do, and change nothing
 * on disk (expect_refused compares a digest of the whole test folder before and after):
 *   1. memory sized by a flag: --window / --num-classes that the machine cannot hold are refused
 *      up front naming the flag; --batch beyond the training windows is clamped;
 *   2. outputs that destroy inputs: --out = --ckpt, --out = --save-embeddings, a second train
 *      into a locked --out (the lock held by this test process, whose pid must be named);
 *   3. CSV quoting: labels and video ids holding ',' and '"' read back field for field, with
 *      the strict RFC 4180 reader of io/csv.c and with Python's csv module when present, from
 *      predict, embed --save-csv, eval's confusion matrix, metrics.csv and variations' summary;
 *   4. non-UTF-8 names: a label (checkpoint configuration) and a video id (splits.json);
 *   5. late failure: train --out FILE or an unwritable folder, variations --base-out FILE,
 *      predict --out in a missing folder, all before any epoch;
 *   6. unbounded reads: --splits-json /dev/zero; a groundtruth through a FIFO is read;
 *   7. accepted garbage: splits JSON with trailing text, an npz with one member twice, a
 *      checkpoint holding NaN;
 *   8. messages: --ckpt DIR, a groundtruth with a BOM, the empty-validation message with a
 *      splits file, eval's wording, a corrupt deflate stream, predict --input with a
 *      groundtruth of many other videos. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "badinput.h"
#include "core/error.h"
#include "io/csv.h"
#include "testutil.h"

static char *root, *data, *model, *splits;

static void must(struct cli_result *r, const char *what)
{
    if (r->exit_code != 0) fail_msg("%s failed (%d): %s", what, r->exit_code, r->err);
}

static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *t = read_text_file(from, &len);
    assert_non_null(t);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(t, 1, len, f), len);
    fclose(f);
    free(t);
}

static void write_bytes(const char *path, const char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* A copy of the dataset folder (npz, groundtruth, signers) under root/<name>. */
static char *copy_data(const char *name)
{
    char *dst = path_join(root, name);
    assert_int_equal(mkdir(dst, 0777), 0);
    DIR *d = opendir(data);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *a = path_join(data, e->d_name), *b = path_join(dst, e->d_name);
        copy_file(a, b);
        free(a);
        free(b);
    }
    closedir(d);
    return dst;
}

static int setup(void **state)
{
    (void)state;
    root = tmpdir_make();
    data = path_join(root, "data");
    struct cli_result r = run_cli("synth", "--out", data, "--videos", "8", "--signers", "4",
                                  "--frames", "90", "--seed", "1", NULL);
    must(&r, "synth");
    cli_result_free(&r);
    splits = path_join(root, "splits.json");
    write_text_file(splits, "{\"splits\": {"
                            "\"train\": {\"videos\": [\"v000\", \"v001\", \"v002\", \"v003\"]},"
                            "\"val\": {\"videos\": [\"v004\", \"v005\"]},"
                            "\"test\": {\"videos\": [\"v006\", \"v007\"]}}}");
    char *run = path_join(root, "run");
    r = run_cli("train", "--data", data, "--splits-json", splits, "--window", "10", "--stride",
                "5", "--epochs", "1", "--batch", "8", "--out", run, "--threads", "2", NULL);
    must(&r, "train");
    cli_result_free(&r);
    char *last = path_join(run, "last.safetensors");
    model = path_join(root, "model.safetensors");
    copy_file(last, model);
    free(last);
    free(run);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(root);
    free(root);
    free(data);
    free(model);
    free(splits);
    return 0;
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void refused(int code, const char *const *needles, const char *const *argv)
{
    struct cli_result r = expect_refused(root, code, needles, argv);
    cli_result_free(&r);
}

/* ---- 1. memory sized by a flag ------------------------------------------------------------ */

static void test_memory_flags(void **state)
{
    (void)state;
    char *out = path_join(root, "mem_out");
    /* a window of a million frames: the arena is refused before training, naming both flags */
    char *before = tree_digest(data);
    struct cli_result r = run_cli("train", "--data", data, "--window", "1000000", "--epochs", "1",
                                  "--out", out, "--threads", "2", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "lower --batch"));
    assert_non_null(strstr(r.err, "--window"));
    assert_null(strstr(r.out, "epoch 1/1"));
    cli_result_free(&r);
    /* a million classes: the confusion matrix is refused before the first epoch */
    r = run_cli("train", "--data", data, "--window", "10", "--stride", "5", "--num-classes",
                "1000000", "--epochs", "1", "--out", out, "--threads", "2", NULL);
    assert_int_equal(r.exit_code, 1);
    /* (a warning about the unused outputs comes first) */
    assert_non_null(strstr(r.err, "error: --num-classes 1000000"));
    assert_null(strstr(strstr(r.err, "error:") + 1, "error:"));
    assert_non_null(strstr(r.err, "lower --num-classes"));
    assert_null(strstr(r.out, "epoch 1/1"));
    cli_result_free(&r);
    char *after = tree_digest(data);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* --batch beyond the training windows is clamped to them, and trains */
    r = run_cli("train", "--data", data, "--splits-json", splits, "--window", "10", "--stride",
                "5", "--batch", "1000000", "--epochs", "1", "--out", out, "--threads", "2", NULL);
    must(&r, "train --batch 1000000");
    assert_non_null(strstr(r.out, "batch: --batch 1000000 is more than the "));
    assert_non_null(strstr(r.out, " training windows; batches of "));
    cli_result_free(&r);
    free(out);
}

/* ---- 2. outputs that destroy inputs ------------------------------------------------------- */

static void test_outputs_never_overwrite_inputs(void **state)
{
    (void)state;
    char *csv = path_join(root, "p.csv");
    refused(2, NEEDLES("--out", "is the --ckpt file"),
            ARGV("predict", "--ckpt", model, "--data", data, "--out", model));
    refused(2, NEEDLES("--save-embeddings", "also written through --out"),
            ARGV("predict", "--ckpt", model, "--data", data, "--out", csv, "--save-embeddings",
                 csv));
    /* a hard link is the same file under another name */
    char *link_path = path_join(root, "model_link.safetensors");
    assert_int_equal(link(model, link_path), 0);
    refused(2, NEEDLES("--out", "is the --ckpt file"),
            ARGV("predict", "--ckpt", model, "--data", data, "--out", link_path));
    unlink(link_path);
    free(link_path);
    /* a training folder is locked: a second run says which process holds it */
    char *out = path_join(root, "locked");
    assert_int_equal(mkdir(out, 0777), 0);
    char *lock = path_join(out, ".signstgcn.lock");
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    assert_int_equal(write(fd, pid, (size_t)len), len);
    pid[len - 1] = '\0';
    char needle[64];
    snprintf(needle, sizeof needle, "in use by process %s", pid);
    refused(1, NEEDLES("--out", needle),
            ARGV("train", "--data", data, "--window", "10", "--stride", "5", "--epochs", "1",
                 "--out", out, "--threads", "2"));
    close(fd); /* released: the same command now trains */
    struct cli_result r = run_cli("train", "--data", data, "--splits-json", splits, "--window",
                                  "10", "--stride", "5", "--epochs", "1", "--out", out,
                                  "--threads", "2", NULL);
    must(&r, "train after the lock was released");
    cli_result_free(&r);
    free(lock);
    free(out);
    free(csv);
}

/* ---- 3. CSV quoting -------------------------------------------------------------------------- */

/* Reads a CSV with the strict reader: every record has the header's width; returns the number
 * of records and whether `field` occurs as a whole field. */
static size_t read_csv(const char *path, const char *field, int *found)
{
    size_t len;
    char *t = read_text_file(path, &len);
    if (!t) fail_msg("'%s' was not written", path);
    size_t pos = 0, rows = 0, width = 0, n;
    char **f;
    struct error err;
    int rc;
    *found = 0;
    while ((rc = csv_parse_record(t, len, &pos, &f, &n, &err)) == 1) {
        if (rows == 0) width = n;
        else if (n != width)
            fail_msg("'%s': record %zu has %zu fields, the header %zu", path, rows + 1, n, width);
        for (size_t i = 0; i < n; i++)
            if (field && !strcmp(f[i], field)) *found = 1;
        csv_fields_free(f, n);
        rows++;
    }
    if (rc < 0) fail_msg("'%s' is not RFC 4180 CSV: %s", path, err.msg);
    free(t);
    return rows;
}

/* The same file through Python's csv module when /usr/bin/python3 is there: the rows must
 * all have the header's width, and the count must match ours. */
static void python_agrees(const char *path, size_t rows)
{
    if (access("/usr/bin/python3", X_OK) != 0) return;
    const char *script = "import csv,sys\n"
                         "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8'),"
                         "strict=True))\n"
                         "assert all(len(r)==len(rows[0]) for r in rows), 'ragged'\n"
                         "open(sys.argv[2],'w').write(str(len(rows)))\n";
    char *count = path_join(root, "python_rows.txt");
    unlink(count);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", "-c", script, path, count, (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("python's csv module refuses '%s'", path);
    char *t = read_text_file(count, NULL);
    assert_non_null(t);
    assert_int_equal(strtoul(t, NULL, 10), rows);
    free(t);
    unlink(count);
    free(count);
}

/* Rewrites a groundtruth or signers file: old → new in every line's first token; labels
 * s1 → 's,1' and s2 → 's"2' (third token). */
static void rewrite(const char *path, const char *old_id, const char *new_id, bool labels)
{
    char *t = read_text_file(path, NULL);
    assert_non_null(t);
    size_t cap = strlen(t) * 2 + 64, o = 0;
    char *out = malloc(cap);
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        char a[256], b[256], c[256];
        int k = sscanf(line, "%255s %255s %255s", a, b, c);
        if (k >= 1 && !strcmp(a, old_id)) snprintf(a, sizeof a, "%s", new_id);
        if (labels && k == 3) {
            if (!strcmp(c, "s1")) strcpy(c, "s,1");
            else if (!strcmp(c, "s2")) strcpy(c, "s\"2");
        }
        o += (size_t)snprintf(out + o, cap - o, k == 3 ? "%s %s %s\n" : k == 2 ? "%s %s\n" : "%s\n",
                              a, b, c);
    }
    write_text_file(path, out);
    free(out);
    free(t);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    char *d = copy_data("csvdata");
    const char *odd = "v,0\"00";
    char *from = path_join(d, "v000.npz"), *to_name = malloc(64);
    snprintf(to_name, 64, "%s.npz", odd);
    char *to = path_join(d, to_name);
    assert_int_equal(rename(from, to), 0);
    char *gt = path_join(d, "groundtruth.txt"), *sg = path_join(d, "signers.txt");
    rewrite(gt, "v000", odd, true);
    rewrite(sg, "v000", odd, false);
    char *run = path_join(root, "csvrun");
    struct cli_result r = run_cli("train", "--data", d, "--window", "10", "--stride", "5",
                                  "--epochs", "1", "--batch", "8", "--log-csv", "--out", run,
                                  "--threads", "2", NULL);
    must(&r, "train on odd names");
    cli_result_free(&r);
    char *ckpt = path_join(run, "last.safetensors");
    char *pred = path_join(root, "odd_pred.csv"), *emb = path_join(root, "odd_emb.csv");
    char *png = path_join(root, "odd_emb.png"), *ev = path_join(root, "odd_eval");
    r = run_cli("predict", "--ckpt", ckpt, "--data", d, "--out", pred, NULL);
    must(&r, "predict");
    cli_result_free(&r);
    r = run_cli("embed", "--data", d, "--ckpt", ckpt, "--reduce", "pca", "--out", png,
                "--save-csv", emb, "--threads", "2", NULL);
    must(&r, "embed");
    cli_result_free(&r);
    r = run_cli("eval", "--ckpt", ckpt, "--data", d, "--out-dir", ev, "--threads", "2", NULL);
    must(&r, "eval");
    cli_result_free(&r);
    char *vout = path_join(root, "odd_variations");
    r = run_cli("variations", "--data", d, "--window", "10", "--stride", "5", "--epochs", "1",
                "--base-out", vout, "--skip-binary", "--skip-pseudo", "--skip-supcon",
                "--skip-film", "--skip-mi", "--skip-combined", "--threads", "2", NULL);
    must(&r, "variations");
    cli_result_free(&r);
    int found;
    size_t rows = read_csv(pred, odd, &found);
    assert_true(found); /* the video id, whole */
    read_csv(pred, "p_s,1", &found);
    assert_true(found); /* a class column */
    python_agrees(pred, rows);
    rows = read_csv(emb, "s\"2", &found);
    assert_true(found);
    python_agrees(emb, rows);
    char *cm = path_join(ev, "confusion_matrix.csv");
    rows = read_csv(cm, "s,1", &found);
    assert_true(found);
    python_agrees(cm, rows);
    char *metrics = path_join(run, "metrics.csv");
    rows = read_csv(metrics, "val_balanced_acc", &found);
    assert_true(found);
    python_agrees(metrics, rows);
    char *summary = path_join(vout, "summary.csv");
    rows = read_csv(summary, "basic", &found);
    assert_true(found);
    assert_int_equal(rows, 2);
    python_agrees(summary, rows);
    free(summary);
    free(metrics);
    free(cm);
    free(vout);
    free(ev);
    free(png);
    free(emb);
    free(pred);
    free(ckpt);
    free(run);
    free(gt);
    free(sg);
    free(to);
    free(to_name);
    free(from);
    free(d);
}

/* ---- 4. non-UTF-8 names in JSON ---------------------------------------------------------- */

static void test_json_needs_utf8(void **state)
{
    (void)state;
    char *d = copy_data("latin1");
    char *gt = path_join(d, "groundtruth.txt");
    char *t = read_text_file(gt, NULL);
    for (char *p = strstr(t, " s1\n"); p; p = strstr(p + 1, " s1\n")) p[2] = (char)0xe9;
    write_text_file(gt, t);
    free(t);
    char *out = path_join(root, "latin1_run");
    refused(1, NEEDLES("checkpoint configuration", "is not UTF-8", "\\xe9"),
            ARGV("train", "--data", d, "--window", "10", "--stride", "5", "--epochs", "1",
                 "--out", out, "--threads", "2"));
    free(out);
    free(gt);
    /* a video file name that is not UTF-8: splits.json is refused, not written */
    char *d2 = copy_data("latin1_ids");
    char *from = path_join(d2, "v000.npz"), *to = path_join(d2, "v\xff.npz");
    assert_int_equal(rename(from, to), 0);
    char *sg = path_join(d2, "signers.txt");
    unlink(sg);
    char *gt2 = path_join(d2, "groundtruth.txt");
    rewrite(gt2, "v000", "v\xff", false);
    free(gt2);
    char *sj = path_join(root, "latin1_splits.json");
    refused(1, NEEDLES("splits_json", "is not UTF-8", "v\\xff"),
            ARGV("splits", "--data", d2, "--window", "10", "--s-label", "s1", "--train", "1",
                 "--val", "0", "--test", "0", "--out", sj));
    free(sj);
    free(sg);
    free(from);
    free(to);
    free(d2);
    free(d);
}

/* ---- 5. late failure ------------------------------------------------------------------------ */

static void test_outputs_checked_first(void **state)
{
    (void)state;
    char *file = path_join(root, "a_file");
    write_text_file(file, "not a folder\n");
    refused(1, NEEDLES("--out", "is a file, not a folder"),
            ARGV("train", "--data", data, "--window", "10", "--stride", "5", "--epochs", "1",
                 "--out", file, "--threads", "2"));
    refused(1, NEEDLES("--base-out", "is a file, not a folder"),
            ARGV("variations", "--data", data, "--base-out", file));
    char *under = path_join(file, "sub");
    refused(1, NEEDLES("--out", "is a file, not a folder"),
            ARGV("train", "--data", data, "--out", under));
    /* a folder that takes no new file: /proc refuses even root */
    refused(1, NEEDLES("--out", "does not take new files"),
            ARGV("train", "--data", data, "--out", "/proc/self/signstgcn-run"));
    char *missing = path_join(root, "no/such/folder/p.csv");
    refused(1, NEEDLES("--out", "does not exist"),
            ARGV("predict", "--ckpt", model, "--data", data, "--out", missing));
    refused(1, NEEDLES("--json", "does not exist"),
            ARGV("eval", "--ckpt", model, "--data", data, "--json", missing));
    refused(1, NEEDLES("--out", "is a folder"),
            ARGV("embed", "--ckpt", model, "--data", data, "--out", root));
    free(missing);
    free(under);
    free(file);
}

/* ---- 6. unbounded reads ----------------------------------------------------------------------- */

static void test_reads_are_bounded(void **state)
{
    (void)state;
    char *out = path_join(root, "zero_run");
    refused(1, NEEDLES("'/dev/zero'", "more than 64 MiB"),
            ARGV("train", "--data", data, "--splits-json", "/dev/zero", "--out", out));
    refused(1, NEEDLES("'/dev/zero'", "more than 64 MiB"),
            ARGV("eval", "--ckpt", model, "--data", data, "--splits-json", "/dev/zero"));
    free(out);
    /* a groundtruth through a FIFO (as `--groundtruth <(grep ...)` gives) is read */
    char *fifo = path_join(root, "gt.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *gt = path_join(data, "groundtruth.txt");
    pid_t pid = fork();
    if (pid == 0) {
        size_t len;
        char *t = read_text_file(gt, &len);
        int fd = open(fifo, O_WRONLY);
        if (fd < 0 || !t || write(fd, t, len) != (ssize_t)len) _exit(1);
        close(fd);
        _exit(0);
    }
    struct cli_result r = run_cli("inspect", "--data", data, "--groundtruth", fifo, "--window",
                                  "10", "--stride", "5", NULL);
    int status;
    waitpid(pid, &status, 0);
    must(&r, "inspect --groundtruth FIFO");
    assert_non_null(strstr(r.out, "labelled"));
    struct cli_result plain = run_cli("inspect", "--data", data, "--window", "10", "--stride",
                                      "5", NULL);
    must(&plain, "inspect");
    /* the same windows per label as the file itself gives (the path line differs) */
    assert_string_equal(strstr(r.out, "windows per label"), strstr(plain.out, "windows per label"));
    cli_result_free(&plain);
    cli_result_free(&r);
    unlink(fifo);
    free(gt);
    free(fifo);
}

/* ---- 7. accepted garbage -------------------------------------------------------------------- */

static void test_garbage_refused(void **state)
{
    (void)state;
    char *sj = path_join(root, "trailing.json");
    char *t = read_text_file(splits, NULL);
    size_t n = strlen(t);
    char *t2 = malloc(n + 32);
    snprintf(t2, n + 32, "%s\n{\"splits\": {}}\n", t);
    write_text_file(sj, t2);
    char *out = path_join(root, "trailing_run");
    refused(1, NEEDLES("trailing.json", "text after the JSON object"),
            ARGV("train", "--data", data, "--splits-json", sj, "--window", "10", "--out", out));
    free(out);
    free(t2);
    free(t);
    free(sj);
    /* an npz with one member name twice: face.npy renamed pose.npy (same length) */
    char *d = copy_data("dup");
    char *npz = path_join(d, "v003.npz");
    size_t len;
    char *b = read_text_file(npz, &len);
    size_t hits = 0;
    for (size_t i = 0; i + 8 <= len; i++)
        if (!memcmp(b + i, "face.npy", 8)) {
            memcpy(b + i, "pose.npy", 8);
            hits++;
        }
    assert_int_equal(hits, 2); /* local header and central directory */
    write_bytes(npz, b, len);
    free(b);
    refused(1, NEEDLES("v003.npz", "member 'pose.npy' appears twice"),
            ARGV("inspect", "--data", d));
    free(npz);
    free(d);
    /* a checkpoint holding NaN: refused at load, naming the tensor */
    char *bad = path_join(root, "nan.safetensors");
    b = read_text_file(model, &len);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | (unsigned char)b[i];
    const float nan_value = NAN;
    memcpy(b + 8 + hl + 64, &nan_value, sizeof nan_value); /* an aligned float of some tensor */
    write_bytes(bad, b, len);
    free(b);
    char *csv = path_join(root, "nan.csv");
    refused(1, NEEDLES("nan.safetensors", "holds NaN", "tensor '"),
            ARGV("predict", "--ckpt", bad, "--data", data, "--out", csv));
    free(csv);
    free(bad);
}

/* ---- 8. unclear messages -------------------------------------------------------------------- */

static void test_messages(void **state)
{
    (void)state;
    char *csv = path_join(root, "m.csv");
    refused(1, NEEDLES("is a folder"), ARGV("predict", "--ckpt", data, "--data", data, "--out", csv));
    /* a BOM: the first id is read without it, so nothing is reported missing */
    char *bom = path_join(root, "bom_gt.txt");
    char *gt = path_join(data, "groundtruth.txt");
    size_t len;
    char *t = read_text_file(gt, &len);
    char *t2 = malloc(len + 4);
    memcpy(t2, "\xEF\xBB\xBF", 3);
    memcpy(t2 + 3, t, len + 1);
    write_text_file(bom, t2);
    struct cli_result r = run_cli("inspect", "--data", data, "--groundtruth", bom, NULL);
    must(&r, "inspect with a BOM");
    assert_int_equal(count_lines(r.err), 0);
    struct cli_result plain = run_cli("inspect", "--data", data, NULL);
    assert_string_equal(strstr(r.out, "windows per label"), strstr(plain.out, "windows per label"));
    cli_result_free(&plain);
    cli_result_free(&r);
    /* the same BOM before a splits file */
    char *bsj = path_join(root, "bom_splits.json");
    char *s = read_text_file(splits, NULL);
    char *s2 = malloc(strlen(s) + 4);
    memcpy(s2, "\xEF\xBB\xBF", 3);
    strcpy(s2 + 3, s);
    write_text_file(bsj, s2);
    char *out = path_join(root, "bom_run");
    r = run_cli("train", "--data", data, "--splits-json", bsj, "--window", "10", "--stride", "5",
                "--epochs", "1", "--out", out, "--threads", "2", NULL);
    must(&r, "train with a BOM before the splits JSON");
    cli_result_free(&r);
    free(out);
    /* an empty validation split with a splits file names the file, not --splits-json */
    char *nogt = path_join(root, "nogt_v4v5.txt");
    char *kept = malloc(len + 1);
    size_t o = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "v004", 4) && strncmp(line, "v005", 4))
            o += (size_t)sprintf(kept + o, "%s\n", line);
    write_text_file(nogt, kept);
    out = path_join(root, "noval_run");
    refused(1, NEEDLES("the val split of", "splits.json", "splits.val"),
            ARGV("train", "--data", data, "--groundtruth", nogt, "--splits-json", splits,
                 "--window", "10", "--stride", "5", "--out", out, "--threads", "2"));
    free(out);
    /* eval with no labelled window in any video: the dataset's, not "the every split's" */
    char *empty_gt = path_join(root, "other_videos.txt");
    write_text_file(empty_gt, "elsewhere 0 s1\n");
    r = run_cli("eval", "--ckpt", model, "--data", data, "--groundtruth", empty_gt, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "the dataset's 8 video(s) have no labelled window"));
    assert_null(strstr(r.err, "every split"));
    cli_result_free(&r);
    /* a corrupt deflate stream is reported as corruption */
    char *d = copy_data("corrupt");
    char *npz = path_join(d, "v002.npz");
    char *b = read_text_file(npz, &len);
    for (size_t k = 0; k < 8; k++) b[200 + 977 * k] ^= (char)0xff; /* inside pose.npy's stream */
    write_bytes(npz, b, len);
    free(b);
    refused(1, NEEDLES("v002.npz", "corrupt", "damaged"), ARGV("inspect", "--data", d));
    free(npz);
    free(d);
    /* predict --input one file with the dataset's groundtruth: no warning about the others */
    char *one = path_join(data, "v001.npz");
    r = run_cli("predict", "--ckpt", model, "--input", one, "--out", csv, NULL);
    must(&r, "predict --input");
    assert_int_equal(count_lines(r.err), 0);
    cli_result_free(&r);
    /* and one about an input the groundtruth does not annotate */
    r = run_cli("predict", "--ckpt", model, "--input", one, "--groundtruth", empty_gt, "--out",
                csv, NULL);
    must(&r, "predict --input, unannotated");
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "no annotation for video 'v001'"));
    cli_result_free(&r);
    free(one);
    free(empty_gt);
    free(kept);
    free(nogt);
    free(bsj);
    free(s);
    free(s2);
    free(t);
    free(t2);
    free(gt);
    free(bom);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_flags),
        cmocka_unit_test(test_outputs_never_overwrite_inputs),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_json_needs_utf8),
        cmocka_unit_test(test_outputs_checked_first),
        cmocka_unit_test(test_reads_are_bounded),
        cmocka_unit_test(test_garbage_refused),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
