/* landmarks.c — recordings in npz, pose-format `.pose` and OpenPose JSON, read into one
 * in-memory form and written back (contract in landmarks.h).
 *
 * `.pose` (the layout is io/pose_file.c's): components map to our parts by name —
 * MediaPipe Holistic's POSE_LANDMARKS (33), LEFT_HAND_LANDMARKS, RIGHT_HAND_LANDMARKS (21),
 * FACE_LANDMARKS (468/478), and OpenPose's pose_keypoints_2d (BODY_25), hand_left_keypoints_2d,
 * hand_right_keypoints_2d (21), face_keypoints_2d (70); any other component (e.g.
 * POSE_WORLD_LANDMARKS) is listed but not used, and a file naming parts of both models is an
 * error. One person is used (--person, default 0; a file with no people has every joint
 * missing). A point whose confidence is 0 (or negative, or NaN) is not detected: NaN. Values
 * stay in pixels until landmarks_normalize() divides x by the header's width and y by its
 * height (z is kept, as pose-format keeps MediaPipe's z unscaled).
 *
 * OpenPose JSON: the frames of a folder are its `<name>_<digits>_keypoints.json` files in
 * numeric order of the digits (other files are ignored; two files with one frame number are
 * an error). One person is followed through the recording: in the first frame that has
 * people, the one with the largest sum of keypoint confidences; after that, in each frame the
 * person whose neck (BODY_25 joint 1) is nearest to the followed person's last detected neck,
 * or — when no neck is known yet or no candidate has one — again the most confident; ties go
 * to the lower index. A frame with no person has every joint missing. A part is in the
 * recording when some frame's followed person has its array.
 *
 * Writing: see landmarks.h. Not here: normalisation by the shoulders, windows (video.c,
 * dataset.c).
 */
#include "data/landmarks.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/npz.h"
#include "io/openpose_json.h"
#include "io/pose_file.h"

static const char *const format_names[LANDMARK_FORMAT_COUNT] = {"npz", "pose", "openpose"};

const char *landmark_format_name(enum landmark_format f)
{
    return (unsigned)f < LANDMARK_FORMAT_COUNT ? format_names[f] : "?";
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Frame number of an OpenPose file name `<name>_<digits>_keypoints.json`; -1 when the name
 * does not have that form, -2 when the number is too large. */
static long long openpose_frame_number(const char *name)
{
    static const char suffix[] = "_keypoints.json";
    size_t n = strlen(name), m = sizeof suffix - 1;
    if (n <= m || strcmp(name + n - m, suffix) != 0) return -1;
    size_t end = n - m, start = end;
    while (start > 0 && name[start - 1] >= '0' && name[start - 1] <= '9') start--;
    if (start == end || start == 0 || name[start - 1] != '_') return -1;
    if (end - start > 15) return -2;
    long long v = 0;
    for (size_t i = start; i < end; i++) v = 10 * v + (name[i] - '0');
    return v;
}

static bool dir_has_keypoints(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) found = openpose_frame_number(e->d_name) >= 0;
    closedir(d);
    return found;
}

int landmark_format_of_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) return dir_has_keypoints(path) ? LANDMARK_OPENPOSE : -1;
    if (!S_ISREG(st.st_mode)) return -1;
    if (ends_with(path, ".pose")) return LANDMARK_POSE;
    if (ends_with(path, ".npz")) return LANDMARK_NPZ;
    return -1;
}

char *landmark_id_of_path(const char *path, enum landmark_format f, struct error *err)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--; /* "dir/rec/" names "rec" */
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t cut = f == LANDMARK_NPZ ? 4 : f == LANDMARK_POSE ? 5 : 0;
    if (len - start <= cut) {
        error_set(err, "landmarks: '%s' has no recording name", path);
        return NULL;
    }
    size_t n = len - start - cut;
    char *id = sg_malloc(n + 1, 1, "landmarks: id", err);
    if (!id) return NULL;
    memcpy(id, path + start, n);
    id[n] = '\0';
    return id;
}

void landmarks_free(struct landmarks *lm)
{
    if (!lm) return;
    for (int p = 0; p < DATA_PART_COUNT; p++) free(lm->part[p].data);
    free(lm->components);
    memset(lm, 0, sizeof *lm);
}

