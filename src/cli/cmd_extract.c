/* cmd_extract.c — `signstgcn extract VIDEO... --out DIR`: MediaPipe Holistic landmarks of
 * videos and images, written as DIR/<id>.npz (or .pose), offline.
 *
 * The extraction itself is an optional component, extract/ (a Node program driving Debian's
 * chromium headless through puppeteer-core, with MediaPipe Holistic's WASM build from npm and
 * ffmpeg to decode; scripts/install-extract.sh installs it). This command finds it
 * (--extractor DIR, else $SIGNSTGCN_EXTRACTOR, else extract/ beside the executable's parent
 * folder, else the source tree's extract/ the binary was built from), says what to install
 * when it is missing, runs `node DIR/extract.js` once for all the inputs still to do (the
 * browser and models start once: several seconds), and reads its JSON-lines records
 * (data/extract_records.c checks each). Every recording is written with the project's own
 * writers (data/landmarks.c), atomically, so an interrupted batch leaves whole files only and
 * a rerun skips what exists (--overwrite redoes it).
 *
 * Messages: a progress bar per input on stderr (frames, frames/s, ETA; redrawn in place on a
 * terminal, one line per input otherwise); one line per written file on stdout; one error
 * line per failed input (the others go on); a warning for a recording in which no part was
 * found in any frame; a last line counting inputs and the page's requests (every request not
 * to the extractor's own 127.0.0.1 server is refused and counted; any refused request fails
 * the run). Exit 0 when every input was written or skipped, 1 when one failed (named in the
 * last line), 2 for usage errors.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/outputs.h"
#include "core/alloc.h"
#include "core/error.h"
#include "data/extract_records.h"
#include "data/landmarks.h"

static const char *const CMD = "extract";

static const char *const INSTALL_HINT =
    "hint: install the extractor with `bash scripts/install-extract.sh` from the source tree "
    "(Debian's chromium, ffmpeg, nodejs and npm, then `npm ci` in extract/), or name its "
    "folder with --extractor DIR";

static void print_help(void)
{
    printf("usage: signstgcn extract VIDEO... --out DIR [--to npz|pose] [--fps N]\n"
           "                         [--complexity 0|1|2] [--refine-face] [--overwrite]\n"
           "                         [--extractor DIR]\n\n"
           "MediaPipe Holistic landmarks of each VIDEO (anything ffmpeg decodes; an image is a\n"
           "one-frame video), offline, as DIR/<id>.npz (pose 33x4 with visibility, left_hand\n"
           "and right_hand 21x3, face 468x3 or 478x3, NaN where a part was not found, fps) or\n"
           "DIR/<id>.pose. Needs the optional extractor (scripts/install-extract.sh).\n\n"
           "  --out DIR         output folder (created if missing; required)\n"
           "  --to FORMAT       npz (default) or pose\n"
           "  --fps N           resample to N frames/s first (default: every frame)\n"
           "  --complexity C    pose model 0 (lite), 1 (full, default) or 2 (heavy)\n"
           "  --refine-face     478 face landmarks (irises refined) instead of 468\n"
           "  --overwrite       redo inputs whose output exists (default: skip them)\n"
           "  --extractor DIR   the extractor's folder (default: $SIGNSTGCN_EXTRACTOR, else\n"
           "                    extract/ found from the executable)\n");
}

enum input_state { IN_TODO = 0, IN_SKIPPED, IN_WRITTEN, IN_FAILED };

struct input {
    const char *path;
    char *out;            /* DIR/<id>.npz|.pose */
    enum input_state state;
};

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* "<a>/<b>" in buf; false when it does not fit. */
static bool join2(char *buf, size_t cap, const char *a, const char *b)
{
    int n = snprintf(buf, cap, "%s/%s", a, b);
    return n > 0 && (size_t)n < cap;
}

