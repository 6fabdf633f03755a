/* openpose_json.c — one OpenPose JSON frame (format in openpose_json.h), through cJSON.
 *
 * Strict about what the model uses and lenient about the rest: `people` must be a list of
 * objects, and each of the four 2-d keypoint arrays must be absent, empty, or hold exactly the
 * part's points × 3 numbers (BODY_25 only: a COCO-18 or BODY_135 array is an error naming its
 * length); `version`, `person_id`, the 3-d arrays and unknown keys are ignored. Numbers are
 * stored as float32 (OpenPose writes float32 values as decimal text). Not here: the frame
 * files of a recording, the person followed, missing joints (src/data/landmarks.c).
 */
#include "io/openpose_json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static const char *const part_keys[OPENPOSE_PART_COUNT] = {
    "pose_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
    "face_keypoints_2d"};
static const size_t part_points[OPENPOSE_PART_COUNT] = {25, 21, 21, 70};

const char *openpose_part_key(enum openpose_part p)
{
    return (unsigned)p < OPENPOSE_PART_COUNT ? part_keys[p] : "?";
}

size_t openpose_part_points(enum openpose_part p)
{
    return (unsigned)p < OPENPOSE_PART_COUNT ? part_points[p] : 0;
}

void openpose_frame_free(struct openpose_frame *f)
{
    if (!f) return;
    for (size_t i = 0; f->people && i < f->n_people; i++)
        for (int p = 0; p < OPENPOSE_PART_COUNT; p++) free(f->people[i].kp[p]);
    free(f->people);
    memset(f, 0, sizeof *f);
}

static int read_person(const cJSON *o, struct openpose_person *out, size_t idx,
                       const char *label, struct error *err)
{
    if (!cJSON_IsObject(o))
        return error_set(err, "openpose: '%s': people[%zu] is not an object", label, idx);
    for (int p = 0; p < OPENPOSE_PART_COUNT; p++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, part_keys[p]);
        if (!a || cJSON_IsNull(a)) continue;
        if (!cJSON_IsArray(a))
            return error_set(err, "openpose: '%s': people[%zu] '%s' is not a list", label, idx,
                             part_keys[p]);
        size_t n = (size_t)cJSON_GetArraySize(a);
        if (n == 0) continue;
        if (n != 3 * part_points[p])
            return error_set(err,
                             "openpose: '%s': people[%zu] '%s' has %zu numbers (expected %zu: "
                             "%zu points × x, y, confidence%s, or none)",
                             label, idx, part_keys[p], n, 3 * part_points[p], part_points[p],
                             p == OPENPOSE_POSE ? ", the BODY_25 model" : "");
        float *kp = sg_malloc(n, sizeof *kp, "openpose: keypoints", err);
        if (!kp) return -1;
        out->kp[p] = kp;
        size_t k = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, a) {
            if (!cJSON_IsNumber(v))
                return error_set(err, "openpose: '%s': people[%zu] '%s'[%zu] is not a number",
                                 label, idx, part_keys[p], k);
            kp[k++] = (float)v->valuedouble;
        }
    }
    return 0;
}

int openpose_frame_parse(struct openpose_frame *f, const char *json, size_t len,
                         const char *label, struct error *err)
{
    memset(f, 0, sizeof *f);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) return error_set(err, "openpose: '%s': not valid JSON", label);
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        error_set(err, "openpose: '%s': not a JSON object (expected {\"people\": [...]})", label);
        goto out;
    }
    const cJSON *people = cJSON_GetObjectItemCaseSensitive(root, "people");
    if (!people) {
        error_set(err, "openpose: '%s': no 'people' list (expected OpenPose's "
                       "{\"version\": ..., \"people\": [...]})",
                  label);
        goto out;
    }
    if (!cJSON_IsArray(people)) {
        error_set(err, "openpose: '%s': 'people' is not a list", label);
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(people);
    f->people = sg_calloc(n, sizeof *f->people, "openpose: people", err);
    if (!f->people) goto out;
    f->n_people = n;
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, people) {
        if (read_person(o, &f->people[i], i, label, err)) goto out;
        i++;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc) openpose_frame_free(f);
    return rc;
}

int openpose_frame_read(struct openpose_frame *f, const char *path, struct error *err)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_set(err, "openpose: '%s': cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 1 << 14;
            if (nc > ((size_t)1 << 32)) {
                error_set(err, "openpose: '%s': larger than 4 GiB", path);
                goto out;
            }
            if (sg_realloc((void **)&buf, nc, 1, "openpose: file", err)) goto out;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    if (ferror(fp)) {
        error_set(err, "openpose: '%s': read error", path);
        goto out;
    }
    rc = openpose_frame_parse(f, buf, n, path, err);
out:
    free(buf);
    fclose(fp);
    return rc;
}