int landmarks_skeleton_of(size_t pose_joints, size_t face_joints, const char *label,
                          enum skeleton *out, struct error *err)
{
    int from_pose = pose_joints == 25 ? SKELETON_OPENPOSE
                    : pose_joints == 33 ? SKELETON_MEDIAPIPE
                                        : -1;
    int from_face = face_joints == 70 ? SKELETON_OPENPOSE
                    : (face_joints == 468 || face_joints == 478) ? SKELETON_MEDIAPIPE
                                                                  : -1;
    if (from_pose >= 0 && from_face >= 0 && from_pose != from_face)
        return error_set(err,
                         "landmarks: '%s': a pose of %zu joints (%s) beside a face of %zu "
                         "points (%s); expected one model's parts",
                         label, pose_joints, skeleton_name((enum skeleton)from_pose),
                         face_joints, skeleton_name((enum skeleton)from_face));
    *out = from_pose >= 0   ? (enum skeleton)from_pose
           : from_face >= 0 ? (enum skeleton)from_face
                            : SKELETON_MEDIAPIPE;
    return 0;
}

static int add_component(struct landmarks *lm, const char *name, const char *format,
                         size_t points, bool used, struct error *err)
{
    if (sg_realloc((void **)&lm->components, lm->n_components + 1, sizeof *lm->components,
                   "landmarks: components", err))
        return -1;
    struct landmark_component *c = &lm->components[lm->n_components++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->format, sizeof c->format, "%s", format);
    c->points = points;
    c->used = used;
    return 0;
}

static int alloc_part(struct landmarks *lm, int p, size_t joints, size_t channels,
                      const char *label, struct error *err)
{
    size_t n;
    if (!size_mul(lm->frames, joints, &n) || !size_mul(n, channels, &n))
        return error_set(err, "landmarks: '%s': %zu frames × %zu joints is too large", label,
                         lm->frames, joints);
    lm->part[p].data = sg_malloc(n, sizeof(float), "landmarks: part", err);
    if (!lm->part[p].data) return error_prefix(err, "landmarks: '%s'", label);
    lm->part[p].joints = joints;
    lm->part[p].channels = channels;
    return 0;
}

/* ---- npz -------------------------------------------------------------------------------- */

int landmarks_npz_fps(struct npz *z, const char *path, double *fps, struct error *err)
{
    *fps = 0;
    int fi = npz_find(z, "fps");
    if (fi < 0) return 0;
    const struct npz_member *m = &z->members[fi];
    float v = 0;
    if (!m->ok) return error_set(err, "landmarks: '%s': member 'fps': %s", path, m->reason);
    if (m->count != 1)
        return error_set(err, "landmarks: '%s': member 'fps' has %zu values (expected one "
                              "number)",
                         path, m->count);
    if (npz_read_f32(z, (size_t)fi, &v, 1, err)) return -1;
    if (!isfinite(v) || v < 0)
        return error_set(err, "landmarks: '%s': member 'fps' is %g (expected a frame rate >= 0)",
                         path, (double)v);
    *fps = v;
    return 0;
}

