/* dataset.c — landmark files to normalised per-video arrays and window views (SPEC §1.1–1.2).
 *
 * A recording is an `.npz` file, a pose-format `.pose` file or a folder of OpenPose JSON
 * frames; `.pose` and OpenPose are read whole by data/landmarks.c into the same per-part
 * arrays (struct data_raw_video) that an npz's members fill, and from there every format
 * takes the same path. All recordings of a dataset must share one skeleton (MediaPipe or
 * OpenPose): the first recording in byte order sets it, and a recording with the other is an
 * error naming both files and their layouts.
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

/* One recording found in a folder. */
struct rec_name {
    char *name;               /* the entry's name */
    char *id;
    enum landmark_format format;
};

static int cmp_rec(const void *a, const void *b)
{
    const struct rec_name *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (int)x->format - (int)y->format;
}

static void free_recs(struct rec_name *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].name);
        free(r[i].id);
    }
    free(r);
}

/* The recordings of dir: *.npz and *.pose regular files (or links to them) and folders that
 * hold OpenPose keypoint files, in byte order of their ids. Two recordings with one id (e.g.
 * a.npz and a.pose) are an error. */
static int list_recordings(const char *dir, struct rec_name **out, size_t *n_out,
                           struct error *err)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return error_set(err, "dataset: '%s': cannot open folder: %s", dir, strerror(errno));
    struct rec_name *recs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(e->d_name);
        size_t plen = strlen(dir) + len + 2;
        char *p = sg_malloc(plen, 1, "dataset: path", err);
        if (!p) { rc = -1; break; }
        snprintf(p, plen, "%s/%s", dir, e->d_name);
        int f = landmark_format_of_path(p);
        free(p);
        if (f < 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            if (sg_realloc((void **)&recs, cap, sizeof *recs, "dataset: file list", err)) {
                rc = -1;
                break;
            }
        }
        recs[n].format = (enum landmark_format)f;
        recs[n].id = NULL;
        if (!(recs[n].name = sg_strdup(e->d_name, err)) ||
            !(recs[n].id = landmark_id_of_path(e->d_name, recs[n].format, err))) {
            free(recs[n].name);
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc) {
        free_recs(recs, n);
        return -1;
    }
    if (n == 0) {
        free(recs);
        error_set(err, "dataset: '%s': no .npz files in the folder (nor .pose files, nor "
                       "folders of OpenPose <name>_<frame>_keypoints.json files)",
                  dir);
        return -1;
    }
    qsort(recs, n, sizeof *recs, cmp_rec);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(recs[i].id, recs[i - 1].id)) {
            error_set(err, "dataset: '%s/%s' and '%s/%s' are both recording '%s'", dir,
                      recs[i - 1].name, dir, recs[i].name, recs[i].id);
            free_recs(recs, n);
            return error_hint(err, "keep one of them in the folder");
        }
    *out = recs;
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

/* Allocates the video's arrays and builds it from checked raw parts. */
static int build_video(const struct data_config *cfg, struct data_video *v,
                       const struct data_layout *lay, const struct data_raw_video *raw,
                       struct error *err)
{
    size_t n_x, n_s;
    if (!size_mul(raw->frames, lay->joints, &n_x) || !size_mul(n_x, cfg->coords, &n_x) ||
        !size_mul(raw->frames, data_frame_stats_size(cfg->coords), &n_s))
        return error_set(err, "dataset: '%s': %zu frames x %zu joints is too large", v->path,
                         raw->frames, lay->joints);
    v->frames = raw->frames;
    if (!(v->x = sg_malloc(n_x, sizeof *v->x, "dataset: landmarks", err)) ||
        !(v->frame_stats = sg_malloc(n_s, sizeof *v->frame_stats, "dataset: statistics", err)))
        return error_prefix(err, "dataset: '%s'", v->path);
    data_video_build(cfg, lay, raw, v->x, v->frame_stats, v->stat_ref, &v->normalized);
    return 0;
}

