/* dataset.c — landmark files to normalised per-video arrays and window views (SPEC §1.1–1.2).
 *
 * Per file, in parallel (OpenMP, one file per iteration, each thread owns the video it
 * writes): open the npz, check the headers of the members in use (the included parts and,
 * always, the file's pose: normalisation and the signer statistics use it even with
 * --no-include-pose), read only those, and build the video with data_video_build (video.c):
 * T × J × C float32 landmarks and per-frame statistic sums. A window is (video, start,
 * label): a batch copies its frames out of the video's array and pads short videos with zero
 * frames, and its statistics come from the real frames' sums, so the raw coordinates are not
 * kept.
 *
 * Errors name the file and member; the first failing file in byte order is reported, so the
 * message does not depend on the thread count. Files are checked one by one, then across
 * files (the face point count with --face-points all). Not done here: class mapping and
 * binary mode (src/data/windows.h, applied by the trainer through dataset_fill_batch's
 * label_map), splits, signers.
 */
#include "data/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/windows.h"
#include "graph/topology.h"

/* ---- files ---------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The *.npz entries of dir (regular files, or links to them), byte order. */
static int list_npz(const char *dir, char ***out, size_t *n_out, struct error *err)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return error_set(err, "dataset: '%s': cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".npz") != 0) continue;
        size_t plen = strlen(dir) + len + 2;
        char *p = sg_malloc(plen, 1, "dataset: path", err);
        if (!p) { rc = -1; break; }
        snprintf(p, plen, "%s/%s", dir, e->d_name);
        struct stat st;
        bool regular = stat(p, &st) == 0 && S_ISREG(st.st_mode);
        free(p);
        if (!regular) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            if (sg_realloc((void **)&names, cap, sizeof *names, "dataset: file list", err)) {
                rc = -1;
                break;
            }
        }
        if (!(names[n] = sg_strdup(e->d_name, err))) { rc = -1; break; }
        n++;
    }
    closedir(d);
    if (rc) {
        free_names(names, n);
        return -1;
    }
    if (n == 0) {
        free(names);
        return error_set(err, "dataset: '%s': no .npz files in the folder", dir);
    }
    qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return 0;
}

/* Per-thread buffers for the raw parts, grown as needed. */
struct scratch {
    float *buf[DATA_PART_COUNT];
    size_t cap[DATA_PART_COUNT];
};

static void scratch_free(struct scratch *s)
{
    for (int p = 0; p < DATA_PART_COUNT; p++) free(s->buf[p]);
}

static int copy_members(struct data_video *v, const struct npz *z, struct error *err)
{
    v->members = sg_calloc(z->n_members, sizeof *v->members, "dataset: member list", err);
    if (!v->members) return -1;
    v->n_members = z->n_members;
    for (size_t i = 0; i < z->n_members; i++) {
        const struct npz_member *m = &z->members[i];
        struct data_member_info *d = &v->members[i];
        if (!(d->name = sg_strdup(m->name, err))) return -1;
        memcpy(d->descr, m->descr, sizeof d->descr);
        d->descr[sizeof d->descr - 1] = '\0';
        d->ok = m->ok;
        d->fortran_order = m->fortran_order;
        d->ndim = m->ndim;
        memcpy(d->shape, m->shape, sizeof d->shape);
    }
    return 0;
}

/* Opens, checks and builds one video. With --face-points all and --include-face, a file
 * without a face is built with no face joints and expanded once the dataset's face count is
 * known (expand_face). */
static int load_video(const struct data_config *cfg, struct data_video *v, struct scratch *sc,
                      struct error *err)
{
    struct npz z;
    if (npz_open(&z, v->path, err)) return -1;
    int rc = -1;
    if (copy_members(v, &z, err)) goto out;