int landmarks_read_npz(struct landmarks *lm, const char *path, struct error *err)
{
    memset(lm, 0, sizeof *lm);
    lm->format = LANDMARK_NPZ;
    struct npz z;
    if (npz_open(&z, path, err)) return -1;
    int rc = -1;
    int idx[DATA_PART_COUNT];
    const char *t_from = NULL;
    for (size_t i = 0; i < z.n_members; i++) {
        bool used = false;
        for (int p = 0; p < DATA_PART_COUNT; p++)
            used |= strcmp(z.members[i].name, data_part_name((enum data_part)p)) == 0;
        if (add_component(lm, z.members[i].name, z.members[i].descr,
                          z.members[i].ndim >= 2 ? z.members[i].shape[1] : 0, used, err))
            goto out;
    }
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        idx[p] = npz_find(&z, data_part_name((enum data_part)p));
        if (idx[p] < 0) continue;
        const struct npz_member *m = &z.members[idx[p]];
        if (!m->ok) {
            error_set(err, "landmarks: '%s': member '%s': %s", path, m->name, m->reason);
            goto out;
        }
        if (m->ndim != 3) {
            error_set(err, "landmarks: '%s': member '%s' has %d dimensions (expected 3: frames, "
                           "joints, channels)",
                      path, m->name, m->ndim);
            goto out;
        }
        if (!t_from) {
            t_from = m->name;
            lm->frames = m->shape[0];
        } else if (m->shape[0] != lm->frames) {
            error_set(err, "landmarks: '%s': member '%s' has %zu frames but member '%s' has %zu",
                      path, m->name, m->shape[0], t_from, lm->frames);
            goto out;
        }
    }
    if (!t_from) {
        error_set(err, "landmarks: '%s': none of the members pose, left_hand, right_hand, face",
                  path);
        goto out;
    }
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        if (idx[p] < 0) continue;
        const struct npz_member *m = &z.members[idx[p]];
        if (alloc_part(lm, p, m->shape[1], m->shape[2], path, err) ||
            npz_read_f32(&z, (size_t)idx[p], lm->part[p].data, m->count, err))
            goto out;
    }
    if (landmarks_npz_fps(&z, path, &lm->fps, err)) goto out;
    if (landmarks_skeleton_of(lm->part[DATA_PART_POSE].joints, lm->part[DATA_PART_FACE].joints,
                              path, &lm->skeleton, err))
        goto out;
    rc = 0;
out:
    npz_close(&z);
    if (rc) landmarks_free(lm);
    return rc;
}

/* ---- .pose ------------------------------------------------------------------------------ */

struct component_map {
    const char *name;
    enum skeleton skeleton;
    enum data_part part;
};
static const struct component_map pose_components[] = {
    {"POSE_LANDMARKS", SKELETON_MEDIAPIPE, DATA_PART_POSE},
    {"LEFT_HAND_LANDMARKS", SKELETON_MEDIAPIPE, DATA_PART_LEFT_HAND},
    {"RIGHT_HAND_LANDMARKS", SKELETON_MEDIAPIPE, DATA_PART_RIGHT_HAND},
    {"FACE_LANDMARKS", SKELETON_MEDIAPIPE, DATA_PART_FACE},
    {"pose_keypoints_2d", SKELETON_OPENPOSE, DATA_PART_POSE},
    {"hand_left_keypoints_2d", SKELETON_OPENPOSE, DATA_PART_LEFT_HAND},
    {"hand_right_keypoints_2d", SKELETON_OPENPOSE, DATA_PART_RIGHT_HAND},
    {"face_keypoints_2d", SKELETON_OPENPOSE, DATA_PART_FACE},
};
#define N_POSE_COMPONENTS (sizeof pose_components / sizeof pose_components[0])

static const struct component_map *component_lookup(const char *name)
{
    for (size_t i = 0; i < N_POSE_COMPONENTS; i++)
        if (strcmp(name, pose_components[i].name) == 0) return &pose_components[i];
    return NULL;
}

/* The component name our writer uses for a part of a skeleton. */
static const char *component_name(enum skeleton s, int part)
{
    for (size_t i = 0; i < N_POSE_COMPONENTS; i++)
        if (pose_components[i].skeleton == s && (int)pose_components[i].part == part)
            return pose_components[i].name;
    return "?";
}

static size_t expected_points(enum skeleton s, int part, size_t have)
{
    const struct skeleton_info *sk = skeleton_info(s);
    if (part == DATA_PART_POSE) return sk->pose_points;
    if (part != DATA_PART_FACE) return sk->hand_points;
    return skeleton_face_count_ok(s, have) ? have : (s == SKELETON_OPENPOSE ? 70 : 478);
}

