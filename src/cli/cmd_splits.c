/* cmd_splits.c — `signstgcn splits`: video-level train/val/test splits written as JSON
 * (SPEC §7; the PyTorch original's build_video_splits, plus --seed and --signers).
 *
 * Reads only the npy headers of each `<data>/<id>.npz` (for T) and the groundtruth, counts S
 * and nonS windows per video, assigns whole videos to splits (data/splits.c) and writes
 * <data>/splits.json, or --out, atomically. A summary goes to stdout; warnings (a groundtruth
 * id without an npz, too few positive videos to give every split one) to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/outputs.h"
#include "core/alloc.h"
#include "core/error.h"
#include "data/splits.h"
#include "io/groundtruth.h"

static const char *const CMD = "splits";

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: signstgcn splits --data DIR [flags]\n\n"
            "Split a dataset's videos into train/val/test (whole videos: windows overlap).\n\n"
            "  --data DIR           dataset folder (<id>.npz files and a groundtruth)\n"
            "  --groundtruth FILE   default <data>/groundtruth.txt, else <data>/groundtruth\n"
            "  --signers FILE       <video_id> <signer_id> lines (default <data>/signers.txt if\n"
            "                       present): all videos of one signer go to one split\n"
            "  --window N           frames per window (25)\n"
            "  --stride N           frames between window starts (1)\n"
            "  --s-label NAME       the signing label, compared case-insensitively (S)\n"
            "  --rule any|majority  a window is S when any frame is annotated NAME (any), or\n"
            "                       when its label is NAME (majority) (any)\n"
            "  --train R --val R --test R   ratios >= 0 summing to 1 (.8 .1 .1)\n"
            "  --seed N             shuffle seed, 0..2^53 (0)\n"
            "  --out FILE           default <data>/splits.json\n");
}

static char *join_path(const char *dir, const char *name, struct error *err)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = sg_malloc(a + b + 2, 1, "path", err);
    if (p) snprintf(p, a + b + 2, "%s%s%s", dir, (a && dir[a - 1] == '/') ? "" : "/", name);
    return p;
}

static bool has_id(char **ids, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ids[mid], id);
        if (!c) return true;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

int cmd_splits(int argc, char **argv)
{
    enum { O_DATA = 256, O_GT, O_SIGNERS, O_WINDOW, O_STRIDE, O_SLABEL, O_RULE, O_TRAIN, O_VAL,
           O_TEST, O_SEED, O_OUT, O_HELP };
    static const struct option opts[] = {
        {"data", required_argument, 0, O_DATA},       {"groundtruth", required_argument, 0, O_GT},
        {"signers", required_argument, 0, O_SIGNERS}, {"window", required_argument, 0, O_WINDOW},
        {"stride", required_argument, 0, O_STRIDE},   {"s-label", required_argument, 0, O_SLABEL},
        {"rule", required_argument, 0, O_RULE},       {"train", required_argument, 0, O_TRAIN},
        {"val", required_argument, 0, O_VAL},         {"test", required_argument, 0, O_TEST},
        {"seed", required_argument, 0, O_SEED},       {"out", required_argument, 0, O_OUT},
        {"help", no_argument, 0, O_HELP},             {0, 0, 0, 0},
    };
    const char *data = NULL, *gt_arg = NULL, *signers_arg = NULL, *s_label = "S", *out_arg = NULL;
    long window = 25, stride = 1, seed = 0;
    double ratios[SPLIT_COUNT] = {0.8, 0.1, 0.1};
    enum split_rule rule = SPLIT_RULE_ANY;
    struct error err = {{0}};

    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_DATA: data = optarg; break;
        case O_GT: gt_arg = optarg; break;
        case O_SIGNERS: signers_arg = optarg; break;
        case O_SLABEL: s_label = optarg; break;
        case O_OUT: out_arg = optarg; break;
        case O_WINDOW:
            if (!cli_parse_long(CMD, "--window", optarg, 1, 1000000, &window)) return CLI_USAGE;
            break;
        case O_STRIDE:
            if (!cli_parse_long(CMD, "--stride", optarg, 1, 1000000, &stride)) return CLI_USAGE;
            break;
        case O_SEED:
            if (!cli_parse_long(CMD, "--seed", optarg, 0, 9007199254740992L, &seed))
                return CLI_USAGE;
            break;
        case O_RULE:
            if (split_rule_parse(optarg, &rule, &err) != 0)
                return cli_usage_error(CMD, "%s", err.msg);
            break;
        case O_TRAIN:
        case O_VAL:
        case O_TEST: {
            static const char *const flag[] = {"--train", "--val", "--test"};
            int k = c - O_TRAIN;
            if (!cli_parse_double(CMD, flag[k], optarg, 0.0, 1.0, &ratios[k])) return CLI_USAGE;
            break;
        }
        case 'h':
        case O_HELP: print_usage(stdout); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!data) return cli_usage_error(CMD, "--data DIR is required");
    if (s_label[0] == '\0') return cli_usage_error(CMD, "--s-label must not be empty");
    if (splits_check_ratios(ratios, &err) != 0) return cli_usage_error(CMD, "%s", err.msg);
    {
        char *def = out_arg ? NULL : join_path(data, "splits.json", &err);
        if (!out_arg && !def) return cli_fail(CMD, &err);
        const struct cli_path paths[] = {
            {"--data", data, CLI_IN_DATA_DIR, NULL},
            {"--groundtruth", gt_arg, CLI_IN_FILE, NULL},
            {"--signers", signers_arg, CLI_IN_FILE, NULL},
            {"--out", out_arg ? out_arg : def, CLI_OUT_FILE, NULL},
        };
        int pc = cli_check_paths(CMD, paths, sizeof paths / sizeof paths[0]);
        free(def);
        if (pc != CLI_OK) return pc;
    }

    int rc = CLI_FAIL;
    struct warn_sink warn = {cli_warn, (void *)CMD};
    char *gt_path = NULL, *signers_path = NULL, *out_path = NULL, **ids = NULL;
    size_t n = 0;
    struct groundtruth gt = {0};
    struct signers sg = {0};
    struct split_video *v = NULL;

    if (splits_list_videos(data, &ids, &n, &err) != 0) goto done;
    if (n == 0) {
        error_set(&err, "splits: no .npz file in '%s' (nor .pose file, nor OpenPose folder)",
                  data);
        goto done;
    }
    if (groundtruth_find(data, gt_arg, true, &gt_path, &err) != 0) goto done;
    if (groundtruth_read(&gt, gt_path, &err) != 0) goto done;
    if (signers_find(data, signers_arg, &signers_path, &err) != 0) goto done;
    if (signers_path && signers_read(&sg, signers_path, &err) != 0) goto done;
    for (size_t i = 0; i < groundtruth_num_videos(&gt); i++) {
        const char *id = groundtruth_video_id(&gt, i);
        if (!has_id(ids, n, id))
            warn_emit(&warn, "groundtruth '%s' names video '%s', which has no '%s.npz' in '%s'",
                      gt_path, id, id, data);
    }
    v = sg_calloc(n, sizeof *v, "videos", &err);
    if (!v) goto done;
    size_t npos = 0, missing_signer = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = splits_video_path(data, ids[i], &err);
        if (!p) goto done;
        int r = splits_video_frames(p, &v[i].frames, &err);
        free(p);
        if (r != 0) goto done;
        v[i].id = ids[i];
        if (splits_count_video(&gt, ids[i], v[i].frames, (size_t)window, (size_t)stride, s_label,
                               rule, &v[i].windows, &v[i].s_windows, &err) != 0)
            goto done;
        npos += v[i].s_windows > 0;
        if (signers_path) {
            v[i].signer = signers_lookup(&sg, ids[i]);
            if (!v[i].signer && missing_signer++ == 0)
                error_set(&err, "splits: signers file '%s' has no line for video '%s'",
                          signers_path, ids[i]);
        }
    }
    if (missing_signer) {
        if (missing_signer > 1)
            error_hint(&err, "%zu videos have no signer line; every video needs one",
                       missing_signer);
        goto done;
    }
    size_t nonzero = 0;
    for (int k = 0; k < SPLIT_COUNT; k++) nonzero += ratios[k] > 0;
    if (npos < nonzero)
        warn_emit(&warn, "only %zu video%s with an S window (--s-label '%s'): not every split "
                  "gets one", npos, npos == 1 ? "" : "s", s_label);
    if (splits_assign(v, n, ratios, (uint64_t)seed, &err) != 0) goto done;

    if (out_arg) out_path = sg_strdup(out_arg, &err);
    else out_path = join_path(data, "splits.json", &err);
    if (!out_path) goto done;
    struct splits_meta meta = {data, gt_path, (size_t)window, (size_t)stride, s_label, rule,
                               {ratios[0], ratios[1], ratios[2]}, (uint64_t)seed};
    if (splits_json_write(out_path, &meta, v, n, &err) != 0) goto done;

    size_t nv[SPLIT_COUNT] = {0}, np[SPLIT_COUNT] = {0}, S[SPLIT_COUNT] = {0},
           nonS[SPLIT_COUNT] = {0}, tot_w = 0, tot_s = 0;
    for (size_t i = 0; i < n; i++) {
        int k = v[i].split;
        nv[k]++;
        np[k] += v[i].s_windows > 0;
        S[k] += v[i].s_windows;
        nonS[k] += v[i].windows - v[i].s_windows;
        tot_w += v[i].windows;
        tot_s += v[i].s_windows;
    }
    printf("%zu videos (%zu with an S window), %zu windows: S %zu, nonS %zu%s\n", n, npos, tot_w,
           tot_s, tot_w - tot_s, signers_path ? " (signer-disjoint)" : "");
    for (int k = 0; k < SPLIT_COUNT; k++)
        printf("  %-5s %6zu videos (%zu positive)  S %zu  nonS %zu\n", split_name(k), nv[k],
               np[k], S[k], nonS[k]);
    printf("wrote %s\n", out_path);
    rc = CLI_OK;
done:
    if (rc != CLI_OK) cli_fail(CMD, &err);
    free(v);
    splits_free_ids(ids, n);
    groundtruth_free(&gt);
    signers_free(&sg);
    free(gt_path);
    free(signers_path);
    free(out_path);
    return rc;
}
