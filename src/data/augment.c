/* augment.c — spatial, temporal and part augmentation of training windows (augment.h).
 *
 * Order for one window: the recording is resampled around the window at the drawn speed (or
 * copied as dataset_fill_span does), then real frames are dropped, the mirror exchanges left
 * and right, the affine map (rotation · shear · scale, then translation) moves x and y, jitter
 * adds noise, and last whole parts go missing. Missing joints (all channels exactly 0, SPEC
 * §1.1) are skipped by every step, so they stay exact zeros; a present joint that a step
 * happens to move onto exact zeros in every channel would read as missing, which has
 * probability zero for continuous draws.
 *
 * Determinism: each window's draw comes from a generator seeded by a hash of (run key,
 * window index), so a draw is a pure function of the seed and the window's place in the run —
 * independent of the thread count, of batch boundaries and of where a run was resumed. The
 * mirror of the face is not done: the face mesh's left/right point pairs are not in the
 * topology, so the trainer refuses --aug-mirror with --include-face.
 *
 * Not done: the signer statistics (SPEC §1.2) describe the raw recording and are not changed;
 * labels are the window's own, whatever the speed.
 */
#include "data/augment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/windows.h"

static const char *const preset_names[] = {"none", "standard"};

const char *augment_preset_name(enum augment_preset p)
{
    return (unsigned)p < 2 ? preset_names[p] : "?";
}

int augment_preset_parse(const char *s)
{
    for (int i = 0; s && i < 2; i++)
        if (!strcmp(s, preset_names[i])) return i;
    return -1;
}

void augment_preset_values(enum augment_preset p, struct augment_config *a)
{
    memset(a, 0, sizeof *a);
    a->speed_lo = a->speed_hi = 1.0;
    if (p != AUGMENT_STANDARD) return;
    /* the recommended set (docs/decisions.md): camera and body differences, jitter and
     * MediaPipe's lost hands and frames; mirroring stays off, since handedness can carry
     * meaning, and so does speed resampling, which lowered balanced accuracy on the demo data
     * (validation and test) at the epochs measured */
    a->rotate = 15.0;
    a->scale = 0.15;
    a->shear = 0.1;
    a->translate = 0.1;
    a->jitter = 0.01;
    a->mirror = 0.0;
    a->speed_lo = 1.0;
    a->speed_hi = 1.0;
    a->frame_drop = 0.05;
    a->hand_drop = 0.05;
    a->face_drop = 0.0;
}

bool augment_is_off(const struct augment_config *a)
{
    return a->rotate == 0 && a->scale == 0 && a->shear == 0 && a->translate == 0 &&
           a->jitter == 0 && a->mirror == 0 && a->speed_lo == 1.0 && a->speed_hi == 1.0 &&
           a->frame_drop == 0 && a->hand_drop == 0 && a->face_drop == 0;
}

int augment_check(const struct augment_config *a, struct error *err)
{
    if (!(a->rotate >= 0 && a->rotate <= 180))
        return error_set(err, "--aug-rotate %g is not in [0, 180] degrees", a->rotate);
    if (!(a->scale >= 0 && a->scale < 1))
        return error_set(err, "--aug-scale %g is not in [0, 1)", a->scale);
    if (!(a->shear >= 0 && a->shear <= 1))
        return error_set(err, "--aug-shear %g is not in [0, 1]", a->shear);
    if (!(a->translate >= 0 && a->translate <= 10))
        return error_set(err, "--aug-translate %g is not in [0, 10]", a->translate);
    if (!(a->jitter >= 0 && a->jitter <= 1))
        return error_set(err, "--aug-jitter %g is not in [0, 1]", a->jitter);
    if (!(a->speed_lo > 0 && a->speed_lo <= a->speed_hi && a->speed_hi <= 4))
        return error_set(err, "--aug-speed %g,%g: need 0 < LO <= HI <= 4", a->speed_lo,
                         a->speed_hi);
    const double *pr[] = {&a->mirror, &a->frame_drop, &a->hand_drop, &a->face_drop};
    const char *names[] = {"--aug-mirror", "--aug-frame-drop", "--aug-hand-drop",
                           "--aug-face-drop"};
    for (int i = 0; i < 4; i++)
        if (!(*pr[i] >= 0 && *pr[i] <= 1))
            return error_set(err, "%s %g is not a probability in [0, 1]", names[i], *pr[i]);
    return 0;
}

/* ---- parts ------------------------------------------------------------------------------ */