/* Layout of one video: its skeleton, and its face size when --face-points all takes it. */
static void video_layout(const struct data_config *cfg, const struct data_video *v,
                         struct data_layout *lay)
{
    data_layout_init_skeleton(lay, cfg, v->skeleton,
                              (cfg->face_points == FACE_POINTS_ALL &&
                               skeleton_face_count_ok(v->skeleton, v->face_in_file))
                                  ? v->face_in_file
                                  : 0);
}

/* A .pose file or an OpenPose folder: read whole (data/landmarks.c), then as an npz. */
static int load_video_landmarks(const struct data_config *cfg, struct data_video *v,
                                struct error *err)
{
    struct landmarks lm;
    struct landmark_read_opts o = {cfg->person, 0, 0};
    if (landmarks_read(&lm, v->path, &o, err)) return -1;
    int rc = -1;
    v->members = sg_calloc(lm.n_components, sizeof *v->members, "dataset: member list", err);
    if (!v->members) goto out;
    v->n_members = lm.n_components;
    for (size_t i = 0; i < lm.n_components; i++) {
        const struct landmark_component *c = &lm.components[i];
        struct data_member_info *d = &v->members[i];
        if (!(d->name = sg_strdup(c->name, err))) goto out;
        snprintf(d->descr, sizeof d->descr, "%s", c->format);
        d->ok = c->used;
        d->ndim = 3;
        d->shape[0] = lm.frames;
        d->shape[1] = c->points;
        d->shape[2] = strlen(c->format);
    }
    if (lm.frames > UINT32_MAX) {
        error_set(err, "dataset: '%s': %zu frames (at most %u)", v->path, lm.frames,
                  (unsigned)UINT32_MAX);
        goto out;
    }
    landmarks_normalize(&lm);
    v->skeleton = lm.skeleton;
    v->fps = lm.fps;
    struct data_raw_video raw;
    landmarks_raw(&lm, &raw);
    v->has_pose = raw.part[DATA_PART_POSE].data != NULL;
    v->face_in_file = raw.part[DATA_PART_FACE].data ? raw.part[DATA_PART_FACE].joints : 0;
    /* parts neither included nor the pose are not used (as an npz's members) */
    for (int p = 0; p < DATA_PART_COUNT; p++)
        if (!(data_part_included(cfg, (enum data_part)p) || p == DATA_PART_POSE))
            raw.part[p].data = NULL;
    struct data_layout lay;
    video_layout(cfg, v, &lay);
    if (data_raw_check(cfg, &lay, &raw, v->path, err)) goto out;
    rc = build_video(cfg, v, &lay, &raw, err);
out:
    landmarks_free(&lm);
    return rc;
}

/* Opens, checks and builds one video. With --face-points all and --include-face, a file
 * without a face is built with no face joints and expanded once the dataset's face count is
 * known (expand_face). */
static int load_video(const struct data_config *cfg, struct data_video *v, struct scratch *sc,
                      struct error *err)
{
    if (v->format != LANDMARK_NPZ) return load_video_landmarks(cfg, v, err);
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
    if (landmarks_npz_fps(&z, v->path, &v->fps, err)) goto out; /* optional member */