/* The extractor's folder: the first candidate holding extract.js. */
static int find_extractor(const char *given, char *dir, size_t cap, struct error *err)
{
    const char *env = getenv("SIGNSTGCN_EXTRACTOR");
    char probe[PATH_MAX], exe[PATH_MAX], cand[3][PATH_MAX + 32];
    size_t nc = 0;
    if (given) {
        snprintf(cand[nc++], PATH_MAX, "%s", given);
    } else if (env && *env) {
        snprintf(cand[nc++], PATH_MAX, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 64);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash) *slash = '\0';
            /* build/signstgcn → extract/; bin/signstgcn → share/signstgcn/extract */
            snprintf(cand[nc++], sizeof cand[0], "%.4000s/../extract", exe);
            snprintf(cand[nc++], sizeof cand[0], "%.4000s/../share/signstgcn/extract", exe);
        }
#ifdef SIGNSTGCN_EXTRACT_DIR
        snprintf(cand[nc++], PATH_MAX, "%s", SIGNSTGCN_EXTRACT_DIR);
#endif
    }
    for (size_t i = 0; i < nc; i++) {
        if (strlen(cand[i]) >= PATH_MAX - 64) continue;
        if (!join2(probe, sizeof probe, cand[i], "extract.js") || !is_file(probe)) continue;
        static const char *const needs[] = {"node_modules/puppeteer-core/package.json",
                                            "node_modules/@mediapipe/holistic/holistic.js"};
        for (size_t k = 0; k < 2; k++) {
            if (!join2(probe, sizeof probe, cand[i], needs[k]) || !is_file(probe)) {
                error_set(err, "extract: the landmark extractor in '%s' lacks its npm packages "
                               "('%s' not found)",
                          cand[i], needs[k]);
                return error_hint(err, "run `npm ci` in '%s' (or bash scripts/install-extract.sh)",
                                  cand[i]);
            }
        }
        char real[PATH_MAX];
        const char *use = realpath(cand[i], real) ? real : cand[i];
        if (strlen(use) >= cap) continue;
        memcpy(dir, use, strlen(use) + 1);
        return 0;
    }
    if (given || (env && *env))
        error_set(err, "extract: '%s' is not the landmark extractor's folder (no extract.js "
                       "in it)",
                  cand[0]);
    else
        error_set(err, "extract: the landmark extractor is not installed (no extract/extract.js "
                       "beside the executable or in the source tree)");
    return error_hint(err, "%s", INSTALL_HINT + strlen("hint: "));
}

/* `node` (or `nodejs`) on PATH, or $SIGNSTGCN_NODE. */
static int find_node(char *out, size_t cap, struct error *err)
{
    const char *env = getenv("SIGNSTGCN_NODE");
    if (env && *env) {
        if (access(env, X_OK) == 0) {
            snprintf(out, cap, "%s", env);
            return 0;
        }
        return error_set(err, "extract: SIGNSTGCN_NODE='%s' is not an executable", env);
    }
    const char *path = getenv("PATH");
    static const char *const names[] = {"node", "nodejs"};
    for (size_t k = 0; path && k < 2; k++) {
        const char *p = path;
        while (*p) {
            const char *e = strchr(p, ':');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len > 0 && (size_t)snprintf(out, cap, "%.*s/%s", (int)len, p, names[k]) < cap &&
                access(out, X_OK) == 0 && is_file(out))
                return 0;
            p += len + (e ? 1 : 0);
        }
    }
    error_set(err, "extract: Node.js is not installed (no node or nodejs on PATH)");
    return error_hint(err, "%s", INSTALL_HINT + strlen("hint: "));
}

/* ---- progress ---------------------------------------------------------------------------- */