int augment_parts_init(struct augment_parts *p, enum skeleton sk, size_t C,
                       const size_t part_offset[4], const size_t part_joints[4],
                       struct error *err)
{
    memset(p, 0, sizeof *p);
    p->C = C;
    p->pose_off = part_offset[0];
    p->pose_n = part_joints[0];
    p->lhand_off = part_offset[1];
    p->rhand_off = part_offset[2];
    p->hand_n = part_joints[1];
    CHECK(part_joints[1] == part_joints[2]);
    p->face_off = part_offset[3];
    p->face_n = part_joints[3];
    p->J = p->pose_n + 2 * p->hand_n + p->face_n;
    p->swap = sg_malloc(p->J ? p->J : 1, sizeof *p->swap, "augmentation", err);
    if (!p->swap) return -1;
    for (size_t j = 0; j < p->J; j++) p->swap[j] = (int32_t)j;
    if (p->pose_n) {
        const int(*pairs)[2];
        size_t n = skeleton_pose_mirror_pairs(sk, &pairs);
        for (size_t k = 0; k < n; k++) {
            size_t a = (size_t)pairs[k][0], b = (size_t)pairs[k][1];
            if (a >= p->pose_n || b >= p->pose_n) continue;
            p->swap[p->pose_off + a] = (int32_t)(p->pose_off + b);
            p->swap[p->pose_off + b] = (int32_t)(p->pose_off + a);
        }
    }
    for (size_t k = 0; k < p->hand_n; k++) {
        p->swap[p->lhand_off + k] = (int32_t)(p->rhand_off + k);
        p->swap[p->rhand_off + k] = (int32_t)(p->lhand_off + k);
    }
    return 0;
}

void augment_parts_free(struct augment_parts *p)
{
    free(p->swap);
    memset(p, 0, sizeof *p);
}

/* ---- draws ------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double sym(struct rng *r, double h) { return h * (2.0 * rng_uniform(r) - 1.0); }

void augment_draw_make(const struct augment_config *a, uint64_t key, uint64_t index,
                       struct augment_draw *d)
{
    struct rng r;
    rng_seed(&r, mix64(key ^ mix64(index)));
    memset(d, 0, sizeof *d);
    /* fixed order: mirror, speed, rotation, shear (2), scale, translation (2), part drops (3) */
    double u_mirror = rng_uniform(&r);
    double u_speed = rng_uniform(&r);
    double angle = sym(&r, a->rotate) * (3.14159265358979323846 / 180.0);
    double sh_a = sym(&r, a->shear), sh_b = sym(&r, a->shear);
    double s = 1.0 + sym(&r, a->scale);
    double tx = sym(&r, a->translate), ty = sym(&r, a->translate);
    double u_l = rng_uniform(&r), u_r = rng_uniform(&r), u_f = rng_uniform(&r);
    rng_split(&r, &d->rng);
    d->mirror = u_mirror < a->mirror;
    d->speed = a->speed_lo + (a->speed_hi - a->speed_lo) * u_speed;
    /* A = R(angle) · Shear · s */
    double c = cos(angle), sn = sin(angle);
    double m00 = 1.0, m01 = sh_a, m10 = sh_b, m11 = 1.0;
    d->A[0] = (float)(s * (c * m00 - sn * m10));
    d->A[1] = (float)(s * (c * m01 - sn * m11));
    d->A[2] = (float)(s * (sn * m00 + c * m10));
    d->A[3] = (float)(s * (sn * m01 + c * m11));
    d->zscale = (float)s;
    d->tx = (float)tx;
    d->ty = (float)ty;
    d->drop_lhand = u_l < a->hand_drop;
    d->drop_rhand = u_r < a->hand_drop;
    d->drop_face = u_f < a->face_drop;
}

/* ---- the pieces ----------------------------------------------------------------------------- */

static bool missing(const float *v, size_t C)
{
    for (size_t c = 0; c < C; c++)
        if (v[c] != 0.0f) return false;
    return true;
}

void augment_mirror(float *x, size_t T, const struct augment_parts *p)
{
    const size_t J = p->J, C = p->C;
    float tmp[4];
    for (size_t t = 0; t < T; t++) {
        float *f = x + t * J * C;
        for (size_t j = 0; j < J; j++) {
            size_t k = (size_t)p->swap[j];
            if (k > j) {
                memcpy(tmp, f + j * C, C * sizeof *tmp);
                memcpy(f + j * C, f + k * C, C * sizeof *tmp);
                memcpy(f + k * C, tmp, C * sizeof *tmp);
            }
        }
        for (size_t j = 0; j < J; j++)
            if (f[j * C] != 0.0f) f[j * C] = -f[j * C]; /* -0 would still read as missing */
    }
}

