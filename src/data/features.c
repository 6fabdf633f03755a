/* features.c — joint, bone and motion streams (features.h).
 *
 * SL-GCN (Jiang et al. 2021) trains one model per stream and adds their scores; here the
 * streams are concatenated as channels of one model, which costs only the first layer's
 * width. Bones follow the skeleton tree that graph_parents builds from the same edges as the
 * graph (each joint's parent: its lowest-index neighbour one hop closer to the root).
 * Differences are taken only between present joints (SPEC §1.1: missing = exact zeros), so
 * a lost hand does not turn into a huge bone or motion.
 */
#include "data/features.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const names[3] = {"joints", "bones", "motion"};

int features_parse(const char *s)
{
    unsigned mask = FEATURE_JOINTS;
    const char *p = s;
    if (!s || !*s) return -1;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int k = 0;
        while (k < 3 && !(strlen(names[k]) == n && !strncmp(p, names[k], n))) k++;
        if (k == 3) return -1;
        mask |= 1u << k;
        if (!e) break;
        p = e + 1;
    }
    return (int)mask;
}

const char *features_name(unsigned mask, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < 3; k++)
        if (mask & (1u << k) || k == 0)
            used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s%s",
                                     used ? "," : "", names[k]);
    return buf;
}

size_t features_count(unsigned mask)
{
    return 1 + ((mask & FEATURE_BONES) != 0) + ((mask & FEATURE_MOTION) != 0);
}

static bool missing(const float *v, size_t C)
{
    for (size_t c = 0; c < C; c++)
        if (v[c] != 0.0f) return false;
    return true;
}

static void diff(const float *a, const float *b, size_t C, float *out)
{
    if (missing(a, C) || missing(b, C)) {
        memset(out, 0, C * sizeof *out);
        return;
    }
    for (size_t c = 0; c < C; c++) out[c] = a[c] - b[c];
}

void features_apply(const float *x, size_t B, size_t T, size_t J, size_t C, unsigned mask,
                    const int32_t *parent, float *out)
{
    const size_t n = features_count(mask), CO = C * n;
    for (size_t bt = 0; bt < B * T; bt++) {
        const size_t t = bt % T;
        const float *f = x + bt * J * C;
        float *o = out + bt * J * CO;
        for (size_t j = 0; j < J; j++) {
            float *oj = o + j * CO;
            size_t k = C;
            memcpy(oj, f + j * C, C * sizeof *oj);
            if (mask & FEATURE_BONES) {
                if (parent[j] < 0) memset(oj + k, 0, C * sizeof *oj);
                else diff(f + j * C, f + (size_t)parent[j] * C, C, oj + k);
                k += C;
            }
            if (mask & FEATURE_MOTION) {
                if (t == 0) memset(oj + k, 0, C * sizeof *oj);
                else diff(f + j * C, f - J * C + j * C, C, oj + k);
            }
        }
    }
}