    int idx[DATA_PART_COUNT];
    bool any = false;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        idx[p] = npz_find(&z, data_part_name((enum data_part)p));
        any |= idx[p] >= 0;
    }
    if (!any) {
        error_set(err, "dataset: '%s': none of the members pose, left_hand, right_hand, face",
                  v->path);
        goto out;
    }

    /* Headers of the members in use: ndim 3, frames agree. */
    struct data_raw_video raw;
    memset(&raw, 0, sizeof raw);
    int t_from = -1;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        if (idx[p] < 0 || !(data_part_included(cfg, (enum data_part)p) || p == DATA_PART_POSE)) {
            idx[p] = -1;
            continue;
        }
        const struct npz_member *m = &z.members[idx[p]];
        if (!m->ok) {
            error_set(err, "dataset: '%s': member '%s': %s", v->path, m->name, m->reason);
            goto out;
        }
        if (m->ndim != 3) {
            error_set(err,
                      "dataset: '%s': member '%s' has %d dimension%s (expected 3: frames, "
                      "joints, channels)",
                      v->path, m->name, m->ndim, m->ndim == 1 ? "" : "s");
            goto out;
        }
        if (t_from < 0) {
            t_from = p;
            raw.frames = m->shape[0];
        } else if (m->shape[0] != raw.frames) {
            error_set(err, "dataset: '%s': member '%s' has %zu frames but member '%s' has %zu",
                      v->path, m->name, m->shape[0], data_part_name((enum data_part)t_from),
                      raw.frames);
            goto out;
        }
        raw.part[p].joints = m->shape[1];
        raw.part[p].channels = m->shape[2];
    }
    if (raw.frames > UINT32_MAX) {
        error_set(err, "dataset: '%s': %zu frames (at most %u)", v->path, raw.frames,
                  (unsigned)UINT32_MAX);
        goto out;
    }

    /* Layout of this file, then the checks on shapes before anything large is read. */
    v->has_pose = idx[DATA_PART_POSE] >= 0;
    v->face_in_file = idx[DATA_PART_FACE] >= 0 ? raw.part[DATA_PART_FACE].joints : 0;
    struct data_layout lay;
    data_layout_init(&lay, cfg,
                     (cfg->face_points == FACE_POINTS_ALL && data_face_count_ok(v->face_in_file))
                         ? v->face_in_file
                         : 0);
    bool any_used = false;
    for (int p = 0; p < DATA_PART_COUNT; p++) any_used |= idx[p] >= 0;
    if (!any_used) {
        error_set(err,
                  "dataset: '%s': neither an included part nor a pose member (included: %s%s%s)",
                  v->path, cfg->include_pose ? "pose " : "",
                  cfg->include_hands ? "left_hand right_hand " : "",
                  cfg->include_face ? "face" : "");
        goto out;
    }
    {
        /* Shapes only: a placeholder stands for the data not read yet. */
        struct data_raw_video hdr = raw;
        static const float placeholder = 0.0f;
        for (int p = 0; p < DATA_PART_COUNT; p++)
            if (idx[p] >= 0) hdr.part[p].data = &placeholder;
        if (data_raw_check(cfg, &lay, &hdr, v->path, err)) goto out;
    }

    /* Read the members in use. */
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        if (idx[p] < 0) continue;
        size_t count = z.members[idx[p]].count;
        if (count > sc->cap[p]) {
            if (sg_realloc((void **)&sc->buf[p], count, sizeof(float), "dataset: part buffer",
                           err)) {
                error_prefix(err, "dataset: '%s': member '%s'", v->path,
                             data_part_name((enum data_part)p));
                goto out;
            }
            sc->cap[p] = count;
        }
        if (npz_read_f32(&z, (size_t)idx[p], sc->buf[p], count, err)) goto out;
        raw.part[p].data = sc->buf[p];
    }

    size_t n_x, n_s;
    if (!size_mul(raw.frames, lay.joints, &n_x) || !size_mul(n_x, cfg->coords, &n_x) ||
        !size_mul(raw.frames, data_frame_stats_size(cfg->coords), &n_s)) {
        error_set(err, "dataset: '%s': %zu frames x %zu joints is too large", v->path,
                  raw.frames, lay.joints);
        goto out;
    }
    v->frames = raw.frames;
    if (!(v->x = sg_malloc(n_x, sizeof *v->x, "dataset: landmarks", err)) ||
        !(v->frame_stats = sg_malloc(n_s, sizeof *v->frame_stats, "dataset: statistics", err))) {
        error_prefix(err, "dataset: '%s'", v->path);
        goto out;
    }
    data_video_build(cfg, &lay, &raw, v->x, v->frame_stats, v->stat_ref, &v->normalized);
    rc = 0;
out:
    npz_close(&z);
    return rc;
}

/* Grows a video built without face joints to J = J0 + F joints per frame, the face zero. */
static int expand_face(struct data_video *v, const struct data_layout *lay, struct error *err)
{
    const size_t C = lay->coords, J = lay->joints, J0 = lay->part_offset[DATA_PART_FACE];
    if (J == J0) return 0;
    if (sg_realloc((void **)&v->x, v->frames * J, C * sizeof *v->x, "dataset: landmarks", err))
        return error_prefix(err, "dataset: '%s'", v->path);
    for (size_t t = v->frames; t-- > 0;) {
        memmove(v->x + t * J * C, v->x + t * J0 * C, J0 * C * sizeof *v->x);
        memset(v->x + (t * J + J0) * C, 0, (J - J0) * C * sizeof *v->x);
    }
    return 0;
}