static int from_pose_file(struct landmarks *lm, const struct pose_file *pf, const char *label,
                          size_t person, struct error *err)
{
    lm->format = LANDMARK_POSE;
    lm->frames = pf->frames;
    lm->fps = pf->fps;
    lm->pixels = true;
    lm->width = pf->width;
    lm->height = pf->height;
    lm->people = pf->people;
    if (pf->people > 0 && person >= pf->people)
        return error_set(err, "landmarks: '%s': --person %zu, but the file has %zu %s", label,
                         person, pf->people, pf->people == 1 ? "person" : "people");
    /* which model */
    int sk = -1;
    const char *sk_from = NULL;
    size_t offset[DATA_PART_COUNT] = {0};
    int comp_of[DATA_PART_COUNT] = {-1, -1, -1, -1};
    size_t off = 0;
    for (size_t i = 0; i < pf->n_components; i++) {
        const struct pose_component *k = &pf->components[i];
        const struct component_map *m = component_lookup(k->name);
        if (add_component(lm, k->name, k->format, k->n_points, m != NULL, err)) return -1;
        size_t here = off;
        off += k->n_points;
        if (!m) continue;
        if (sk >= 0 && (int)m->skeleton != sk)
            return error_set(err,
                             "landmarks: '%s': component '%s' is %s's but component '%s' is "
                             "%s's (expected one model's components)",
                             label, k->name, skeleton_name(m->skeleton), sk_from,
                             skeleton_name((enum skeleton)sk));
        if (comp_of[m->part] >= 0)
            return error_set(err, "landmarks: '%s': component '%s' appears twice", label,
                             k->name);
        sk = (int)m->skeleton;
        sk_from = k->name;
        size_t want = expected_points(m->skeleton, (int)m->part, k->n_points);
        if (k->n_points != want)
            return error_set(err, "landmarks: '%s': component '%s' has %zu points (expected %s)",
                             label, k->name, k->n_points,
                             m->part == DATA_PART_FACE
                                 ? (m->skeleton == SKELETON_OPENPOSE ? "70" : "468 or 478")
                             : m->part == DATA_PART_POSE
                                 ? (m->skeleton == SKELETON_OPENPOSE ? "25" : "33")
                                 : "21");
        size_t flen = strlen(k->format);
        if (flen < 3 || k->format[flen - 1] != 'C')
            return error_set(err,
                             "landmarks: '%s': component '%s' has point format '%s' (expected "
                             "x, y and a confidence: XYC, XYZC...)",
                             label, k->name, k->format);
        comp_of[m->part] = (int)i;
        offset[m->part] = here;
    }
    if (sk < 0) {
        char names[256] = "";
        for (size_t i = 0; i < pf->n_components; i++) {
            size_t u = strlen(names);
            snprintf(names + u, sizeof names - u, "%s'%s'", i ? ", " : "",
                     pf->components[i].name);
        }
        return error_set(err,
                         "landmarks: '%s': no component of MediaPipe Holistic (POSE_LANDMARKS, "
                         "LEFT_HAND_LANDMARKS, RIGHT_HAND_LANDMARKS, FACE_LANDMARKS) or OpenPose "
                         "(pose_keypoints_2d, ...); found %s",
                         label, names);
    }
    lm->skeleton = (enum skeleton)sk;
    const size_t D = pf->dims, P = pf->points;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        if (comp_of[p] < 0) continue;
        const struct pose_component *k = &pf->components[comp_of[p]];
        size_t fd = strlen(k->format) - 1; /* coordinates of this component */
        size_t coords = fd >= 3 ? 3 : 2;
        bool conf_channel = lm->skeleton == SKELETON_MEDIAPIPE && p == DATA_PART_POSE &&
                            coords == 3;
        size_t C = coords + conf_channel, J = k->n_points;
        if (alloc_part(lm, p, J, C, label, err)) return -1;
        float *dst = lm->part[p].data;
        for (size_t t = 0; t < lm->frames; t++) {
            for (size_t j = 0; j < J; j++, dst += C) {
                float conf = 0.0f;
                const float *v = NULL;
                if (pf->people > 0) {
                    size_t pt = (t * pf->people + person) * P + offset[p] + j;
                    conf = pf->conf[pt];
                    v = pf->data + pt * D;
                }
                if (!(conf > 0.0f)) {
                    for (size_t c = 0; c < C; c++) dst[c] = NAN;
                    continue;
                }
                for (size_t c = 0; c < coords; c++) dst[c] = v[c];
                if (conf_channel) dst[3] = conf;
            }
        }
    }
    return 0;
}

int landmarks_parse_pose(struct landmarks *lm, const void *buf, size_t len, const char *label,
                         size_t person, struct error *err)
{
    memset(lm, 0, sizeof *lm);
    struct pose_file pf;
    if (pose_file_parse(&pf, buf, len, label, err)) return -1;
    int rc = from_pose_file(lm, &pf, label, person, err);
    pose_file_free(&pf);
    if (rc) landmarks_free(lm);
    return rc;
}