struct progress {
    bool tty;
    bool drawn;           /* a bar is on the terminal's current line */
    const char *name;
    size_t done, expect;
    double t0, last;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_clear(struct progress *pg)
{
    if (pg->tty && pg->drawn) fprintf(stderr, "\r\033[K");
    pg->drawn = false;
}

static void progress_draw(struct progress *pg, bool final)
{
    double t = now_s(), el = t - pg->t0;
    if (!final && (t - pg->last < (pg->tty ? 0.2 : 30.0) || (!pg->tty && pg->done == 0))) return;
    pg->last = t;
    double rate = el > 0 ? (double)pg->done / el : 0;
    char bar[24] = "";
    char eta[32] = "";
    size_t expect = pg->expect > pg->done ? pg->expect : pg->done;
    if (pg->expect) {
        size_t fill = expect ? pg->done * 20 / expect : 0;
        for (size_t i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
        bar[20] = '\0';
        if (!final && rate > 0)
            snprintf(eta, sizeof eta, "  ETA %.0f s", (double)(expect - pg->done) / rate);
    }
    if (pg->tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "%s %s%s%zu/%zu frames  %.2f frames/s%s%s", pg->name, bar, bar[0] ? " " : "",
            pg->done, expect, rate, final ? "  done" : "", eta);
    if (pg->tty && !final) {
        pg->drawn = true;
    } else {
        fputc('\n', stderr);
        pg->drawn = false;
    }
    fflush(stderr);
}

/* ---- the run ----------------------------------------------------------------------------- */

struct run {
    struct input *in;
    size_t n_in;
    size_t *todo;            /* extractor index → input index */
    size_t n_todo;
    bool to_pose;
    size_t face_joints;
    struct progress pg;
    /* the recording being gathered */
    bool open;
    size_t cur;              /* input index */
    struct extract_video v;
    /* totals */
    bool done_seen, fatal;
    size_t served, refused;
    double startup_s;
    char refused_urls[512];
};

static void input_failed(struct run *r, size_t i, const char *msg)
{
    progress_clear(&r->pg);
    fprintf(stderr, "signstgcn %s: error: '%s': %s\n", CMD, r->in[i].path, msg);
    r->in[i].state = IN_FAILED;
}

static void close_video(struct run *r)
{
    extract_video_free(&r->v);
    r->open = false;
}

static void finish_video(struct run *r, size_t frames)
{
    struct error err;
    struct input *in = &r->in[r->cur];
    struct extract_video *v = &r->v;
    if (frames != v->frames) {
        char msg[160];
        snprintf(msg, sizeof msg, "the extractor reported %zu frames but sent %zu", frames,
                 v->frames);
        input_failed(r, r->cur, msg);
        close_video(r);
        return;
    }
    size_t det[DATA_PART_COUNT];
    memcpy(det, v->detected, sizeof det);
    size_t n = v->frames;
    double fps = v->fps;
    r->pg.done = n;
    progress_draw(&r->pg, true);
    struct landmarks lm;
    int rc = extract_video_finish(v, &lm, &err);
    if (rc == 0)
        rc = r->to_pose ? landmarks_write_pose(&lm, in->out, lm.width, lm.height, lm.fps, &err)
                        : landmarks_write_npz(&lm, in->out, &err);
    landmarks_free(&lm);
    close_video(r);
    if (rc) {
        input_failed(r, r->cur, err.msg);
        return;
    }
    in->state = IN_WRITTEN;
    if (fps > 0)
        printf("%s -> %s (%zu frames at %.3g fps; pose %zu, left hand %zu, right hand %zu, face "
               "%zu)\n",
               in->path, in->out, n, fps, det[DATA_PART_POSE], det[DATA_PART_LEFT_HAND],
               det[DATA_PART_RIGHT_HAND], det[DATA_PART_FACE]);
    else
        printf("%s -> %s (%zu frame; pose %zu, left hand %zu, right hand %zu, face %zu)\n",
               in->path, in->out, n, det[DATA_PART_POSE], det[DATA_PART_LEFT_HAND],
               det[DATA_PART_RIGHT_HAND], det[DATA_PART_FACE]);
    fflush(stdout);
    if (det[0] + det[1] + det[2] + det[3] == 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "'%s': no person found in its %zu frame%s (every landmark is "
                                  "missing)",
                 in->path, n, n == 1 ? "" : "s");
        cli_warn((void *)CMD, msg);
    }
}

/* Handles one record; -1 stops the run (a broken stream). */
static int handle(struct run *r, const struct extract_rec *rec, const char *label,
                  struct error *err)
{
    if (rec->type != EXTRACT_READY && rec->type != EXTRACT_DONE && rec->type != EXTRACT_FATAL &&
        rec->index >= r->n_todo)
        return error_set(err, "%s: index %zu (expected below %zu)", label, rec->index, r->n_todo);
    size_t i = rec->type == EXTRACT_READY || rec->type == EXTRACT_DONE || rec->type == EXTRACT_FATAL
                   ? 0
                   : r->todo[rec->index];
    switch (rec->type) {
    case EXTRACT_READY: r->startup_s = rec->startup_s; break;
    case EXTRACT_VIDEO:
        if (r->open) return error_set(err, "%s: a new video before the end of the last", label);
        extract_video_init(&r->v, rec, r->face_joints);
        r->open = true;
        r->cur = i;
        r->pg.name = r->in[i].path;
        r->pg.done = 0;
        r->pg.expect = rec->frames;
        r->pg.t0 = r->pg.last = now_s();
        if (r->pg.tty) r->pg.last -= 1e9; /* a terminal sees the bar at once; a log only the
                                             end (and every 30 s) */
        progress_draw(&r->pg, false);
        break;
    case EXTRACT_FRAME:
        if (!r->open || i != r->cur)
            return error_set(err, "%s: a frame of input %zu outside its video", label,
                             rec->index);
        if (extract_video_add(&r->v, rec, label, err)) return -1;
        r->pg.done = r->v.frames;
        progress_draw(&r->pg, false);
        break;
    case EXTRACT_END:
        if (!r->open || i != r->cur)
            return error_set(err, "%s: the end of input %zu, which was not begun", label,
                             rec->index);
        finish_video(r, rec->frames);
        break;
    case EXTRACT_ERROR:
        if (r->open && i == r->cur) close_video(r);
        input_failed(r, i, rec->message);
        break;
    case EXTRACT_DONE:
        r->done_seen = true;
        r->served = rec->served;
        r->refused = rec->refused;
        snprintf(r->refused_urls, sizeof r->refused_urls, "%s", rec->message);
        break;
    case EXTRACT_FATAL:
        progress_clear(&r->pg);
        r->fatal = true;
        return error_set(err, "the extractor stopped: %s", rec->message);
    default: break;
    }
    return 0;
}

/* Starts `node extract.js ARGS FILES`; its stdout is *out. */
static pid_t spawn_extractor(char **argv, FILE **out, struct error *err)
{
    int fd[2];
    if (pipe(fd) != 0) {
        error_set(err, "extract: pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        error_set(err, "extract: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        if (dup2(fd[1], STDOUT_FILENO) < 0) _exit(127);
        close(fd[1]);
        execv(argv[0], argv);
        fprintf(stderr, "signstgcn extract: error: cannot run '%s': %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    *out = fdopen(fd[0], "r");
    if (!*out) {
        close(fd[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        error_set(err, "extract: fdopen: %s", strerror(errno));
        return -1;
    }
    return pid;
}

/* The output name of an input: its file name without the last extension. */
static char *output_path(const char *out, const char *in, bool to_pose, struct error *err)
{
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    const char *dot = strrchr(base, '.');
    size_t blen = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    size_t len = strlen(out) + blen + 8;
    char *p = sg_malloc(len, 1, "extract: path", err);
    if (p) snprintf(p, len, "%s/%.*s.%s", out, (int)blen, base, to_pose ? "pose" : "npz");
    return p;
}

int cmd_extract(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},        {"to", required_argument, NULL, 't'},
        {"fps", required_argument, NULL, 'f'},        {"complexity", required_argument, NULL, 'c'},
        {"refine-face", no_argument, NULL, 'r'},      {"overwrite", no_argument, NULL, 'w'},
        {"extractor", required_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *to = "npz", *extractor = NULL, *fps_arg = NULL;
    long complexity = 1;
    double fps = 0;
    bool refine = false, overwrite = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 't': to = optarg; break;
        case 'f':
            if (!cli_parse_double(CMD, "--fps", optarg, 0.001, 1000, &fps)) return CLI_USAGE;
            fps_arg = optarg;
            break;
        case 'c':
            if (!cli_parse_long(CMD, "--complexity", optarg, 0, 2, &complexity)) return CLI_USAGE;
            break;
        case 'r': refine = true; break;
        case 'w': overwrite = true; break;
        case 'x': extractor = optarg; break;
        case 'h': print_help(); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    bool to_pose;
    if (!strcmp(to, "pose")) to_pose = true;
    else if (!strcmp(to, "npz")) to_pose = false;
    else return cli_usage_error(CMD, "--to expects npz or pose, got '%s'", to);
    if (!out) return cli_usage_error(CMD, "--out DIR is required");
    if (optind >= argc) return cli_usage_error(CMD, "no input video given");

    struct error err;
    size_t n_in = (size_t)(argc - optind);
    struct run r;
    memset(&r, 0, sizeof r);
    r.to_pose = to_pose;
    r.face_joints = refine ? 478 : 468;
    r.pg.tty = isatty(STDERR_FILENO);
    r.n_in = n_in;
    int rc = CLI_FAIL;
    char **files = NULL, **child = NULL;
    struct cli_path *paths = NULL;
    FILE *pipe_in = NULL;
    pid_t pid = -1;
    char *line = NULL;
    r.in = sg_calloc(n_in, sizeof *r.in, "extract: inputs", &err);
    r.todo = sg_calloc(n_in, sizeof *r.todo, "extract: inputs", &err);
    files = sg_calloc(n_in + 1, sizeof *files, "extract: names", &err);
    paths = sg_calloc(n_in + 1, sizeof *paths, "extract: paths", &err);
    if (!r.in || !r.todo || !files || !paths) goto fail;
    for (size_t i = 0; i < n_in; i++) {
        r.in[i].path = argv[optind + (int)i];
        if (!(r.in[i].out = output_path(out, r.in[i].path, to_pose, &err))) goto fail;
        files[i] = r.in[i].out + strlen(out) + 1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(files[k], files[i])) {
                rc = cli_usage_error(CMD, "'%s' and '%s' would both be written to '%s'",
                                     r.in[k].path, r.in[i].path, r.in[i].out);
                goto done;
            }
        paths[i] = (struct cli_path){"VIDEO", r.in[i].path, CLI_IN_FILE, NULL};
    }
    paths[n_in] = (struct cli_path){"--out", out, CLI_OUT_DIR, (const char *const *)files};
    if ((rc = cli_check_paths(CMD, paths, n_in + 1)) != CLI_OK) goto done;
    rc = CLI_FAIL;

    for (size_t i = 0; i < n_in; i++) {
        if (!overwrite && is_file(r.in[i].out)) {
            r.in[i].state = IN_SKIPPED;
            fprintf(stderr, "signstgcn %s: '%s': '%s' exists, skipped (--overwrite redoes it)\n",
                    CMD, r.in[i].path, r.in[i].out);
        } else {
            r.todo[r.n_todo++] = i;
        }
    }
    if (r.n_todo > 0) {
        char dir[PATH_MAX], node[PATH_MAX], script[PATH_MAX + 16];
        if (find_extractor(extractor, dir, sizeof dir, &err) ||
            find_node(node, sizeof node, &err))
            goto fail;
        if (cli_make_dirs(out, &err)) goto fail;
        snprintf(script, sizeof script, "%s/extract.js", dir);
        char cx[8];
        snprintf(cx, sizeof cx, "%ld", complexity);
        child = sg_calloc(r.n_todo + 10, sizeof *child, "extract: arguments", &err);
        if (!child) goto fail;
        size_t a = 0;
        child[a++] = node;
        child[a++] = script;
        child[a++] = (char *)"--complexity";
        child[a++] = cx;
        if (fps_arg) {
            child[a++] = (char *)"--fps";
            child[a++] = (char *)fps_arg;
        }
        if (refine) child[a++] = (char *)"--refine-face";
        for (size_t k = 0; k < r.n_todo; k++) child[a++] = (char *)r.in[r.todo[k]].path;
        child[a] = NULL;
        if ((pid = spawn_extractor(child, &pipe_in, &err)) < 0) goto fail;

        size_t cap = 0, lineno = 0;
        ssize_t len;
        bool broken = false;
        while ((len = getline(&line, &cap, pipe_in)) >= 0) {
            lineno++;
            if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
            if (len == 0) continue;
            char label[64];
            snprintf(label, sizeof label, "extract: extractor output line %zu", lineno);
            struct extract_rec rec;
            if (extract_rec_parse(&rec, line, (size_t)len, label, &err) ||
                handle(&r, &rec, label, &err)) {
                extract_rec_free(&rec);
                broken = true;
                break;
            }
            extract_rec_free(&rec);
        }
        if (broken) {
            progress_clear(&r.pg);
            kill(pid, SIGTERM);
            cli_fail(CMD, &err);
        }
        fclose(pipe_in);
        pipe_in = NULL;
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
        if (r.open) close_video(&r);
        if (!broken && !r.done_seen) {
            progress_clear(&r.pg);
            if (WIFSIGNALED(status))
                fprintf(stderr, "signstgcn %s: error: the extractor was killed by signal %d "
                                "before it finished\n",
                        CMD, WTERMSIG(status));
            else
                fprintf(stderr, "signstgcn %s: error: the extractor stopped (exit status %d) "
                                "before it finished\n",
                        CMD, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        for (size_t k = 0; k < r.n_todo; k++)
            if (r.in[r.todo[k]].state == IN_TODO) r.in[r.todo[k]].state = IN_FAILED;
        if (r.refused > 0)
            fprintf(stderr, "signstgcn %s: error: the extractor's page asked for %zu address%s "
                            "outside 127.0.0.1, refused: %s\n",
                    CMD, r.refused, r.refused == 1 ? "" : "es", r.refused_urls);
    }

    {
        size_t nw = 0, ns = 0, nf = 0;
        for (size_t i = 0; i < n_in; i++) {
            nw += r.in[i].state == IN_WRITTEN;
            ns += r.in[i].state == IN_SKIPPED;
            nf += r.in[i].state == IN_FAILED;
        }
        fprintf(stderr, "signstgcn %s: %zu input%s: %zu written, %zu skipped, %zu failed", CMD,
                n_in, n_in == 1 ? "" : "s", nw, ns, nf);
        for (size_t i = 0, k = 0; i < n_in; i++)
            if (r.in[i].state == IN_FAILED) fprintf(stderr, "%s%s", k++ ? ", " : " (", r.in[i].path);
        if (nf) fputc(')', stderr);
        if (r.n_todo > 0)
            fprintf(stderr, "; start-up %.1f s; %zu page requests to 127.0.0.1, %zu refused",
                    r.startup_s, r.served, r.refused);
        fputc('\n', stderr);
        rc = nf == 0 && r.refused == 0 && (r.n_todo == 0 || r.done_seen) ? CLI_OK : CLI_FAIL;
    }
    goto done;
fail:
    progress_clear(&r.pg);
    rc = cli_fail(CMD, &err);
done:
    if (pipe_in) fclose(pipe_in);
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    free(line);
    if (r.open) close_video(&r);
    for (size_t i = 0; r.in && i < n_in; i++) free(r.in[i].out);
    free(r.in);
    free(r.todo);
    free(files);
    free(paths);
    free(child);
    if (fflush(stdout) != 0) rc = CLI_FAIL;
    return rc;
}
