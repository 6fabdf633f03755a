/* splits_dataset.c — what `splits` needs from a dataset folder: the video ids (the `.npz` and
 * `.pose` files and OpenPose folders directly in the folder, byte order) and each video's
 * frame count T.
 *
 * T here is the common first dimension of whichever of pose, left_hand, right_hand and face
 * the file has — splits do not depend on --include-* (there are none among its flags), so all
 * four landmark parts count; a disagreement is an error naming both parts and lengths. Only the
 * npy headers are read (npz_open parses them), never the landmark data.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/landmarks.h"
#include "data/splits.h"
#include "io/npz.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void splits_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

int splits_list_videos(const char *dir, char ***ids, size_t *n, struct error *err)
{
    *ids = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return error_set(err, "dataset: cannot open folder '%s': %s", dir, strerror(errno));
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        int f;
        if (len > 4 && strcmp(e->d_name + len - 4, ".npz") == 0) {
            f = LANDMARK_NPZ;
        } else if (len > 5 && strcmp(e->d_name + len - 5, ".pose") == 0) {
            f = LANDMARK_POSE;
        } else {
            if (e->d_name[0] == '.') continue;
            size_t plen = strlen(dir) + len + 2;
            char *p = sg_malloc(plen, 1, "video path", err);
            if (!p) goto fail;
            snprintf(p, plen, "%s/%s", dir, e->d_name);
            f = landmark_format_of_path(p);
            free(p);
            if (f != LANDMARK_OPENPOSE) continue;
        }
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            if (sg_realloc((void **)&v, nc, sizeof *v, "video list", err) != 0) goto fail;
            cap = nc;
        }
        v[cnt] = landmark_id_of_path(e->d_name, (enum landmark_format)f, err);
        if (!v[cnt]) goto fail;
        cnt++;
    }
    closedir(d);
    if (cnt > 1) qsort(v, cnt, sizeof *v, cmp_str); /* v is NULL for an empty folder */
    size_t w = 0; /* one id held by two recordings is listed once (the loader reports it) */
    for (size_t i = 0; i < cnt; i++) {
        if (w > 0 && strcmp(v[w - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[w++] = v[i];
    }
    cnt = w;
    *ids = v;
    *n = cnt;
    return 0;
fail:
    closedir(d);
    splits_free_ids(v, cnt);
    return -1;
}

char *splits_video_path(const char *dir, const char *id, struct error *err)
{
    static const char *const suffixes[] = {".npz", ".pose", ""};
    size_t plen = strlen(dir) + strlen(id) + 7;
    char *p = sg_malloc(plen, 1, "video path", err);
    if (!p) return NULL;
    for (size_t k = 0; k < 3; k++) {
        snprintf(p, plen, "%s/%s%s", dir, id, suffixes[k]);
        if (landmark_format_of_path(p) >= 0) return p;
    }
    snprintf(p, plen, "%s/%s.npz", dir, id);
    return p;
}

int splits_video_frames(const char *npz_path, size_t *T, struct error *err)
{
    static const char *const parts[] = {"pose", "left_hand", "right_hand", "face"};
    int f = landmark_format_of_path(npz_path);
    if (f == LANDMARK_POSE || f == LANDMARK_OPENPOSE) {
        struct landmarks lm;
        if (landmarks_read(&lm, npz_path, NULL, err)) return -1;
        *T = lm.frames;
        landmarks_free(&lm);
        if (*T == 0) return error_set(err, "dataset: '%s' has 0 frames", npz_path);
        return 0;
    }
    struct npz z;
    if (npz_open(&z, npz_path, err) != 0) return -1;
    const char *first = NULL;
    size_t t = 0;
    for (size_t i = 0; i < 4; i++) {
        int idx = npz_find(&z, parts[i]);
        if (idx < 0) continue;
        const struct npz_member *m = &z.members[idx];
        if (!m->ok) {
            error_set(err, "dataset: '%s': member '%s': %s", npz_path, parts[i], m->reason);
            goto fail;
        }
        if (m->ndim < 1) {
            error_set(err, "dataset: '%s': member '%s' is a scalar (expected (T, joints, coords))",
                      npz_path, parts[i]);
            goto fail;
        }
        if (!first) {
            first = parts[i];
            t = m->shape[0];
        } else if (m->shape[0] != t) {
            error_set(err, "dataset: '%s': '%s' has %zu frames but '%s' has %zu", npz_path,
                      first, t, parts[i], m->shape[0]);
            goto fail;
        }
    }
    if (!first) {
        error_set(err, "dataset: '%s' has none of pose, left_hand, right_hand, face", npz_path);
        goto fail;
    }
    if (t == 0) {
        error_set(err, "dataset: '%s': '%s' has 0 frames", npz_path, first);
        goto fail;
    }
    npz_close(&z);
    *T = t;
    return 0;
fail:
    npz_close(&z);
    return -1;
}