int landmarks_read_pose(struct landmarks *lm, const char *path, size_t person,
                        struct error *err)
{
    memset(lm, 0, sizeof *lm);
    struct pose_file pf;
    if (pose_file_read(&pf, path, err)) return -1;
    int rc = from_pose_file(lm, &pf, path, person, err);
    pose_file_free(&pf);
    if (rc) landmarks_free(lm);
    return rc;
}

/* ---- OpenPose JSON ---------------------------------------------------------------------- */

struct op_file {
    long long frame;
    char *name;
};

static int cmp_op_file(const void *a, const void *b)
{
    const struct op_file *x = a, *y = b;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

static const enum data_part op_part_of[OPENPOSE_PART_COUNT] = {
    DATA_PART_POSE, DATA_PART_LEFT_HAND, DATA_PART_RIGHT_HAND, DATA_PART_FACE};

static double person_score(const struct openpose_person *p)
{
    double s = 0.0;
    for (int k = 0; k < OPENPOSE_PART_COUNT; k++) {
        if (!p->kp[k]) continue;
        size_t n = openpose_part_points((enum openpose_part)k);
        for (size_t j = 0; j < n; j++)
            if (isfinite(p->kp[k][3 * j + 2])) s += (double)p->kp[k][3 * j + 2];
    }
    return s;
}

/* Neck (BODY_25 joint 1) of a person, when detected. */
static bool person_neck(const struct openpose_person *p, double *x, double *y)
{
    const float *kp = p->kp[OPENPOSE_POSE];
    if (!kp || !(kp[3 + 2] > 0.0f) || !isfinite(kp[3]) || !isfinite(kp[4])) return false;
    *x = (double)kp[3];
    *y = (double)kp[4];
    return true;
}

static size_t choose_person(const struct openpose_frame *f, bool have_neck, double nx,
                            double ny)
{
    size_t best = 0;
    if (have_neck) {
        double bd = INFINITY;
        bool any = false;
        for (size_t i = 0; i < f->n_people; i++) {
            double x, y;
            if (!person_neck(&f->people[i], &x, &y)) continue;
            double d = (x - nx) * (x - nx) + (y - ny) * (y - ny);
            if (!any || d < bd) {
                bd = d;
                best = i;
                any = true;
            }
        }
        if (any) return best;
    }
    double bs = -INFINITY;
    for (size_t i = 0; i < f->n_people; i++) {
        double s = person_score(&f->people[i]);
        if (i == 0 || s > bs) {
            bs = s;
            best = i;
        }
    }
    return best;
}

int landmarks_read_openpose(struct landmarks *lm, const char *dir, unsigned width,
                            unsigned height, struct error *err)
{
    memset(lm, 0, sizeof *lm);
    lm->format = LANDMARK_OPENPOSE;
    lm->skeleton = SKELETON_OPENPOSE;
    /* pixels as OpenPose writes them, divided by --size when it is given */
    lm->pixels = true;
    lm->width = width ? width : 1;
    lm->height = height ? height : 1;
    DIR *d = opendir(dir);
    if (!d) return error_set(err, "openpose: '%s': cannot open folder: %s", dir, strerror(errno));
    struct op_file *files = NULL;
    struct openpose_frame *frames = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        long long fr = openpose_frame_number(e->d_name);
        if (fr == -1) continue;
        if (fr == -2) {
            error_set(err, "openpose: '%s/%s': frame number too large", dir, e->d_name);
            closedir(d);
            goto out;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            if (sg_realloc((void **)&files, cap, sizeof *files, "openpose: files", err)) {
                closedir(d);
                goto out;
            }
        }
        files[n].frame = fr;
        if (!(files[n].name = sg_strdup(e->d_name, err))) {
            closedir(d);
            goto out;
        }
        n++;
    }
    closedir(d);
    if (n == 0) {
        error_set(err, "openpose: '%s': no <name>_<frame>_keypoints.json files", dir);
        goto out;
    }
    qsort(files, n, sizeof *files, cmp_op_file);
    for (size_t i = 1; i < n; i++)
        if (files[i].frame == files[i - 1].frame) {
            error_set(err, "openpose: '%s': '%s' and '%s' are both frame %lld", dir,
                      files[i - 1].name, files[i].name, files[i].frame);
            goto out;
        }
    frames = sg_calloc(n, sizeof *frames, "openpose: frames", err);
    if (!frames) goto out;
    size_t dlen = strlen(dir);
    for (size_t i = 0; i < n; i++) {
        size_t plen = dlen + strlen(files[i].name) + 2;
        char *p = sg_malloc(plen, 1, "openpose: path", err);
        if (!p) goto out;
        snprintf(p, plen, "%s/%s", dir, files[i].name);
        int r = openpose_frame_read(&frames[i], p, err);
        free(p);
        if (r) goto out;
    }
    /* the person followed in each frame (SIZE_MAX: none) */
    size_t *who = sg_malloc(n, sizeof *who, "openpose: people", err);
    if (!who) goto out;
    bool have_neck = false, present[OPENPOSE_PART_COUNT] = {false};
    double nx = 0, ny = 0;
    for (size_t i = 0; i < n; i++) {
        if (frames[i].n_people > lm->people) lm->people = frames[i].n_people;
        if (frames[i].n_people == 0) {
            who[i] = SIZE_MAX;
            continue;
        }
        who[i] = choose_person(&frames[i], have_neck, nx, ny);
        const struct openpose_person *p = &frames[i].people[who[i]];
        double x, y;
        if (person_neck(p, &x, &y)) {
            have_neck = true;
            nx = x;
            ny = y;
        }
        for (int k = 0; k < OPENPOSE_PART_COUNT; k++) present[k] |= p->kp[k] != NULL;
    }
    lm->frames = n;
    bool any = false;
    for (int k = 0; k < OPENPOSE_PART_COUNT; k++) {
        size_t J = openpose_part_points((enum openpose_part)k);
        if (add_component(lm, openpose_part_key((enum openpose_part)k), "XYC", present[k] ? J : 0,
                          present[k], err)) {
            free(who);
            goto out;
        }
        if (!present[k]) continue;
        any = true;
        int p = (int)op_part_of[k];
        if (alloc_part(lm, p, J, 2, dir, err)) {
            free(who);
            goto out;
        }
        float *dst = lm->part[p].data;
        for (size_t i = 0; i < n; i++) {
            const float *kp = who[i] == SIZE_MAX ? NULL : frames[i].people[who[i]].kp[k];
            for (size_t j = 0; j < J; j++, dst += 2) {
                if (!kp || !(kp[3 * j + 2] > 0.0f)) {
                    dst[0] = dst[1] = NAN;
                } else {
                    dst[0] = kp[3 * j];
                    dst[1] = kp[3 * j + 1];
                }
            }
        }
    }
    free(who);
    if (!any) {
        error_set(err, "openpose: '%s': no frame has a person with keypoints (%zu frames)", dir,
                  n);
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        if (frames) openpose_frame_free(&frames[i]);
    }
    free(files);
    free(frames);
    if (rc) landmarks_free(lm);
    return rc;
}

