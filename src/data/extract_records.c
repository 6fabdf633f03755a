/* extract_records.c — the extractor's JSON-lines records, parsed and checked, and frames
 * gathered into recordings (contract in extract_records.h).
 *
 * Why a text protocol: the extractor (Node + chromium + MediaPipe's WASM) is an optional,
 * separately installed program; keeping the file formats (npz, `.pose`) on this side means
 * there is one writer of each, and the boundary is a few record types that are easy to check.
 * cJSON reads each line; doubles are narrowed to float32 after a finiteness check.
 *
 * Checks: the record type is known; numbers are finite and within range (sizes 1..65535,
 * fps 0..1000, counts below 2^53); a landmark array has exactly joints × channels numbers for
 * its part (pose 33 × 4, hands 21 × 3, face 468 × 3 or 478 × 3), each finite, pose
 * visibility within [0, 1] (a little slack for rounding). Coordinates are not clamped:
 * MediaPipe places landmarks outside the frame (x < 0 or > 1) when a limb leaves the picture,
 * and that is information. Frames must arrive in order 0, 1, 2...
 *
 * Not here: running the extractor, the progress bar, file names (src/cli/cmd_extract.c).
 */
#include "data/extract_records.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static const char *const type_names[EXTRACT_REC_COUNT] = {"ready", "video", "frame", "end",
                                                          "error", "done",  "fatal"};
_Static_assert(sizeof type_names / sizeof type_names[0] == EXTRACT_REC_COUNT,
               "type_names and enum extract_rec_type disagree");

static const size_t part_channels[DATA_PART_COUNT] = {4, 3, 3, 3};

static size_t part_joints_ok(int p, size_t joints)
{
    if (p == DATA_PART_POSE) return joints == 33;
    if (p == DATA_PART_FACE) return joints == 468 || joints == 478;
    return joints == 21;
}

/* A number field within [lo, hi]; required unless `optional` (then *out keeps its value). */
static int get_num(const cJSON *o, const char *key, double lo, double hi, bool optional,
                   double *out, const char *label, struct error *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) {
        if (optional) return 0;
        return error_set(err, "%s: field '%s' is missing", label, key);
    }
    if (!cJSON_IsNumber(it))
        return error_set(err, "%s: field '%s' is not a number", label, key);
    double v = it->valuedouble;
    if (!isfinite(v) || v < lo || v > hi)
        return error_set(err, "%s: field '%s' is %g (expected %g..%g)", label, key, v, lo, hi);
    *out = v;
    return 0;
}

static int get_count(const cJSON *o, const char *key, size_t *out, const char *label,
                     struct error *err)
{
    double v = 0;
    if (get_num(o, key, 0, 9007199254740992.0, false, &v, label, err)) return -1;
    if (v != floor(v)) return error_set(err, "%s: field '%s' is %g (expected a whole number)",
                                        label, key, v);
    *out = (size_t)v;
    return 0;
}

static void get_text(const cJSON *o, const char *key, char *dst, size_t cap)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(dst, cap, "%s", cJSON_IsString(it) && it->valuestring ? it->valuestring : "");
}

static int get_part(struct extract_rec *r, const cJSON *o, int p, const char *label,
                    struct error *err)
{
    const char *name = data_part_name((enum data_part)p);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!a) return error_set(err, "%s: field '%s' is missing (expected an array or null)",
                             label, name);
    if (cJSON_IsNull(a)) return 0;
    if (!cJSON_IsArray(a))
        return error_set(err, "%s: field '%s' is not an array or null", label, name);
    size_t n = (size_t)cJSON_GetArraySize(a), C = part_channels[p];
    if (n % C != 0 || !part_joints_ok(p, n / C))
        return error_set(err, "%s: '%s' has %zu numbers (expected %s)", label, name, n,
                         p == DATA_PART_POSE   ? "33 × 4"
                         : p == DATA_PART_FACE ? "468 × 3 or 478 × 3"
                                               : "21 × 3");
    float *d = sg_malloc(n, sizeof *d, "extract: landmarks", err);
    if (!d) return -1;
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        double v = cJSON_IsNumber(it) ? it->valuedouble : (double)NAN;
        bool vis = p == DATA_PART_POSE && i % 4 == 3;
        if (!isfinite(v) || fabs(v) > 1e6 || (vis && (v < -1e-3 || v > 1 + 1e-3))) {
            free(d);
            return error_set(err, "%s: '%s' value %zu (joint %zu, channel %zu) is %s (expected "
                                  "%s)",
                             label, name, i, i / C, i % C, cJSON_IsNumber(it) ? "out of range"
                                                                              : "not a number",
                             vis ? "a visibility in [0, 1]" : "a finite coordinate");
        }
        d[i++] = (float)v;
    }
    r->part[p] = d;
    r->joints[p] = n / C;
    return 0;
}

