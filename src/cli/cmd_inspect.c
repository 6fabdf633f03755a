/* cmd_inspect.c — `signstgcn inspect --data DIR [data flags]`: what a dataset holds.
 *
 * Loads the dataset exactly as training would (same flags, same checks, same errors), then
 * prints per file its npz members (name, shape, dtype), frames, windows and — with a
 * groundtruth — labelled/unlabelled windows and windows per label; then the totals: files,
 * frames, windows, labelled/unlabelled windows, windows per label, joints J, channels C.
 * With --binary the labelled windows are also counted per class (signing / not_signing, by
 * --signing-labels). Without a groundtruth the label columns are left out. The PyTorch original's
 * check_npz_files, grown up: a bad file stops it with the loader's one-line message (exit 1).
 * Labels are listed in byte order of their names.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data_opts.h"
#include "core/alloc.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/windows.h"

static const char *const CMD = "inspect";

static void print_help(void)
{
    printf("usage: signstgcn inspect --data DIR [data flags]\n\n"
           "Loads every recording of DIR (.npz, .pose, OpenPose folders) as training would and\n"
           "prints, per file, its members or components, frames (and fps), windows and windows\n"
           "per label, then the dataset's totals.\n\n"
           "  --data DIR            the dataset folder (required)\n");
    data_opts_print_help(stdout);
}

static void print_shape(const struct data_member_info *m)
{
    char buf[160];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "(");
    for (int d = 0; d < m->ndim && n < sizeof buf; d++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%zu", d ? ", " : "", m->shape[d]);
    if (n < sizeof buf) snprintf(buf + n, sizeof buf - n, "%s)", m->ndim == 1 ? "," : "");
    printf("%-18s", buf);
}

static const struct groundtruth *sort_gt;
static int cmp_label(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return strcmp(groundtruth_label_name(sort_gt, x), groundtruth_label_name(sort_gt, y));
}

static void print_label_counts(const struct dataset *ds, const int32_t *order,
                               const size_t *counts, const char *indent)
{
    size_t n_labels = groundtruth_num_labels(&ds->gt);
    for (size_t k = 0; k < n_labels; k++) {
        int32_t id = order[k];
        if (!counts[id]) continue;
        printf("%s%-24s %zu\n", indent, groundtruth_label_name(&ds->gt, id), counts[id]);
    }
}

/* --binary: labelled windows per class (signing when the label is in --signing-labels). */
static void print_binary(const struct dataset *ds, const struct name_list *signing,
                         int32_t *class_of_label)
{
    const size_t n_labels = groundtruth_num_labels(&ds->gt);
    windows_binary_map(signing, (const char *const *)ds->gt.labels, n_labels, class_of_label);
    size_t n[2] = {0, 0};
    for (size_t i = 0; i < ds->n_windows; i++)
        if (ds->windows[i].label >= 0) n[class_of_label[ds->windows[i].label] == 1]++;
    static const char *const names[] = WINDOWS_BINARY_CLASS_NAMES;
    printf("  windows per class (--binary):\n");
    for (int k = 0; k < 2; k++) printf("    %-24s %zu\n", names[k], n[k]);
}

