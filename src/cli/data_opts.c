/* data_opts.c — parsing the shared data flags into a struct data_config (SPEC §1).
 *
 * Numbers are strict (cli_parse_long: the whole argument, within range); an enum value
 * must be one of its names; a path or label list longer than the config's fixed buffers is
 * a usage error rather than a silent truncation. Ranges: --window and --stride 1..1000000,
 * --coords 1..4 (x, y, z, visibility: the MediaPipe layout has no fifth channel).
 * The defaults are data_config_default()'s; this file only changes what a flag names.
 */
#include "cli/data_opts.h"

#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "data/config.h"
#include "graph/topology.h"
#include "io/groundtruth.h"

static const struct option shared[] = {
    {"window", required_argument, NULL, DATA_OPT_WINDOW},
    {"stride", required_argument, NULL, DATA_OPT_STRIDE},
    {"coords", required_argument, NULL, DATA_OPT_COORDS},
    {"include-pose", no_argument, NULL, DATA_OPT_INCLUDE_POSE},
    {"no-include-pose", no_argument, NULL, DATA_OPT_NO_INCLUDE_POSE},
    {"include-hands", no_argument, NULL, DATA_OPT_INCLUDE_HANDS},
    {"include-face", no_argument, NULL, DATA_OPT_INCLUDE_FACE},
    {"face-points", required_argument, NULL, DATA_OPT_FACE_POINTS},
    {"normalize", required_argument, NULL, DATA_OPT_NORMALIZE},
    {"zero-is-missing", no_argument, NULL, DATA_OPT_ZERO_IS_MISSING},
    {"no-zero-is-missing", no_argument, NULL, DATA_OPT_NO_ZERO_IS_MISSING},
    {"label-fill", required_argument, NULL, DATA_OPT_LABEL_FILL},
    {"groundtruth", required_argument, NULL, DATA_OPT_GROUNDTRUTH},
    {"signers", required_argument, NULL, DATA_OPT_SIGNERS},
    {"binary", no_argument, NULL, DATA_OPT_BINARY},
    {"signing-labels", required_argument, NULL, DATA_OPT_SIGNING_LABELS},
    {"person", required_argument, NULL, DATA_OPT_PERSON},
};
#define N_SHARED (sizeof shared / sizeof shared[0])
_Static_assert(N_SHARED == DATA_OPT_END - DATA_OPT_FIRST, "one table entry per option value");

size_t data_opts_count(void)
{
    return N_SHARED;
}

size_t data_opts_build(struct option *dst, size_t cap, const struct option *extra)
{
    size_t n = 0;
    for (size_t i = 0; i < N_SHARED; i++) {
        CHECK(n + 1 < cap);
        dst[n++] = shared[i];
    }
    for (const struct option *o = extra; o && o->name; o++) {
        CHECK(n + 1 < cap);
        dst[n++] = *o;
    }
    CHECK(n < cap);
    memset(&dst[n], 0, sizeof dst[n]);
    return n;
}

static int copy_text(const char *cmd, const char *flag, const char *arg, char *dst, size_t cap)
{
    size_t len = strlen(arg);
    if (len >= cap) {
        cli_usage_error(cmd, "%s is %zu bytes long (at most %zu)", flag, len, cap - 1);
        return -1;
    }
    memcpy(dst, arg, len + 1);
    return 1;
}

