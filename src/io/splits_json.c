/* splits_json.c — the splits file written by `signstgcn splits` and read by `train
 * --splits-json` (SPEC §7).
 *
 *   {"meta": {"data", "groundtruth", "window", "stride", "s_label", "rule",
 *             "ratios": {"train", "val", "test"}, "seed"},
 *    "splits": {"train"|"val"|"test": {"videos": [ids], "counts": {"S", "nonS"}}},
 *    "per_video": {id: {"frames", "windows", "S_windows", "nonS_windows"}}}
 *
 * Writing goes through cJSON (formatted output, keys in the order above, videos in byte order,
 * so the same inputs give byte-identical files) and core/atomic_file. The seed is a JSON
 * number, so the writer refuses seeds above 2^53 rather than write one that reads back
 * differently.
 *
 * Reading treats the file as hostile (a UTF-8 byte order mark is skipped; anything but blanks
 * after the top-level object is an error): only `splits` matters to a trainer and it is validated
 * strictly (an object holding `train` and `val` objects, optionally `test`, each with a
 * `videos` array of non-empty strings; no video twice); `meta` and `per_video`, when present,
 * must be objects. Unknown keys are ignored so that later versions can add some. Errors name
 * the file and the JSON path, e.g. `splits_json: 'a.json': splits.train.videos[3] is a number
 * (expected a string)`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/input_file.h"
#include "data/splits.h"
#include "io/json_utf8.h"

#define SEED_MAX_EXACT 9007199254740992ULL /* 2^53 */