int landmarks_read(struct landmarks *lm, const char *path, const struct landmark_read_opts *o,
                   struct error *err)
{
    static const struct landmark_read_opts none = {0, 0, 0};
    if (!o) o = &none;
    switch (landmark_format_of_path(path)) {
    case LANDMARK_NPZ: return landmarks_read_npz(lm, path, err);
    case LANDMARK_POSE: return landmarks_read_pose(lm, path, o->person, err);
    case LANDMARK_OPENPOSE: return landmarks_read_openpose(lm, path, o->width, o->height, err);
    default:
        memset(lm, 0, sizeof *lm);
        return error_set(err,
                         "landmarks: '%s' is not a recording (expected a .npz or .pose file, or "
                         "a folder of OpenPose <name>_<frame>_keypoints.json files)",
                         path);
    }
}

void landmarks_normalize(struct landmarks *lm)
{
    if (!lm->pixels) return;
    double w = lm->width ? lm->width : 1.0, h = lm->height ? lm->height : 1.0;
    if (w != 1.0 || h != 1.0) {
        for (int p = 0; p < DATA_PART_COUNT; p++) {
            struct landmark_part *lp = &lm->part[p];
            if (!lp->data) continue;
            size_t n = lm->frames * lp->joints;
            for (size_t i = 0; i < n; i++) {
                float *v = lp->data + i * lp->channels;
                v[0] = (float)((double)v[0] / w);
                v[1] = (float)((double)v[1] / h);
            }
        }
    }
    lm->pixels = false;
}