static void print_dataset(const struct dataset *ds, const int32_t *order, size_t *file_counts,
                          size_t *total_counts)
{
    const size_t n_labels = ds->has_groundtruth ? groundtruth_num_labels(&ds->gt) : 0;
    size_t frames = 0, labelled = 0;
    printf("data:        %s\n", ds->dir);
    printf("groundtruth: %s\n", ds->has_groundtruth ? ds->groundtruth_path : "(none)");
    printf("windows:     %zu frames, stride %zu\n\n", ds->cfg.window, ds->cfg.stride);
    for (size_t i = 0; i < ds->n_videos; i++) {
        const struct data_video *v = &ds->videos[i];
        size_t lab = 0;
        memset(file_counts, 0, n_labels * sizeof *file_counts);
        for (size_t k = 0; k < v->n_windows; k++) {
            int32_t l = ds->windows[v->first_window + k].label;
            if (l < 0) continue;
            lab++;
            file_counts[l]++;
            total_counts[l]++;
        }
        frames += v->frames;
        labelled += lab;
        if (v->format == LANDMARK_NPZ && v->fps > 0) /* an `fps` member (extract writes it) */
            printf("%s.npz: %zu frames, fps %g, %zu window%s", v->id, v->frames, v->fps,
                   v->n_windows, v->n_windows == 1 ? "" : "s");
        else if (v->format == LANDMARK_NPZ)
            printf("%s.npz: %zu frames, %zu window%s", v->id, v->frames, v->n_windows,
                   v->n_windows == 1 ? "" : "s");
        else
            printf("%s%s: %s, %s, %zu frames, fps %g, %zu window%s", v->id,
                   v->format == LANDMARK_POSE ? ".pose" : "/",
                   v->format == LANDMARK_POSE ? "pose-format" : "OpenPose JSON",
                   skeleton_name(v->skeleton), v->frames, v->fps, v->n_windows,
                   v->n_windows == 1 ? "" : "s");
        if (ds->has_groundtruth)
            printf(" (%zu labelled, %zu unlabelled; %zu annotation%s)", lab, v->n_windows - lab,
                   v->n_annotations, v->n_annotations == 1 ? "" : "s");
        printf("%s\n", v->normalized ? "" : ", not normalised");
        if (v->format != LANDMARK_NPZ) {
            printf("    %-24s %-7s %s\n", "component", "points", "format");
            for (size_t k = 0; k < v->n_members; k++) {
                const struct data_member_info *m = &v->members[k];
                printf("    %-24s %-7zu %s%s\n", m->name, m->shape[1], m->descr,
                       m->ok ? "" : " (not used)");
            }
        } else {
            printf("    %-14s %-18s %s\n", "member", "shape", "dtype");
            for (size_t k = 0; k < v->n_members; k++) {
                const struct data_member_info *m = &v->members[k];
                printf("    %-14s ", m->name);
                if (m->ndim > 0 || m->ok) print_shape(m);
                else printf("%-18s", "?");
                printf(" %s%s\n", m->descr[0] ? m->descr : "?",
                       m->fortran_order ? ", Fortran order" : "");
            }
        }
        if (lab) {
            printf("    windows per label:\n");
            print_label_counts(ds, order, file_counts, "      ");
        }
        printf("\n");
    }
    printf("totals\n");
    printf("  files                %zu\n", ds->n_videos);
    printf("  frames               %zu\n", frames);
    printf("  windows              %zu\n", ds->n_windows);
    if (ds->has_groundtruth) {
        printf("  labelled windows     %zu\n", labelled);
        printf("  unlabelled windows   %zu\n", ds->n_windows - labelled);
    }
    printf("  joints J             %zu\n", ds->layout.joints);
    printf("  channels C           %zu\n", ds->layout.coords);
    printf("  landmark bytes       %zu\n", dataset_landmark_bytes(ds));
    printf("  skeleton             %s\n", skeleton_name(ds->layout.skeleton));
    if (ds->has_groundtruth && labelled) {
        printf("  windows per label:\n");
        print_label_counts(ds, order, total_counts, "    ");
    }
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option own[] = {
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option opts[64];
    data_opts_build(opts, sizeof opts / sizeof opts[0], own);
    struct data_config cfg;
    data_config_default(&cfg);
    const char *data = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int h = data_opts_handle(CMD, c, optarg, &cfg);
        if (h < 0) return CLI_USAGE;
        if (h > 0) continue;
        switch (c) {
        case 'd': data = optarg; break;
        case 'h': print_help(); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!data) return cli_usage_error(CMD, "--data DIR is required");
    if (data_opts_finish(CMD, &cfg)) return CLI_USAGE;

    struct warn_sink warn = {cli_warn, (void *)CMD};
    struct error err;
    struct name_list signing = {0};
    if (cfg.binary && name_list_parse(&signing, cfg.signing_labels, "--signing-labels", false,
                                      &err))
        return cli_usage_error(CMD, "%s", err.msg);
    struct dataset ds;
    if (dataset_load(&ds, data, &cfg, false, &warn, &err)) {
        name_list_free(&signing);
        return cli_fail(CMD, &err);
    }

    const size_t n_labels = ds.has_groundtruth ? groundtruth_num_labels(&ds.gt) : 0;
    int32_t *order = sg_calloc(n_labels, sizeof *order, "inspect: labels", &err);
    int32_t *class_of_label = sg_calloc(n_labels, sizeof *order, "inspect: labels", &err);
    size_t *file_counts = sg_calloc(n_labels, sizeof *file_counts, "inspect: labels", &err);
    size_t *total_counts = sg_calloc(n_labels, sizeof *total_counts, "inspect: labels", &err);
    int rc = CLI_OK;
    if (!order || !class_of_label || !file_counts || !total_counts) {
        rc = cli_fail(CMD, &err);
    } else {
        for (size_t k = 0; k < n_labels; k++) order[k] = (int32_t)k;
        sort_gt = &ds.gt;
        qsort(order, n_labels, sizeof *order, cmp_label);
        print_dataset(&ds, order, file_counts, total_counts);
        if (cfg.binary && ds.has_groundtruth) print_binary(&ds, &signing, class_of_label);
        if (fflush(stdout) != 0) {
            error_set(&err, "inspect: cannot write the output");
            rc = cli_fail(CMD, &err);
        }
    }
    free(order);
    free(class_of_label);
    name_list_free(&signing);
    free(file_counts);
    free(total_counts);
    dataset_free(&ds);
    return rc;
}
