/* cmd_convert.c — `signstgcn convert IN... --to npz|pose --out DIR`: recordings between
 * formats.
 *
 * Each IN is a `.npz` file, a pose-format `.pose` file or a folder of OpenPose JSON frames
 * (data/landmarks.h reads them all the same way); it is written to DIR/<id>.npz or
 * DIR/<id>.pose (atomically), <id> being the file's name without its extension or the
 * folder's name. npz gets x, y divided by the recording's frame size (the values the loader
 * uses); `.pose` (version 0.2) keeps pixels where the input has them and otherwise multiplies
 * normalised values by --size (1024x1024, a power of two, so that npz → pose → npz gives back
 * the same floats). --size WxH also tells what frame OpenPose JSON pixels refer to. --fps sets
 * the `.pose` frame rate where the input has none (npz, OpenPose JSON). Every input is
 * converted, or none after the first failing one (exit 1 naming it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/outputs.h"
#include "core/alloc.h"
#include "core/error.h"
#include "data/landmarks.h"

static const char *const CMD = "convert";

static void print_help(void)
{
    printf("usage: signstgcn convert IN... --to npz|pose --out DIR [--person N] [--size WxH]\n"
           "                         [--fps F]\n\n"
           "Converts landmark recordings: each IN is a .npz file, a pose-format .pose file or a\n"
           "folder of OpenPose <name>_<frame>_keypoints.json files; writes DIR/<id>.npz or\n"
           "DIR/<id>.pose.\n\n"
           "  --to FORMAT   npz or pose (required)\n"
           "  --out DIR     output folder (created if missing; required)\n"
           "  --person N    the person of a .pose input with several (0)\n"
           "  --size WxH    frame size in pixels: what OpenPose JSON pixels refer to, and the\n"
           "                .pose frame for normalised inputs (1024x1024)\n"
           "  --fps F       .pose frame rate for inputs without one (npz, OpenPose; 0)\n");
}

static bool parse_size(const char *s, unsigned *w, unsigned *h)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != 'x' || errno || a == 0 || a > 65535) return false;
    const char *t = end + 1;
    unsigned long b = strtoul(t, &end, 10);
    if (end == t || *end != '\0' || errno || b == 0 || b > 65535) return false;
    *w = (unsigned)a;
    *h = (unsigned)b;
    return true;
}

int cmd_convert(int argc, char **argv)
{
    static const struct option opts[] = {
        {"to", required_argument, NULL, 't'},     {"out", required_argument, NULL, 'o'},
        {"person", required_argument, NULL, 'p'}, {"size", required_argument, NULL, 's'},
        {"fps", required_argument, NULL, 'f'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *to = NULL, *out = NULL;
    long person = 0;
    unsigned w = 0, h = 0;
    double fps = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 't': to = optarg; break;
        case 'o': out = optarg; break;
        case 'p':
            if (!cli_parse_long(CMD, "--person", optarg, 0, 65534, &person)) return CLI_USAGE;
            break;
        case 's':
            if (!parse_size(optarg, &w, &h))
                return cli_usage_error(CMD, "--size expects WxH in pixels (1..65535), got '%s'",
                                       optarg);
            break;
        case 'f':
            if (!cli_parse_double(CMD, "--fps", optarg, 0, 1e6, &fps)) return CLI_USAGE;
            break;
        case 'h': print_help(); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (!to) return cli_usage_error(CMD, "--to npz|pose is required");
    bool to_pose;
    if (!strcmp(to, "pose")) to_pose = true;
    else if (!strcmp(to, "npz")) to_pose = false;
    else return cli_usage_error(CMD, "--to expects npz or pose, got '%s'", to);
    if (!out) return cli_usage_error(CMD, "--out DIR is required");
    if (optind >= argc) return cli_usage_error(CMD, "no input recording given");

    /* before any work: no output over an input (converting DIR/a.npz --to npz --out DIR
     * would replace it), the output folder writable (cli/outputs.h) */
    {
        size_t n_in = (size_t)(argc - optind), n = 0;
        struct cli_path *p = calloc(n_in + 1, sizeof *p);
        char **files = calloc(n_in + 1, sizeof *files);
        int pc = CLI_FAIL;
        if (p && files) {
            for (size_t i = 0; i < n_in; i++) {
                const char *in = argv[optind + (int)i];
                const char *base = strrchr(in, '/');
                size_t len = strlen(in);
                while (len > 1 && in[len - 1] == '/') len--; /* an OpenPose folder as DIR/ */
                base = NULL;
                for (size_t k = 0; k < len; k++)
                    if (in[k] == '/') base = in + k + 1;
                if (!base) base = in;
                size_t blen = (size_t)(in + len - base);
                if (blen > 4 && !strncmp(base + blen - 4, ".npz", 4)) blen -= 4;
                else if (blen > 5 && !strncmp(base + blen - 5, ".pose", 5)) blen -= 5;
                size_t m = blen + 6;
                if (!(files[i] = malloc(m))) break;
                snprintf(files[i], m, "%.*s.%s", (int)blen, base, to_pose ? "pose" : "npz");
                p[n++] = (struct cli_path){"IN", in, CLI_IN_FILE, NULL};
            }
            if (n == n_in) {
                p[n++] = (struct cli_path){"--out", out, CLI_OUT_DIR, (const char *const *)files};
                pc = cli_check_paths(CMD, p, n);
            }
        }
        for (size_t i = 0; files && i < n_in; i++) free(files[i]);
        free(files);
        free(p);
        if (pc != CLI_OK) return pc;
    }
    struct error err;
    struct stat st;
    if (stat(out, &st) != 0) {
        if (mkdir(out, 0777) != 0) {
            error_set(&err, "convert: '%s': cannot create the folder: %s", out, strerror(errno));
            return cli_fail(CMD, &err);
        }
    } else if (!S_ISDIR(st.st_mode)) {
        error_set(&err, "convert: '%s' is not a folder", out);
        return cli_fail(CMD, &err);
    }
    struct landmark_read_opts ro = {(size_t)person, w, h};
    for (int i = optind; i < argc; i++) {
        struct landmarks lm;
        if (landmarks_read(&lm, argv[i], &ro, &err)) return cli_fail(CMD, &err);
        char *id = landmark_id_of_path(argv[i], lm.format, &err);
        size_t plen = strlen(out) + (id ? strlen(id) : 0) + 8;
        char *path = id ? sg_malloc(plen, 1, "convert: path", &err) : NULL;
        int rc = -1;
        if (path) {
            snprintf(path, plen, "%s/%s.%s", out, id, to_pose ? "pose" : "npz");
            if (to_pose) {
                rc = landmarks_write_pose(&lm, path, w ? w : 1024, h ? h : 1024, fps, &err);
            } else {
                landmarks_normalize(&lm);
                rc = landmarks_write_npz(&lm, path, &err);
            }
        }
        if (rc == 0)
            printf("%s -> %s (%s, %zu frames)\n", argv[i], path, skeleton_name(lm.skeleton),
                   lm.frames);
        free(id);
        free(path);
        landmarks_free(&lm);
        if (rc) return cli_fail(CMD, &err);
    }
    if (fflush(stdout) != 0) {
        error_set(&err, "convert: cannot write the output");
        return cli_fail(CMD, &err);
    }
    return CLI_OK;
}