int extract_rec_parse(struct extract_rec *r, const char *line, size_t len, const char *label,
                      struct error *err)
{
    memset(r, 0, sizeof *r);
    if (len > EXTRACT_MAX_LINE)
        return error_set(err, "%s: a line of %zu bytes (expected at most %zu)", label, len,
                         EXTRACT_MAX_LINE);
    cJSON *o = cJSON_ParseWithLength(line, len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        /* the line is not NUL-terminated: print at most its length */
        return error_set(err, "%s: not a JSON object: '%.*s'", label, (int)(len < 60 ? len : 60),
                         line);
    }
    int rc = -1;
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type");
    int type = -1;
    for (int k = 0; k < EXTRACT_REC_COUNT && cJSON_IsString(ty); k++)
        if (!strcmp(ty->valuestring, type_names[k])) type = k;
    if (type < 0) {
        error_set(err, "%s: field 'type' is %s (expected ready, video, frame, end, error, "
                       "done or fatal)",
                  label, cJSON_IsString(ty) ? ty->valuestring : "missing");
        goto out;
    }
    r->type = (enum extract_rec_type)type;
    double v;
    if (r->type != EXTRACT_READY && r->type != EXTRACT_DONE && r->type != EXTRACT_FATAL &&
        get_count(o, "index", &r->index, label, err))
        goto out;
    switch (r->type) {
    case EXTRACT_READY:
        v = 0;
        if (get_num(o, "startup_s", 0, 1e9, true, &v, label, err)) goto out;
        r->startup_s = v;
        break;
    case EXTRACT_VIDEO: {
        double w, h, f;
        if (get_num(o, "width", 1, 65535, false, &w, label, err) ||
            get_num(o, "height", 1, 65535, false, &h, label, err) ||
            get_num(o, "fps", 0, 1000, false, &f, label, err) ||
            get_count(o, "frames", &r->frames, label, err))
            goto out;
        r->width = (unsigned)w;
        r->height = (unsigned)h;
        r->fps = f;
        r->image = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "image"));
        break;
    }
    case EXTRACT_FRAME:
        if (get_count(o, "t", &r->t, label, err)) goto out;
        for (int p = 0; p < DATA_PART_COUNT; p++)
            if (get_part(r, o, p, label, err)) goto out;
        break;
    case EXTRACT_END:
        if (get_count(o, "frames", &r->frames, label, err)) goto out;
        break;
    case EXTRACT_ERROR:
    case EXTRACT_FATAL:
        get_text(o, "message", r->message, sizeof r->message);
        if (!r->message[0]) snprintf(r->message, sizeof r->message, "(no message)");
        break;
    case EXTRACT_DONE: {
        if (get_count(o, "served", &r->served, label, err) ||
            get_count(o, "refused", &r->refused, label, err))
            goto out;
        const cJSON *urls = cJSON_GetObjectItemCaseSensitive(o, "refused_urls"), *u;
        size_t k = 0;
        cJSON_ArrayForEach(u, urls)
        {
            if (!cJSON_IsString(u) || k >= sizeof r->message - 1) continue;
            k += (size_t)snprintf(r->message + k, sizeof r->message - k, "%s%s", k ? ", " : "",
                                  u->valuestring);
        }
        break;
    }
    default: break;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    if (rc) extract_rec_free(r);
    return rc;
}

void extract_rec_free(struct extract_rec *r)
{
    for (int p = 0; p < DATA_PART_COUNT; p++) free(r->part[p]);
    memset(r, 0, sizeof *r);
}

void extract_video_init(struct extract_video *v, const struct extract_rec *video_rec,
                        size_t face_joints)
{
    memset(v, 0, sizeof *v);
    v->face_joints = face_joints;
    v->fps = video_rec->fps;
    v->width = video_rec->width;
    v->height = video_rec->height;
}

static size_t joints_of(const struct extract_video *v, int p)
{
    return p == DATA_PART_POSE ? 33 : p == DATA_PART_FACE ? v->face_joints : 21;
}

int extract_video_add(struct extract_video *v, const struct extract_rec *f, const char *label,
                      struct error *err)
{
    if (f->t != v->frames)
        return error_set(err, "%s: frame %zu arrived after frame %zu (expected frame %zu)",
                         label, f->t, v->frames ? v->frames - 1 : 0, v->frames);
    if (f->part[DATA_PART_FACE] && f->joints[DATA_PART_FACE] != v->face_joints)
        return error_set(err, "%s: a face of %zu landmarks (expected %zu%s)", label,
                         f->joints[DATA_PART_FACE], v->face_joints,
                         v->face_joints == 478 ? " with --refine-face" : " without --refine-face");
    if (v->frames == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        for (int p = 0; p < DATA_PART_COUNT; p++) {
            size_t per = joints_of(v, p) * part_channels[p], n;
            if (!size_mul(cap, per, &n) ||
                sg_realloc((void **)&v->part[p], n, sizeof(float), "extract: frames", err))
                return error_prefix(err, "%s", label);
        }
        v->cap = cap;
    }
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        size_t per = joints_of(v, p) * part_channels[p];
        float *dst = v->part[p] + v->frames * per;
        if (f->part[p]) {
            memcpy(dst, f->part[p], per * sizeof *dst);
            v->detected[p]++;
        } else {
            for (size_t i = 0; i < per; i++) dst[i] = NAN;
        }
    }
    v->frames++;
    return 0;
}

int extract_video_finish(struct extract_video *v, struct landmarks *lm, struct error *err)
{
    memset(lm, 0, sizeof *lm);
    if (v->frames == 0) return error_set(err, "extract: a recording with no frame");
    lm->format = LANDMARK_NPZ;
    lm->skeleton = SKELETON_MEDIAPIPE;
    lm->frames = v->frames;
    lm->fps = v->fps;
    lm->pixels = false;
    lm->width = v->width;
    lm->height = v->height;
    lm->people = 1;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        lm->part[p].data = v->part[p];
        lm->part[p].joints = joints_of(v, p);
        lm->part[p].channels = part_channels[p];
        v->part[p] = NULL;
    }
    v->frames = v->cap = 0;
    return 0;
}

void extract_video_free(struct extract_video *v)
{
    for (int p = 0; p < DATA_PART_COUNT; p++) free(v->part[p]);
    memset(v, 0, sizeof *v);
}