void augment_affine(float *x, size_t T, size_t J, size_t C, const float A[4], float zscale,
                    float tx, float ty)
{
    for (size_t i = 0; i < T * J; i++) {
        float *v = x + i * C;
        if (missing(v, C)) continue;
        if (C >= 2) {
            float px = v[0], py = v[1];
            v[0] = A[0] * px + A[1] * py + tx;
            v[1] = A[2] * px + A[3] * py + ty;
        } else {
            v[0] = A[0] * v[0] + tx;
        }
        if (C >= 3) v[2] *= zscale;
    }
}

void augment_jitter(float *x, size_t T, size_t J, size_t C, double sigma, struct rng *r)
{
    if (sigma <= 0) return;
    const size_t n = C < 3 ? C : 3;
    for (size_t i = 0; i < T * J; i++) {
        float *v = x + i * C;
        if (missing(v, C)) continue;
        for (size_t c = 0; c < n; c++) v[c] += (float)(sigma * rng_normal(r));
    }
}

void augment_frame_drop(float *x, size_t T, size_t real, size_t J, size_t C, double p,
                        struct rng *r)
{
    if (p <= 0) return;
    for (size_t t = 0; t < T && t < real; t++)
        if (rng_uniform(r) < p) memset(x + t * J * C, 0, J * C * sizeof *x);
}

void augment_drop_joints(float *x, size_t T, size_t J, size_t C, size_t off, size_t n)
{
    if (!n) return;
    for (size_t t = 0; t < T; t++) memset(x + (t * J + off) * C, 0, n * C * sizeof *x);
}

void augment_resample(const float *video, size_t frames, size_t J, size_t C, size_t start,
                      size_t W, double speed, float *out)
{
    const size_t F = J * C;
    const double c = 0.5 * (double)(W - 1);
    for (size_t t = 0; t < W; t++) {
        float *o = out + t * F;
        double p = (double)start + c + ((double)t - c) * speed;
        if (speed == 1.0) p = (double)(start + t); /* exact: the identity at 1x */
        if (p < 0) p = 0;
        if (p > (double)(frames - 1)) {
            memset(o, 0, F * sizeof *o);
            continue;
        }
        size_t i0 = (size_t)floor(p);
        double a = p - (double)i0;
        const float *f0 = video + i0 * F;
        if (a == 0.0 || i0 + 1 >= frames) {
            memcpy(o, f0, F * sizeof *o);
            continue;
        }
        const float *f1 = f0 + F;
        const float fa = (float)a, fb = (float)(1.0 - a);
        for (size_t j = 0; j < J; j++) {
            if (missing(f0 + j * C, C) || missing(f1 + j * C, C)) {
                memset(o + j * C, 0, C * sizeof *o);
                continue;
            }
            for (size_t k = 0; k < C; k++) o[j * C + k] = fb * f0[j * C + k] + fa * f1[j * C + k];
        }
    }
}

void augment_fill_window(const struct dataset *ds, size_t video, size_t start,
                         const struct augment_config *a, const struct augment_parts *p,
                         struct augment_draw *d, float *x)
{
    const size_t W = ds->cfg.window, J = ds->layout.joints, C = ds->layout.coords;
    CHECK(video < ds->n_videos && J == p->J && C == p->C);
    const struct data_video *v = &ds->videos[video];
    size_t real = windows_real_frames(v->frames, start, W);
    if (d->speed != 1.0) {
        augment_resample(v->x, v->frames, J, C, start, W, d->speed, x);
        /* the real frames now: those before the first padding frame */
        real = 0;
        while (real < W && (double)start + 0.5 * (double)(W - 1) +
                                   ((double)real - 0.5 * (double)(W - 1)) * d->speed <=
                               (double)(v->frames - 1))
            real++;
    } else {
        dataset_fill_span(ds, video, start, real, x, NULL);
    }
    augment_frame_drop(x, W, real, J, C, a->frame_drop, &d->rng);
    if (d->mirror) augment_mirror(x, W, p);
    augment_affine(x, W, J, C, d->A, d->zscale, d->tx, d->ty);
    augment_jitter(x, W, J, C, a->jitter, &d->rng);
    if (d->drop_lhand) augment_drop_joints(x, W, J, C, p->lhand_off, p->hand_n);
    if (d->drop_rhand) augment_drop_joints(x, W, J, C, p->rhand_off, p->hand_n);
    if (d->drop_face) augment_drop_joints(x, W, J, C, p->face_off, p->face_n);
}
