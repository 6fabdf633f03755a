/* splits.c — S/nonS window counts and the video-level split (SPEC §7 `splits`).
 *
 * Counting reuses the §1.4 rules from data/windows.c over the video's per-frame label ids
 * without label fill (`splits` has no --label-fill: S means annotated S frames).
 *
 * Assignment, in full (docs/decisions.md, "Groundtruth, windows and splits"):
 *  1. Groups: with signer ids, the videos of one signer form a group; a video without a signer
 *     (only possible when the caller allows it) and every video without signer ids is a group
 *     of its own. A group is positive when one of its videos has an S window.
 *  2. Positive groups and negative groups are separately sorted in byte order of their key
 *     (signer id, else video id) and shuffled with the project's generator seeded with --seed
 *     (positives first, then negatives from the same stream), so the result does not depend
 *     on the order in which files were listed.
 *  3. Each shuffled list is cut by the ratios over its video count: with N videos in the list
 *     and c videos placed before a group of size m, the group goes to the first split k with
 *     c + m/2 < N·(r_0 + … + r_k); the last split with a non-zero ratio takes the rest. For
 *     one-video groups this is round-half-down of each cumulative boundary, and a split with
 *     ratio 0 never gets a video.
 *  4. Positive guarantee: when there are at least as many positive groups as splits with a
 *     non-zero ratio (three for the default .8/.1/.1), each such split without a positive group
 *     takes the last-placed positive group of the split that has most (ties: the earlier
 *     split), which then still has one.
 * No video can be in two splits: each group, hence each video, is given exactly one split.
 */
#include "data/splits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rng.h"
#include "data/windows.h"

static const char *const split_names[SPLIT_COUNT] = {"train", "val", "test"};

const char *split_name(int split)
{
    return split >= 0 && split < SPLIT_COUNT ? split_names[split] : "?";
}

int split_rule_parse(const char *s, enum split_rule *out, struct error *err)
{
    if (!strcmp(s, "any")) *out = SPLIT_RULE_ANY;
    else if (!strcmp(s, "majority")) *out = SPLIT_RULE_MAJORITY;
    else return error_set(err, "--rule must be 'any' or 'majority', got '%s'", s);
    return 0;
}

const char *split_rule_name(enum split_rule r)
{
    return r == SPLIT_RULE_MAJORITY ? "majority" : "any";
}

int splits_count_video(const struct groundtruth *gt, const char *video_id, size_t T,
                       size_t window, size_t stride, const char *s_label,
                       enum split_rule rule, size_t *windows, size_t *s_windows,
                       struct error *err)
{
    size_t nl = gt ? groundtruth_num_labels(gt) : 0;
    size_t nw = windows_count(T, window, stride);
    *windows = nw;
    *s_windows = 0;
    int32_t *frames = sg_malloc(T, sizeof *frames, "frame labels", err);
    bool *is_s = sg_calloc(nl, sizeof *is_s, "label mask", err);
    uint32_t *counts = sg_calloc(nl, sizeof *counts, "label counters", err);
    if (!frames || !is_s || !counts) {
        free(frames);
        free(is_s);
        free(counts);
        return -1;
    }
    bool any_s = false;
    for (size_t i = 0; i < nl; i++) {
        is_s[i] = ascii_equal_ci(groundtruth_label_name(gt, (int32_t)i), s_label);
        any_s |= is_s[i];
    }
    if (gt) groundtruth_frame_labels(gt, video_id, T, LABEL_FILL_NONE, frames);
    else
        for (size_t t = 0; t < T; t++) frames[t] = -1;
    for (size_t i = 0; any_s && i < nw; i++) {
        size_t start = windows_start(i, stride);
        bool s;
        if (rule == SPLIT_RULE_ANY) {
            s = windows_any_label(frames, T, start, window, is_s);
        } else {
            int32_t l = windows_label(frames, T, start, window, counts);
            s = l >= 0 && is_s[l];
        }
        *s_windows += s;
    }
    free(frames);
    free(is_s);
    free(counts);
    return 0;
}

int splits_check_ratios(const double ratios[SPLIT_COUNT], struct error *err)
{
    double sum = 0;
    for (int k = 0; k < SPLIT_COUNT; k++) {
        if (!(ratios[k] >= 0) || !isfinite(ratios[k]))
            return error_set(err, "--%s must be >= 0, got %g", split_names[k], ratios[k]);
        sum += ratios[k];
    }
    if (fabs(sum - 1.0) > 1e-6)
        return error_set(err, "--train, --val and --test must sum to 1, got %g + %g + %g = %.9g",
                         ratios[0], ratios[1], ratios[2], sum);
    return 0;
}