    /* The skeleton, from the pose's and the face's sizes. */
    {
        size_t sizes[2] = {0, 0};
        int which[2] = {DATA_PART_POSE, DATA_PART_FACE};
        for (int k = 0; k < 2; k++) {
            const struct npz_member *m = idx[which[k]] >= 0 ? &z.members[idx[which[k]]] : NULL;
            if (m && m->ok && m->ndim == 3) sizes[k] = m->shape[1];
        }
        if (landmarks_skeleton_of(sizes[0], sizes[1], v->path, &v->skeleton, err)) goto out;
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
    video_layout(cfg, v, &lay);
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

    rc = build_video(cfg, v, &lay, &raw, err);
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

/* One skeleton across files, then the face point count (--face-points all): every file with
 * a face agrees. */
static int settle_face(struct dataset *ds, struct error *err)
{
    const struct data_config *cfg = &ds->cfg;
    for (size_t i = 1; i < ds->n_videos; i++) {
        const struct data_video *a = &ds->videos[0], *b = &ds->videos[i];
        if (b->skeleton == a->skeleton) continue;
        return error_set(err,
                         "dataset: '%s' has the %s layout (%s) but '%s' has the %s layout (%s); "
                         "all recordings of a dataset must share one",
                         a->path, skeleton_name(a->skeleton),
                         skeleton_info(a->skeleton)->description, b->path,
                         skeleton_name(b->skeleton), skeleton_info(b->skeleton)->description);
    }
    const enum skeleton sk = ds->n_videos ? ds->videos[0].skeleton : SKELETON_MEDIAPIPE;
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
    data_layout_init_skeleton(&ds->layout, cfg, sk, F);
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
            warn_emit(warn, "%s: video '%s' has no '%s/%s.npz' (nor .pose, nor OpenPose folder)",
                      ds->groundtruth_path, id, ds->dir, id);
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
    struct rec_name *recs;
    size_t n;
    if (!cfg->include_pose && !cfg->include_hands && !cfg->include_face)
        return error_set(err, "dataset: no part included (--no-include-pose without "
                              "--include-hands or --include-face)");
    if (!(ds->dir = sg_strdup(dir, err))) return -1;
    if (list_recordings(dir, &recs, &n, err)) goto fail;
    if (n > UINT32_MAX) {
        free_recs(recs, n);
        error_set(err, "dataset: '%s': %zu files (at most %u)", dir, n, (unsigned)UINT32_MAX);
        goto fail;
    }
    ds->videos = sg_calloc(n, sizeof *ds->videos, "dataset: videos", err);
    if (!ds->videos) {
        free_recs(recs, n);
        goto fail;
    }
    ds->n_videos = n;
    for (size_t i = 0; i < n; i++) {
        struct data_video *v = &ds->videos[i];
        size_t plen = strlen(dir) + strlen(recs[i].name) + 2;
        v->path = sg_malloc(plen, 1, "dataset: path", err);
        v->id = recs[i].id;
        recs[i].id = NULL;
        v->format = recs[i].format;
        if (!v->path) {
            free_recs(recs, n);
            goto fail;
        }
        snprintf(v->path, plen, "%s/%s", dir, recs[i].name);
    }
    free_recs(recs, n);
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
        int f = landmark_format_of_path(paths[i]);
        if (f < 0) {
            error_set(err,
                      "dataset: '%s' is not a recording (expected a .npz or .pose file, or a "
                      "folder of OpenPose <name>_<frame>_keypoints.json files)",
                      paths[i]);
            goto fail;
        }
        v->format = (enum landmark_format)f;
        if (!(v->path = sg_strdup(paths[i], err)) ||
            !(v->id = landmark_id_of_path(paths[i], v->format, err)))
            goto fail;
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

void dataset_fill_span(const struct dataset *ds, size_t video, size_t start, size_t real,
                       float *x, float *stats)
{
    const size_t W = ds->cfg.window, J = ds->layout.joints, C = ds->layout.coords;
    const size_t frame = J * C;
    CHECK(video < ds->n_videos);
    const struct data_video *v = &ds->videos[video];
    CHECK(real >= 1 && real <= W && start + real <= v->frames);
    if (x) {
        memcpy(x, v->x + start * frame, real * frame * sizeof *x);
        memset(x + real * frame, 0, (W - real) * frame * sizeof *x);
    }
    if (stats) data_window_stats(v->frame_stats, v->stat_ref, C, start, real, stats);
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
        dataset_fill_span(ds, w->video, w->start, real, x ? x + b * W * frame : NULL,
                          stats ? stats + b * S : NULL);
        if (labels)
            labels[b] = (label_map && w->label >= 0) ? label_map[w->label] : w->label;
    }
}

long dataset_find_video(const struct dataset *ds, const char *id)
{
    for (size_t v = 0; v < ds->n_videos; v++)
        if (!strcmp(ds->videos[v].id, id)) return (long)v;
    return -1;
}