static cJSON *add_obj(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToObject(parent, key, o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int cmp_idx_by_id(const void *a, const void *b, const struct split_video *v)
{
    return strcmp(v[*(const size_t *)a].id, v[*(const size_t *)b].id);
}

/* qsort has no context argument in C11: a merge sort over indices, by video id. */
static void sort_indices(size_t *idx, size_t *tmp, size_t n, const struct split_video *v)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_indices(idx, tmp, h, v);
    sort_indices(idx + h, tmp, n - h, v);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) tmp[o++] = cmp_idx_by_id(&idx[j], &idx[i], v) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[o++] = idx[i++];
    while (j < n) tmp[o++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

static cJSON *build_json(const struct splits_meta *meta, const struct split_video *v, size_t n,
                         const size_t *order)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON *m = add_obj(root, "meta");
    if (!m) goto fail;
    bool ok = cJSON_AddStringToObject(m, "data", meta->data) &&
              cJSON_AddStringToObject(m, "groundtruth", meta->groundtruth) &&
              cJSON_AddNumberToObject(m, "window", (double)meta->window) &&
              cJSON_AddNumberToObject(m, "stride", (double)meta->stride) &&
              cJSON_AddStringToObject(m, "s_label", meta->s_label) &&
              cJSON_AddStringToObject(m, "rule", split_rule_name(meta->rule));
    cJSON *r = ok ? add_obj(m, "ratios") : NULL;
    if (!r) goto fail;
    for (int k = 0; k < SPLIT_COUNT; k++)
        if (!cJSON_AddNumberToObject(r, split_name(k), meta->ratios[k])) goto fail;
    if (!cJSON_AddNumberToObject(m, "seed", (double)meta->seed)) goto fail;

    cJSON *splits = add_obj(root, "splits");
    if (!splits) goto fail;
    for (int k = 0; k < SPLIT_COUNT; k++) {
        cJSON *s = add_obj(splits, split_name(k));
        cJSON *vids = s ? cJSON_AddArrayToObject(s, "videos") : NULL;
        if (!vids) goto fail;
        size_t S = 0, nonS = 0;
        for (size_t i = 0; i < n; i++) {
            const struct split_video *x = &v[order[i]];
            if (x->split != k) continue;
            cJSON *str = cJSON_CreateString(x->id);
            if (!str || !cJSON_AddItemToArray(vids, str)) {
                cJSON_Delete(str);
                goto fail;
            }
            S += x->s_windows;
            nonS += x->windows - x->s_windows;
        }
        cJSON *c = add_obj(s, "counts");
        if (!c || !cJSON_AddNumberToObject(c, "S", (double)S) ||
            !cJSON_AddNumberToObject(c, "nonS", (double)nonS))
            goto fail;
    }
    cJSON *pv = add_obj(root, "per_video");
    if (!pv) goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct split_video *x = &v[order[i]];
        cJSON *o = add_obj(pv, x->id);
        if (!o || !cJSON_AddNumberToObject(o, "frames", (double)x->frames) ||
            !cJSON_AddNumberToObject(o, "windows", (double)x->windows) ||
            !cJSON_AddNumberToObject(o, "S_windows", (double)x->s_windows) ||
            !cJSON_AddNumberToObject(o, "nonS_windows", (double)(x->windows - x->s_windows)))
            goto fail;
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

int splits_json_write(const char *path, const struct splits_meta *meta,
                      const struct split_video *v, size_t n, struct error *err)
{
    if (meta->seed > SEED_MAX_EXACT)
        return error_set(err, "splits_json: seed %llu is above 2^53 and would not survive JSON",
                         (unsigned long long)meta->seed);
    size_t *order = sg_malloc(n, sizeof *order, "split order", err);
    size_t *tmp = sg_malloc(n, sizeof *tmp, "split order", err);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    sort_indices(order, tmp, n, v);
    cJSON *root = build_json(meta, v, n, order);
    free(order);
    free(tmp);
    char what[512];
    snprintf(what, sizeof what, "splits_json: '%s'", path);
    if (root && json_check_utf8(root, what, err)) {
        cJSON_Delete(root);
        return -1;
    }
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return error_set(err, "splits_json: '%s': cannot build the JSON (out of memory)", path);
    size_t len = strlen(text);
    text[len] = '\n'; /* replace the NUL: the file ends with a newline */
    int rc = atomic_file_write_all(path, text, len + 1, err);
    cJSON_free(text);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

void splits_lists_free(struct splits_lists *l)
{
    if (!l) return;
    for (int k = 0; k < SPLIT_COUNT; k++) {
        for (size_t i = 0; i < l->n[k]; i++) free(l->videos[k][i]);
        free(l->videos[k]);
    }
    memset(l, 0, sizeof *l);
}

static const char *json_type_name(const cJSON *x)
{
    if (cJSON_IsString(x)) return "a string";
    if (cJSON_IsNumber(x)) return "a number";
    if (cJSON_IsBool(x)) return "a boolean";
    if (cJSON_IsNull(x)) return "null";
    if (cJSON_IsArray(x)) return "an array";
    if (cJSON_IsObject(x)) return "an object";
    return "invalid";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int splits_json_parse(const char *text, size_t len, const char *label, struct splits_lists *out,
                      struct error *err)
{
    memset(out, 0, sizeof *out);
    const char *W = "splits_json";
    const char *const file_start = text;
    text_skip_bom(&text, &len);
    if (memchr(text, '\0', len))
        return error_set(err, "%s: '%s': the file holds a NUL byte (expected JSON text)", W,
                         label);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = (at && at >= text && at <= text + len) ? (size_t)(at - file_start) : 0;
        return error_set(err, "%s: '%s': not valid JSON (near byte %zu)", W, label, off);
    }
    /* cJSON stops after the first value: anything but blanks after it is an error (a second
     * object pasted after the first, a truncated edit), not something to ignore */
    size_t used = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    for (size_t i = used; i < len; i++) {
        char ch = text[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
        cJSON_Delete(root);
        return error_set(err, "%s: '%s': text after the JSON object at byte %zu; the file "
                         "must hold one object only", W, label, (size_t)(text + i - file_start));
    }
    char **all = NULL;
    if (!cJSON_IsObject(root)) {
        error_set(err, "%s: '%s': the top level is %s (expected an object)", W, label,
                  json_type_name(root));
        goto fail;
    }
    static const char *const optional_objects[] = {"meta", "per_video"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, optional_objects[i]);
        if (o && !cJSON_IsObject(o)) {
            error_set(err, "%s: '%s': %s is %s (expected an object)", W, label,
                      optional_objects[i], json_type_name(o));
            goto fail;
        }
    }
    const cJSON *splits = cJSON_GetObjectItemCaseSensitive(root, "splits");
    if (!splits) {
        error_set(err, "%s: '%s': no \"splits\" object", W, label);
        error_hint(err, "write the file with 'signstgcn splits'");
        goto fail;
    }
    if (!cJSON_IsObject(splits)) {
        error_set(err, "%s: '%s': splits is %s (expected an object)", W, label,
                  json_type_name(splits));
        goto fail;
    }
    size_t total = 0;
    for (int k = 0; k < SPLIT_COUNT; k++) {
        const char *name = split_name(k);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(splits, name);
        if (!s) {
            if (k == SPLIT_TEST) continue;
            error_set(err, "%s: '%s': splits has no \"%s\"", W, label, name);
            goto fail;
        }
        if (!cJSON_IsObject(s)) {
            error_set(err, "%s: '%s': splits.%s is %s (expected an object)", W, label, name,
                      json_type_name(s));
            goto fail;
        }
        const cJSON *vids = cJSON_GetObjectItemCaseSensitive(s, "videos");
        if (!vids || !cJSON_IsArray(vids)) {
            error_set(err, "%s: '%s': splits.%s.videos is %s (expected an array of video ids)",
                      W, label, name, vids ? json_type_name(vids) : "missing");
            goto fail;
        }
        if (k == SPLIT_TEST) out->has_test = true;
        size_t cnt = (size_t)cJSON_GetArraySize(vids);
        out->videos[k] = sg_calloc(cnt, sizeof *out->videos[k], "split videos", err);
        if (!out->videos[k]) goto fail;
        size_t i = 0;
        for (const cJSON *e = vids->child; e; e = e->next, i++) {
            if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
                error_set(err, "%s: '%s': splits.%s.videos[%zu] is %s (expected a video id)", W,
                          label, name, i, cJSON_IsString(e) ? "empty" : json_type_name(e));
                goto fail;
            }
            out->videos[k][out->n[k]] = sg_strdup(e->valuestring, err);
            if (!out->videos[k][out->n[k]]) goto fail;
            out->n[k]++;
        }
        total += out->n[k];
    }
    /* No video twice, within a split or across splits. */
    all = sg_malloc(total, sizeof *all, "split videos", err);
    if (!all) goto fail;
    size_t o = 0;
    for (int k = 0; k < SPLIT_COUNT; k++)
        for (size_t i = 0; i < out->n[k]; i++) all[o++] = out->videos[k][i];
    qsort(all, total, sizeof *all, cmp_str);
    for (size_t i = 1; i < total; i++)
        if (!strcmp(all[i - 1], all[i])) {
            const char *where[2];
            int nw = 0;
            for (int k = 0; k < SPLIT_COUNT && nw < 2; k++)
                for (size_t j = 0; j < out->n[k] && nw < 2; j++)
                    if (!strcmp(out->videos[k][j], all[i])) where[nw++] = split_name(k);
            error_set(err, "%s: '%s': video '%s' is listed twice (in %s and %s)", W, label,
                      all[i], where[0], where[1]);
            goto fail;
        }
    free(all);
    cJSON_Delete(root);
    return 0;
fail:
    free(all);
    cJSON_Delete(root);
    splits_lists_free(out);
    return -1;
}

int splits_json_read(const char *path, struct splits_lists *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    char *buf;
    size_t n;
    if (input_file_read(path, "splits_json", NULL, INPUT_JSON_MAX, true, &buf, &n, err))
        return -1;
    int rc = splits_json_parse(buf, n, path, out, err);
    free(buf);
    return rc;
}