void landmarks_raw(const struct landmarks *lm, struct data_raw_video *raw)
{
    memset(raw, 0, sizeof *raw);
    raw->frames = lm->frames;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        raw->part[p].data = lm->part[p].data;
        raw->part[p].joints = lm->part[p].joints;
        raw->part[p].channels = lm->part[p].channels;
    }
}

/* ---- writers ------------------------------------------------------------------------------ */

int landmarks_write_npz(const struct landmarks *lm, const char *path, struct error *err)
{
    struct npz_writer w;
    if (npz_writer_open(&w, path, false, err)) return -1;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        const struct landmark_part *lp = &lm->part[p];
        if (!lp->data) continue;
        size_t shape[3] = {lm->frames, lp->joints, lp->channels};
        if (npz_writer_add_f32(&w, data_part_name((enum data_part)p), 3, shape, lp->data, err)) {
            npz_writer_abort(&w);
            return -1;
        }
    }
    if (lm->fps > 0) { /* a 0-d float32, as np.savez(fps=np.float32(25)) stores it */
        float fps = (float)lm->fps;
        if (npz_writer_add_f32(&w, "fps", 0, NULL, &fps, err)) {
            npz_writer_abort(&w);
            return -1;
        }
    }
    return npz_writer_close(&w, err);
}

static const char *const mp_pose_names[33] = {
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE",
    "RIGHT_EYE_OUTER", "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER",
    "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY",
    "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX", "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP",
    "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_HEEL",
    "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX"};
static const char *const hand_names[21] = {
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP",
    "INDEX_FINGER_PIP", "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP",
    "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP", "MIDDLE_FINGER_TIP", "RING_FINGER_MCP",
    "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP", "PINKY_MCP", "PINKY_PIP",
    "PINKY_DIP", "PINKY_TIP"};
static const char *const body25_names[25] = {
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar",
    "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel"};

static void free_components(struct pose_component *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; k[i].points && j < k[i].n_points; j++) free(k[i].points[j]);
        free(k[i].points);
        free(k[i].limbs);
        free(k[i].colors);
        free(k[i].name);
        free(k[i].format);
    }
    free(k);
}

/* Point names and limbs of one part for the writer. */
static int describe_part(struct pose_component *k, enum skeleton s, int p, size_t J,
                         const char *format, struct error *err)
{
    k->name = sg_strdup(component_name(s, p), err);
    k->format = sg_strdup(format, err);
    k->points = sg_calloc(J, sizeof *k->points, "landmarks: point names", err);
    if (!k->name || !k->format || !k->points) return -1;
    k->n_points = J;
    for (size_t j = 0; j < J; j++) {
        char buf[24];
        const char *nm = buf;
        snprintf(buf, sizeof buf, "%zu", j);
        if (p == DATA_PART_POSE) nm = s == SKELETON_MEDIAPIPE ? mp_pose_names[j] : body25_names[j];
        else if (p != DATA_PART_FACE && s == SKELETON_MEDIAPIPE) nm = hand_names[j];
        if (!(k->points[j] = sg_strdup(nm, err))) return -1;
    }
    const struct topology_group_data *g;
    if (s == SKELETON_MEDIAPIPE)
        g = p == DATA_PART_POSE   ? topology_group(TOPOLOGY_POSE)
            : p == DATA_PART_FACE ? topology_face_contours_edges()
                                  : topology_group(TOPOLOGY_HAND);
    else
        g = topology_openpose_group(p == DATA_PART_POSE   ? TOPOLOGY_OP_POSE
                                    : p == DATA_PART_FACE ? TOPOLOGY_OP_FACE
                                                          : TOPOLOGY_OP_HAND);
    k->limbs = sg_malloc(g->num_edges, sizeof *k->limbs, "landmarks: limbs", err);
    k->colors = sg_malloc(1, sizeof *k->colors, "landmarks: colours", err);
    if (!k->limbs || !k->colors) return -1;
    for (size_t l = 0; l < g->num_edges; l++) {
        k->limbs[l][0] = (uint16_t)g->edges[l][0];
        k->limbs[l][1] = (uint16_t)g->edges[l][1];
    }
    k->n_limbs = g->num_edges;
    static const uint16_t colours[DATA_PART_COUNT][3] = {
        {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 0, 0}};
    memcpy(k->colors[0], colours[p], sizeof colours[p]);
    k->n_colors = 1;
    return 0;
}