static void video_free(struct data_video *v)
{
    free(v->id);
    free(v->path);
    free(v->x);
    free(v->frame_stats);
    free(v->labels);
    for (size_t i = 0; i < v->n_members; i++) free(v->members[i].name);
    free(v->members);
}

void dataset_free(struct dataset *ds)
{
    if (!ds) return;
    for (size_t i = 0; i < ds->n_videos; i++) video_free(&ds->videos[i]);
    free(ds->videos);
    free(ds->windows);
    free(ds->dir);
    free(ds->groundtruth_path);
    if (ds->has_groundtruth) groundtruth_free(&ds->gt);
    memset(ds, 0, sizeof *ds);
}

/* Face point count across files (--face-points all): every file with a face agrees. */
static int settle_face(struct dataset *ds, struct error *err)
{
    const struct data_config *cfg = &ds->cfg;
    size_t first = ds->n_videos;
    for (size_t i = 0; i < ds->n_videos; i++) {
        const struct data_video *v = &ds->videos[i];
        if (!v->face_in_file) continue;
        if (first == ds->n_videos) {
            first = i;
        } else if (cfg->include_face && cfg->face_points == FACE_POINTS_ALL &&
                   v->face_in_file != ds->videos[first].face_in_file) {
            error_set(err,
                      "dataset: '%s' has %zu face points but '%s' has %zu; with --face-points "
                      "all every file must agree",
                      v->path, v->face_in_file, ds->videos[first].path,
                      ds->videos[first].face_in_file);
            return error_hint(err, "--face-points contours or lips work with both");
        }
    }
    if (cfg->include_face && first == ds->n_videos)
        return error_set(err, "dataset: '%s': --include-face but no file has a face member",
                         ds->dir);
    size_t F = first < ds->n_videos ? ds->videos[first].face_in_file : 0;
    data_layout_init(&ds->layout, cfg, F);
    if (cfg->include_face && cfg->face_points == FACE_POINTS_ALL)
        for (size_t i = 0; i < ds->n_videos; i++)
            if (!ds->videos[i].face_in_file && expand_face(&ds->videos[i], &ds->layout, err))
                return -1;
    return 0;
}

static int cmp_id_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Groundtruth: per-frame labels of every video, a warning per id without an npz — or, when
 * the videos are files named one by one (`predict --input`), a warning per named video the
 * groundtruth does not annotate: a groundtruth shared by a whole dataset lists hundreds of
 * other videos, which are not worth a warning each. */
static int attach_labels(struct dataset *ds, bool required, bool listed,
                         const struct warn_sink *warn, struct error *err)
{
    const struct data_config *cfg = &ds->cfg;
    if (groundtruth_find(ds->dir, cfg->groundtruth[0] ? cfg->groundtruth : NULL, required,
                         &ds->groundtruth_path, err))
        return -1;
    if (!ds->groundtruth_path) return 0;
    if (groundtruth_read(&ds->gt, ds->groundtruth_path, err)) return -1;
    ds->has_groundtruth = true;
    for (size_t i = 0; i < ds->n_videos; i++) {
        struct data_video *v = &ds->videos[i];
        if (!(v->labels = sg_malloc(v->frames, sizeof *v->labels, "dataset: labels", err)))
            return -1;
        v->n_annotations =
            groundtruth_frame_labels(&ds->gt, v->id, v->frames, cfg->label_fill, v->labels);
    }
    if (listed) {
        for (size_t i = 0; i < ds->n_videos; i++)
            if (!groundtruth_find_video(&ds->gt, ds->videos[i].id))
                warn_emit(warn, "%s: no annotation for video '%s' ('%s'); its windows are "
                          "unlabelled", ds->groundtruth_path, ds->videos[i].id,
                          ds->videos[i].path);
        return 0;
    }
    const char **ids = sg_malloc(ds->n_videos, sizeof *ids, "dataset: id index", err);
    if (!ids) return -1;
    for (size_t i = 0; i < ds->n_videos; i++) ids[i] = ds->videos[i].id;
    qsort(ids, ds->n_videos, sizeof *ids, cmp_id_ptr);
    for (size_t i = 0; i < groundtruth_num_videos(&ds->gt); i++) {
        const char *id = groundtruth_video_id(&ds->gt, i);
        if (!bsearch(&id, ids, ds->n_videos, sizeof *ids, cmp_id_ptr))
            warn_emit(warn, "%s: video '%s' has no '%s/%s.npz'", ds->groundtruth_path, id,
                      ds->dir, id);
    }
    free(ids);
    return 0;
}

