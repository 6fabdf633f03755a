/* cmd_synth.c — `signstgcn synth`: writes the built-in demo dataset.
 *
 * Flags map one to one onto struct synth_config (src/data/synth.h); numbers are parsed
 * strictly (the whole argument, within the generator's limits) and a bad one is a usage
 * error (exit 2). After writing, it prints what it wrote and the flags that the other
 * commands need for this dataset (the sign classes are "s1".."sN", so binary detection
 * lists them with --signing-labels).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/outputs.h"
#include "core/error.h"
#include "data/synth.h"

static const char *const CMD = "synth";

static void synth_help(void)
{
    struct synth_config d;
    synth_config_default(&d);
    printf("usage: signstgcn synth --out DIR [--videos N] [--signers N] [--classes N]\n"
           "                       [--frames N] [--seed S]\n\n"
           "Writes a synthetic demo dataset of MediaPipe Holistic landmarks: DIR/<video>.npz\n"
           "(pose, left_hand, right_hand, face), DIR/groundtruth.txt (a label every %d frames:\n"
           "sign classes s1..sN, rest '%s') and DIR/signers.txt. The same flags give\n"
           "byte-identical files.\n\n"
           "  --out DIR      output folder (created if missing; must not hold other .npz files)\n"
           "  --videos N     number of videos (default %zu, 1..%d)\n"
           "  --signers N    number of signers, at most --videos (default %zu, 1..%d)\n"
           "  --classes N    number of sign classes (default %zu, 1..%d)\n"
           "  --frames N     frames per video (default %zu, %d..%d)\n"
           "  --seed S       random seed (default %llu)\n",
           SYNTH_GT_STEP, SYNTH_REST_LABEL, d.videos, SYNTH_MAX_VIDEOS, d.signers,
           SYNTH_MAX_SIGNERS, d.classes, SYNTH_MAX_CLASSES, d.frames, SYNTH_MIN_FRAMES,
           SYNTH_MAX_FRAMES, (unsigned long long)d.seed);
}

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},     {"videos", required_argument, NULL, 'v'},
        {"signers", required_argument, NULL, 's'}, {"classes", required_argument, NULL, 'c'},
        {"frames", required_argument, NULL, 'f'},  {"seed", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct synth_config cfg;
    synth_config_default(&cfg);
    const char *out = NULL;
    long n;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'v':
            if (!cli_parse_long(CMD, "--videos", optarg, 1, SYNTH_MAX_VIDEOS, &n)) return CLI_USAGE;
            cfg.videos = (size_t)n;
            break;
        case 's':
            if (!cli_parse_long(CMD, "--signers", optarg, 1, SYNTH_MAX_SIGNERS, &n))
                return CLI_USAGE;
            cfg.signers = (size_t)n;
            break;
        case 'c':
            if (!cli_parse_long(CMD, "--classes", optarg, 1, SYNTH_MAX_CLASSES, &n))
                return CLI_USAGE;
            cfg.classes = (size_t)n;
            break;
        case 'f':
            if (!cli_parse_long(CMD, "--frames", optarg, SYNTH_MIN_FRAMES, SYNTH_MAX_FRAMES, &n))
                return CLI_USAGE;
            cfg.frames = (size_t)n;
            break;
        case 'S':
            if (!cli_parse_u64(CMD, "--seed", optarg, &cfg.seed)) return CLI_USAGE;
            break;
        case 'h': synth_help(); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!out || !*out) return cli_usage_error(CMD, "--out DIR is required");
    if (cfg.signers > cfg.videos)
        return cli_usage_error(CMD, "--signers (%zu) must not exceed --videos (%zu)",
                               cfg.signers, cfg.videos);

    static const char *const files[] = {"groundtruth.txt", "signers.txt", NULL};
    const struct cli_path paths[] = {{"--out", out, CLI_OUT_DIR, files}};
    int pc = cli_check_paths(CMD, paths, 1);
    if (pc != CLI_OK) return pc;
    struct error err;
    struct synth_summary sum;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (synth_write_dataset(&cfg, out, &sum, &err)) return cli_fail(CMD, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

    char classes[SYNTH_MAX_CLASSES * 5 + 1] = "";
    for (size_t k = 0; k < cfg.classes; k++) {
        char name[16];
        synth_class_name(k, name, sizeof name);
        if (k) strcat(classes, ",");
        strcat(classes, name);
    }
    printf("wrote %zu videos x %zu frames (%zu signers, %zu left-handed; %zu sign instances of "
           "%zu classes %s; rest '%s') to %s in %.2f s\n",
           sum.videos, cfg.frames, cfg.signers, sum.left_handed_signers, sum.sign_instances,
           cfg.classes, classes, SYNTH_REST_LABEL, out, secs);
    printf("hands not detected in %.1f%% of hand-frames\n",
           100.0 * (double)sum.hand_frames_missing / (2.0 * (double)sum.frames_total));
    printf("binary detection on this data: --binary --signing-labels %s\n", classes);
    return CLI_OK;
}