int landmarks_write_pose(const struct landmarks *lm, const char *path, unsigned width,
                         unsigned height, double fps, struct error *err)
{
    /* pose-format's component order: pose, face, left hand, right hand */
    static const int order[DATA_PART_COUNT] = {DATA_PART_POSE, DATA_PART_FACE,
                                               DATA_PART_LEFT_HAND, DATA_PART_RIGHT_HAND};
    struct pose_file pf;
    memset(&pf, 0, sizeof pf);
    size_t coords[DATA_PART_COUNT] = {0};
    bool vis[DATA_PART_COUNT] = {false};
    size_t nc = 0;
    for (int i = 0; i < DATA_PART_COUNT; i++) {
        const struct landmark_part *lp = &lm->part[order[i]];
        if (!lp->data) continue;
        if (lp->channels < 2)
            return error_set(err, "landmarks_write_pose: '%s': part '%s' has %zu channel (x and "
                                  "y needed)",
                             path, data_part_name((enum data_part)order[i]), lp->channels);
        vis[i] = lm->skeleton == SKELETON_MEDIAPIPE && order[i] == DATA_PART_POSE &&
                 lp->channels >= 4;
        coords[i] = lp->channels >= 3 ? 3 : 2;
        if (coords[i] > pf.dims) pf.dims = coords[i];
        pf.points += lp->joints;
        nc++;
    }
    if (nc == 0) return error_set(err, "landmarks_write_pose: '%s': no part to write", path);
    double sx = 1.0, sy = 1.0;
    if (lm->pixels) {
        pf.width = lm->width;
        pf.height = lm->height;
    } else {
        pf.width = width;
        pf.height = height;
        sx = width ? width : 1.0;
        sy = height ? height : 1.0;
    }
    pf.version = 0.2f;
    pf.fps = (float)(fps > 0 ? fps : lm->fps);
    pf.frames = lm->frames;
    pf.people = 1;
    int rc = -1;
    pf.components = sg_calloc(nc, sizeof *pf.components, "landmarks: components", err);
    if (!pf.components) return -1;
    pf.n_components = nc;
    size_t n_conf, n_data;
    if (!size_mul(pf.frames, pf.points, &n_conf) || !size_mul(n_conf, pf.dims, &n_data)) {
        error_set(err, "landmarks_write_pose: '%s': too large", path);
        goto out;
    }
    pf.conf = sg_calloc(n_conf, sizeof *pf.conf, "landmarks: confidence", err);
    pf.data = sg_calloc(n_data, sizeof *pf.data, "landmarks: data", err);
    if (!pf.conf || !pf.data) goto out;
    size_t k = 0, off = 0;
    for (int i = 0; i < DATA_PART_COUNT; i++) {
        const struct landmark_part *lp = &lm->part[order[i]];
        if (!lp->data) continue;
        if (describe_part(&pf.components[k], lm->skeleton, order[i], lp->joints,
                          coords[i] == 3 ? "XYZC" : "XYC", err))
            goto out;
        for (size_t t = 0; t < lm->frames; t++) {
            for (size_t j = 0; j < lp->joints; j++) {
                const float *v = lp->data + (t * lp->joints + j) * lp->channels;
                size_t pt = t * pf.points + off + j;
                bool ok = true;
                for (size_t c = 0; c < coords[i] + vis[i]; c++) ok &= isfinite(v[c]) != 0;
                if (!ok) continue; /* confidence 0, data 0 */
                pf.conf[pt] = vis[i] ? v[3] : 1.0f;
                float *dst = pf.data + pt * pf.dims;
                dst[0] = (float)((double)v[0] * sx);
                dst[1] = (float)((double)v[1] * sy);
                if (coords[i] == 3) dst[2] = v[2];
            }
        }
        off += lp->joints;
        k++;
    }
    rc = pose_file_write(&pf, path, err);
out:
    free_components(pf.components, nc);
    pf.components = NULL;
    free(pf.data);
    free(pf.conf);
    return rc;
}