static int make_windows(struct dataset *ds, struct error *err)
{
    const struct data_config *cfg = &ds->cfg;
    size_t total = 0;
    for (size_t i = 0; i < ds->n_videos; i++) {
        struct data_video *v = &ds->videos[i];
        v->first_window = total;
        v->n_windows = windows_count(v->frames, cfg->window, cfg->stride);
        if (!size_add(total, v->n_windows, &total))
            return error_set(err, "dataset: too many windows");
    }
    ds->windows = sg_malloc(total, sizeof *ds->windows, "dataset: windows", err);
    if (!ds->windows) return -1;
    ds->n_windows = total;
    size_t n_labels = ds->has_groundtruth ? groundtruth_num_labels(&ds->gt) : 0;
    uint32_t *counts = sg_calloc(n_labels, sizeof *counts, "dataset: label counts", err);
    if (!counts) return -1;
    for (size_t i = 0; i < ds->n_videos; i++) {
        const struct data_video *v = &ds->videos[i];
        for (size_t k = 0; k < v->n_windows; k++) {
            struct data_window *w = &ds->windows[v->first_window + k];
            size_t start = windows_start(k, cfg->stride);
            w->video = (uint32_t)i;
            w->start = (uint32_t)start;
            w->label = v->labels ? windows_label(v->labels, v->frames, start, cfg->window,
                                                 counts)
                                 : -1;
        }
    }
    free(counts);
    return 0;
}

/* Reads the n videos whose path and id are set, then labels and windows. */
static int load_videos(struct dataset *ds, size_t n, const struct data_config *cfg,
                       bool require_groundtruth, bool listed, const struct warn_sink *warn,
                       struct error *err)
{
    /* The files, in parallel; the first failure in byte order is reported. */
    long failed = -1;
    struct error first_err;
    first_err.msg[0] = '\0';
#pragma omp parallel if (n > 1)
    {
        struct scratch sc;
        memset(&sc, 0, sizeof sc);
        struct error e;
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < (long)n; i++) {
            if (load_video(cfg, &ds->videos[i], &sc, &e)) {
#pragma omp critical(dataset_load_error)
                {
                    if (failed < 0 || i < failed) {
                        failed = i;
                        first_err = e;
                    }
                }
            }
        }
        scratch_free(&sc);
    }
    if (failed >= 0) {
        if (err) *err = first_err;
        return -1;
    }
    if (settle_face(ds, err)) return -1;
    for (size_t i = 0; i < n; i++) {
        const struct data_video *v = &ds->videos[i];
        if (v->normalized) continue;
        warn_emit(warn, "'%s': %s; left unnormalised", v->path,
                  v->has_pose ? "no frame with both shoulders" : "no pose member");
    }
    if (attach_labels(ds, require_groundtruth, listed, warn, err)) return -1;
    return make_windows(ds, err);
}

int dataset_load(struct dataset *ds, const char *dir, const struct data_config *cfg,
                 bool require_groundtruth, const struct warn_sink *warn, struct error *err)
{
    memset(ds, 0, sizeof *ds);
    ds->cfg = *cfg;
    CHECK(cfg->coords >= 1 && cfg->coords <= DATA_COORDS_MAX && cfg->window >= 1 &&
          cfg->stride >= 1);
    char **names;
    size_t n;
    if (!cfg->include_pose && !cfg->include_hands && !cfg->include_face)
        return error_set(err, "dataset: no part included (--no-include-pose without "
                              "--include-hands or --include-face)");
    if (!(ds->dir = sg_strdup(dir, err))) return -1;
    if (list_npz(dir, &names, &n, err)) goto fail;
    if (n > UINT32_MAX) {
        free_names(names, n);
        error_set(err, "dataset: '%s': %zu files (at most %u)", dir, n, (unsigned)UINT32_MAX);
        goto fail;
    }
    ds->videos = sg_calloc(n, sizeof *ds->videos, "dataset: videos", err);
    if (!ds->videos) {
        free_names(names, n);
        goto fail;
    }
    ds->n_videos = n;
    for (size_t i = 0; i < n; i++) {
        struct data_video *v = &ds->videos[i];
        size_t len = strlen(names[i]), plen = strlen(dir) + len + 2;
        v->path = sg_malloc(plen, 1, "dataset: path", err);
        v->id = names[i]; /* the name, cut before ".npz" below */
        names[i] = NULL;
        if (!v->path) {
            free_names(names, n);
            goto fail;
        }
        snprintf(v->path, plen, "%s/%s", dir, v->id);
        v->id[len - 4] = '\0';
    }
    free_names(names, n);
    if (load_videos(ds, n, cfg, require_groundtruth, false, warn, err)) goto fail;
    return 0;
fail:
    dataset_free(ds);
    return -1;
}