int data_opts_handle(const char *cmd, int c, const char *arg, struct data_config *cfg)
{
    long v;
    int e;
    struct error err;
    switch (c) {
    case DATA_OPT_WINDOW:
        if (!cli_parse_long(cmd, "--window", arg, 1, 1000000, &v)) return -1;
        cfg->window = (size_t)v;
        return 1;
    case DATA_OPT_STRIDE:
        if (!cli_parse_long(cmd, "--stride", arg, 1, 1000000, &v)) return -1;
        cfg->stride = (size_t)v;
        return 1;
    case DATA_OPT_COORDS:
        if (!cli_parse_long(cmd, "--coords", arg, 1, DATA_COORDS_MAX, &v)) return -1;
        cfg->coords = (size_t)v;
        return 1;
    case DATA_OPT_INCLUDE_POSE: cfg->include_pose = true; return 1;
    case DATA_OPT_NO_INCLUDE_POSE: cfg->include_pose = false; return 1;
    case DATA_OPT_INCLUDE_HANDS: cfg->include_hands = true; return 1;
    case DATA_OPT_INCLUDE_FACE: cfg->include_face = true; return 1;
    case DATA_OPT_FACE_POINTS:
        e = face_points_parse(arg);
        if (e < 0) {
            cli_usage_error(cmd, "--face-points expects all, contours or lips, got '%s'", arg);
            return -1;
        }
        cfg->face_points = (enum face_points)e;
        return 1;
    case DATA_OPT_NORMALIZE:
        e = data_normalize_parse(arg);
        if (e < 0) {
            cli_usage_error(cmd, "--normalize expects shoulders or none, got '%s'", arg);
            return -1;
        }
        cfg->normalize = (enum data_normalize)e;
        return 1;
    case DATA_OPT_ZERO_IS_MISSING: cfg->zero_is_missing = true; return 1;
    case DATA_OPT_NO_ZERO_IS_MISSING: cfg->zero_is_missing = false; return 1;
    case DATA_OPT_LABEL_FILL:
        if (label_fill_parse(arg, &cfg->label_fill, &err) < 0) {
            cli_usage_error(cmd, "--label-fill expects none or previous, got '%s'", arg);
            return -1;
        }
        return 1;
    case DATA_OPT_GROUNDTRUTH:
        return copy_text(cmd, "--groundtruth", arg, cfg->groundtruth, sizeof cfg->groundtruth);
    case DATA_OPT_SIGNERS:
        return copy_text(cmd, "--signers", arg, cfg->signers, sizeof cfg->signers);
    case DATA_OPT_BINARY: cfg->binary = true; return 1;
    case DATA_OPT_SIGNING_LABELS:
        return copy_text(cmd, "--signing-labels", arg, cfg->signing_labels,
                         sizeof cfg->signing_labels);
    case DATA_OPT_PERSON:
        if (!cli_parse_long(cmd, "--person", arg, 0, 65534, &v)) return -1;
        cfg->person = (size_t)v;
        return 1;
    default: return 0;
    }
}

int data_opts_finish(const char *cmd, const struct data_config *cfg)
{
    if (!cfg->include_pose && !cfg->include_hands && !cfg->include_face) {
        cli_usage_error(cmd, "--no-include-pose leaves no part: add --include-hands or "
                             "--include-face");
        return -1;
    }
    return 0;
}

void data_opts_print_help(FILE *f)
{
    fprintf(f,
            "data flags:\n"
            "  --window N            frames per window (25)\n"
            "  --stride N            frames between window starts (1)\n"
            "  --coords C            channels kept per joint, 1..4: x,y,z,visibility (2)\n"
            "  --include-pose        use the 33 pose joints (on; --no-include-pose: off)\n"
            "  --include-hands       use the 2x21 hand joints (off)\n"
            "  --include-face        use the face points (off)\n"
            "  --face-points SET     all|contours|lips: the face points kept (all)\n"
            "  --normalize MODE      shoulders|none (shoulders)\n"
            "  --no-zero-is-missing  joints with all-zero channels count as detected\n"
            "  --label-fill MODE     none|previous: how sparse annotations fill frames (none)\n"
            "  --groundtruth FILE    annotations (default <data>/groundtruth.txt or "
            "<data>/groundtruth)\n"
            "  --signers FILE        real signer ids (default <data>/signers.txt)\n"
            "  --binary              signing / not_signing classes\n"
            "  --signing-labels L    labels that mean signing (" DATA_SIGNING_LABELS_DEFAULT
            ")\n"
            "  --person N            the person of a .pose file with several (0)\n");
}