struct group {
    const char *key;
    size_t first, size; /* range in the member-index array */
    bool positive;
    int split;
};

struct member_sort {
    const struct split_video *v;
    size_t idx;
};

static const char *group_key(const struct split_video *v)
{
    return v->signer ? v->signer : v->id;
}

/* Signed videos before unsigned ones (so a signer id and a video id never merge), then key,
 * then video id. */
static int cmp_member(const void *a, const void *b)
{
    const struct split_video *x = ((const struct member_sort *)a)->v;
    const struct split_video *y = ((const struct member_sort *)b)->v;
    if ((x->signer != NULL) != (y->signer != NULL)) return x->signer ? -1 : 1;
    int c = strcmp(group_key(x), group_key(y));
    return c ? c : strcmp(x->id, y->id);
}

/* Cuts one shuffled list of groups by the ratios (step 3). */
static void cut_by_ratios(struct group **g, size_t ng, const double ratios[SPLIT_COUNT])
{
    size_t total = 0;
    for (size_t i = 0; i < ng; i++) total += g[i]->size;
    int last = 0;
    for (int k = 0; k < SPLIT_COUNT; k++)
        if (ratios[k] > 0) last = k;
    double cum[SPLIT_COUNT], acc = 0;
    for (int k = 0; k < SPLIT_COUNT; k++) {
        acc += ratios[k];
        cum[k] = acc;
    }
    size_t c = 0;
    for (size_t i = 0; i < ng; i++) {
        double mid2 = 2.0 * (double)c + (double)g[i]->size;
        int k = 0;
        while (k < last && !(ratios[k] > 0 && mid2 < 2.0 * (double)total * cum[k])) k++;
        g[i]->split = k;
        c += g[i]->size;
    }
}

int splits_assign(struct split_video *v, size_t n, const double ratios[SPLIT_COUNT],
                  uint64_t seed, struct error *err)
{
    if (splits_check_ratios(ratios, err) != 0) return -1;
    if (n == 0) return 0;
    struct member_sort *m = sg_malloc(n, sizeof *m, "split members", err);
    struct group *groups = sg_calloc(n, sizeof *groups, "split groups", err);
    struct group **pos = sg_malloc(n, sizeof *pos, "split groups", err);
    struct group **neg = sg_malloc(n, sizeof *neg, "split groups", err);
    if (!m || !groups || !pos || !neg) {
        free(m);
        free(groups);
        free(pos);
        free(neg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) m[i] = (struct member_sort){&v[i], i};
    qsort(m, n, sizeof *m, cmp_member);

    /* Step 1 and 2: groups in key order, split into positive and negative lists. */
    size_t ng = 0, npos = 0, nneg = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (m[i].v->signer)
            while (j < n && m[j].v->signer && !strcmp(m[j].v->signer, m[i].v->signer)) j++;
        struct group *g = &groups[ng++];
        *g = (struct group){group_key(m[i].v), i, j - i, false, 0};
        for (size_t k = i; k < j; k++) g->positive |= m[k].v->s_windows > 0;
        if (g->positive) pos[npos++] = g;
        else neg[nneg++] = g;
        i = j;
    }
    struct rng r;
    rng_seed(&r, seed);
    rng_shuffle(&r, pos, npos, sizeof *pos);
    rng_shuffle(&r, neg, nneg, sizeof *neg);

    /* Step 3. */
    cut_by_ratios(pos, npos, ratios);
    cut_by_ratios(neg, nneg, ratios);

    /* Step 4: the positive guarantee. */
    size_t nonzero = 0, have[SPLIT_COUNT] = {0};
    for (int k = 0; k < SPLIT_COUNT; k++) nonzero += ratios[k] > 0;
    for (size_t i = 0; i < npos; i++) have[pos[i]->split]++;
    if (npos >= nonzero) {
        for (int k = 0; k < SPLIT_COUNT; k++) {
            if (!(ratios[k] > 0) || have[k] > 0) continue;
            int donor = 0;
            for (int d = 1; d < SPLIT_COUNT; d++)
                if (have[d] > have[donor]) donor = d;
            CHECK(have[donor] >= 2);
            for (size_t i = npos; i-- > 0;)
                if (pos[i]->split == donor) {
                    pos[i]->split = k;
                    break;
                }
            have[donor]--;
            have[k]++;
        }
    }

    for (size_t gi = 0; gi < ng; gi++)
        for (size_t k = groups[gi].first; k < groups[gi].first + groups[gi].size; k++)
            v[m[k].idx].split = groups[gi].split;
    free(m);
    free(groups);
    free(pos);
    free(neg);
    return 0;
}