int dataset_load_files(struct dataset *ds, const char *const *paths, size_t n,
                       const struct data_config *cfg, const struct warn_sink *warn,
                       struct error *err)
{
    memset(ds, 0, sizeof *ds);
    ds->cfg = *cfg;
    CHECK(cfg->coords >= 1 && cfg->coords <= DATA_COORDS_MAX && cfg->window >= 1 &&
          cfg->stride >= 1);
    if (!cfg->include_pose && !cfg->include_hands && !cfg->include_face)
        return error_set(err, "dataset: no part included (--no-include-pose without "
                              "--include-hands or --include-face)");
    if (n == 0) return error_set(err, "dataset: no input files");
    if (n > UINT32_MAX) return error_set(err, "dataset: %zu files (at most %u)", n, (unsigned)UINT32_MAX);
    /* the folder of the first file stands for the dataset's folder (groundtruth lookup) */
    if (!(ds->dir = sg_strdup(paths[0], err))) return -1;
    char *slash = strrchr(ds->dir, '/');
    if (slash) *slash = '\0';
    else strcpy(ds->dir, ".");
    ds->videos = sg_calloc(n, sizeof *ds->videos, "dataset: videos", err);
    if (!ds->videos) goto fail;
    ds->n_videos = n;
    for (size_t i = 0; i < n; i++) {
        struct data_video *v = &ds->videos[i];
        const char *base = strrchr(paths[i], '/');
        base = base ? base + 1 : paths[i];
        size_t len = strlen(base);
        if (len < 5 || strcmp(base + len - 4, ".npz")) {
            error_set(err, "dataset: '%s' is not an .npz file name", paths[i]);
            goto fail;
        }
        if (!(v->path = sg_strdup(paths[i], err)) || !(v->id = sg_strdup(base, err))) goto fail;
        v->id[len - 4] = '\0';
        for (size_t k = 0; k < i; k++)
            if (!strcmp(ds->videos[k].id, v->id)) {
                error_set(err, "dataset: '%s' and '%s' have the same video id '%s'",
                          ds->videos[k].path, v->path, v->id);
                goto fail;
            }
    }
    if (load_videos(ds, n, cfg, false, true, warn, err)) goto fail;
    return 0;
fail:
    dataset_free(ds);
    return -1;
}

size_t dataset_landmark_bytes(const struct dataset *ds)
{
    size_t total = 0;
    for (size_t i = 0; i < ds->n_videos; i++)
        total += ds->videos[i].frames * ds->layout.joints * ds->layout.coords * sizeof(float);
    return total;
}

size_t dataset_held_bytes(const struct dataset *ds)
{
    const size_t fs = data_frame_stats_size(ds->layout.coords);
    size_t total = dataset_landmark_bytes(ds) + ds->n_videos * sizeof *ds->videos +
                   ds->n_windows * sizeof *ds->windows;
    for (size_t i = 0; i < ds->n_videos; i++) {
        const struct data_video *v = &ds->videos[i];
        total += v->frames * fs * sizeof *v->frame_stats;
        if (v->labels) total += v->frames * sizeof *v->labels;
        total += strlen(v->id) + 1 + strlen(v->path) + 1;
        total += v->n_members * sizeof *v->members;
        for (size_t k = 0; k < v->n_members; k++) total += strlen(v->members[k].name) + 1;
    }
    return total;
}

void dataset_fill_batch(const struct dataset *ds, const size_t *window_idx, size_t n,
                        float *x, float *stats, int32_t *labels, const int32_t *label_map)
{
    const size_t W = ds->cfg.window, J = ds->layout.joints, C = ds->layout.coords;
    const size_t frame = J * C, S = 2 * C;
    for (size_t b = 0; b < n; b++) {
        CHECK(window_idx[b] < ds->n_windows);
        const struct data_window *w = &ds->windows[window_idx[b]];
        const struct data_video *v = &ds->videos[w->video];
        size_t real = windows_real_frames(v->frames, w->start, W);
        if (x) {
            float *dst = x + b * W * frame;
            memcpy(dst, v->x + (size_t)w->start * frame, real * frame * sizeof *dst);
            memset(dst + real * frame, 0, (W - real) * frame * sizeof *dst);
        }
        if (stats) data_window_stats(v->frame_stats, v->stat_ref, C, w->start, real,
                                     stats + b * S);
        if (labels)
            labels[b] = (label_map && w->label >= 0) ? label_map[w->label] : w->label;
    }
}
