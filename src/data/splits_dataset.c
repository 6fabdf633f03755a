/* splits_dataset.c — what `splits` needs from a dataset folder: the video ids (the `.npz`
 * files directly in the folder, byte order) and each video's frame count T.
 *
 * T here is the common first dimension of whichever of pose, left_hand, right_hand and face
 * the file has — splits do not depend on --include-* (there are none among its flags), so all
 * four landmark parts count; a disagreement is an error naming both parts and lengths. Only the
 * npy headers are read (npz_open parses them), never the landmark data.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
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
        if (len <= 4 || strcmp(e->d_name + len - 4, ".npz") != 0) continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            if (sg_realloc((void **)&v, nc, sizeof *v, "video list", err) != 0) goto fail;
            cap = nc;
        }
        v[cnt] = sg_malloc(len - 3, 1, "video id", err);
        if (!v[cnt]) goto fail;
        memcpy(v[cnt], e->d_name, len - 4);
        v[cnt][len - 4] = '\0';
        cnt++;
    }
    closedir(d);
    if (cnt > 1) qsort(v, cnt, sizeof *v, cmp_str); /* v is NULL for an empty folder */
    *ids = v;
    *n = cnt;
    return 0;
fail:
    closedir(d);
    splits_free_ids(v, cnt);
    return -1;
}

int splits_video_frames(const char *npz_path, size_t *T, struct error *err)
{
    static const char *const parts[] = {"pose", "left_hand", "right_hand", "face"};
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
