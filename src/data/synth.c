/* synth.c — the built-in demo dataset: synthetic MediaPipe Holistic landmarks.
 *
 * What it implements. A small kinematic puppet filmed by a fixed camera. Each signer has
 * body proportions (upper arm, forearm, hand, neck, face size), a camera (image position of
 * the shoulders, zoom, aspect ratio), a signing speed, a dominant hand and a rest style
 * (hands hanging at the sides, usually below the frame, or resting in the lap, often in
 * view). A video is a timeline of segments:
 *     rest  -> move -> sign -> move -> (sign | rest [-> move -> touch -> move -> rest]) ...
 * `rest` (hands down, small fidget), `move` (a smooth blend between the states on either
 * side) and `touch` (the dominant hand briefly at the chin, a self-adaptor, not a sign) are
 * labelled "n"; a `sign` stroke is labelled with its class "s1".."sN".
 *
 * Sign classes. Class k has a dominant-wrist path, a Lissajous figure (circles in either
 * direction, figure-eights, taps, diagonals...) in ONE shared signing space in front of the
 * chest, so one frame's wrist position says little about the class: the order of positions
 * over time does. Its hand starts in pose k of a pool of hand poses (finger curls, spread,
 * thumb, palm roll, wrist flexion) and changes to pose k+1 (mod N) half way, so a single
 * hand pose narrows the class to two. The weak hand stays at rest, mirrors the dominant
 * hand, or holds still as a base (and is dropped in a quarter of the instances). Every
 * instance varies: amplitude, centre offset, rotation, a monotone time warp, duration (and
 * the signer's speed), finger curls, palm roll. Left-handed signers perform the mirror image
 * with the left hand, as signers do.
 *
 * Conventions. Body units: half the shoulder width = 1, origin between the shoulders, x to
 * the image's right (the signer's left), y down, z away from the camera (negative = towards
 * it). MediaPipe's "left" parts are the signer's left: pose 11/13/15 and `left_hand` sit at
 * larger image x. Image coordinates are normalised as MediaPipe writes them: x by the width,
 * y by the height, z at the scale of x; pose z relative to the hips, hand z relative to the
 * wrist, face z relative to the head centre. Pose joints below the frame keep their
 * (extrapolated) coordinates with a low visibility; a hand whose joints' centroid leaves the
 * frame, or that drops out in a short random burst, is NaN for the whole frame (the loader
 * reads NaN as "not detected"). Every frame gets independent Gaussian jitter.
 *
 * Randomness: one generator seeded with the config's seed draws the signers and the
 * video-to-signer assignment and then one child generator per video, so video i depends only
 * on (config, i) and videos are generated and written in parallel (OpenMP, one file each)
 * with the same bytes on any thread count. The face template comes from a fixed constant
 * seed: the same face mesh layout for every dataset, scaled per signer.
 *
 * What it does not do: anatomy beyond plausibility (the face mesh is the MediaPipe contour
 * point order laid on ellipses plus a fixed cloud for the other points; arms are two-bone IK
 * with a fixed elbow pole), perspective, occlusion between hands, legs in view, mouthing.
 */
#include "data/synth.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "io/npz.h"

#define PI_F 3.14159265358979f

/* ---- small vector helpers ----------------------------------------------------------- */

struct v3 {
    float x, y, z;
};

static struct v3 v3_make(float x, float y, float z)
{
    struct v3 r = {x, y, z};
    return r;
}
static struct v3 v3_add(struct v3 a, struct v3 b)
{
    return v3_make(a.x + b.x, a.y + b.y, a.z + b.z);
}
static struct v3 v3_sub(struct v3 a, struct v3 b)
{
    return v3_make(a.x - b.x, a.y - b.y, a.z - b.z);
}
static struct v3 v3_scale(struct v3 a, float s) { return v3_make(a.x * s, a.y * s, a.z * s); }
static float v3_dot(struct v3 a, struct v3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static float v3_norm(struct v3 a) { return sqrtf(v3_dot(a, a)); }
static struct v3 v3_lerp(struct v3 a, struct v3 b, float t)
{
    return v3_add(a, v3_scale(v3_sub(b, a), t));
}
static struct v3 v3_unit(struct v3 a, struct v3 fallback)
{
    float n = v3_norm(a);
    return n > 1e-6f ? v3_scale(a, 1.0f / n) : fallback;
}

static float frand(struct rng *r, float lo, float hi) { return rng_uniform_f(r, lo, hi); }
static float fnormal(struct rng *r, float sd) { return (float)rng_normal(r) * sd; }
static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }
static float smoothstep(float a) { return a * a * (3.0f - 2.0f * a); }

/* ---- sign classes ------------------------------------------------------------------- */

enum weak_role { WEAK_REST = 0, WEAK_MIRROR, WEAK_BASE };

struct hand_shape {
    float curl[5]; /* thumb, index, middle, ring, pinky: 0 straight .. 1 fully bent */
    float spread;  /* finger fan 0..1 */
    float thumb;   /* 0 across the palm .. 1 abducted */
};

/* A hand pose: finger configuration plus palm roll about the finger axis (0: palm to the
 * camera) and wrist flexion added to the forearm direction (rad). */
struct hand_pose {
    struct hand_shape shape;
    float roll, flex;
};

/* The pool of hand poses. Class k starts with pose k and changes to pose (k+1) mod N half
 * way through its stroke, so every pose is shared by two classes: one frame's hand shape
 * narrows the class down to two, the order of the shapes decides. */
static const struct hand_pose POSES[SYNTH_MAX_CLASSES] = {
    {{{0.1f, 0.0f, 0.0f, 0.0f, 0.0f}, 0.1f, 0.2f}, 0.0f, 0.0f},      /* flat hand */
    {{{0.3f, 1.0f, 1.0f, 1.0f, 1.0f}, 0.0f, 0.3f}, 1.2f, 0.1f},      /* fist */
    {{{0.8f, 0.0f, 1.0f, 1.0f, 1.0f}, 0.0f, 0.1f}, 0.6f, -0.2f},     /* index finger */
    {{{0.8f, 0.0f, 0.0f, 1.0f, 1.0f}, 0.8f, 0.1f}, 0.2f, 0.2f},      /* V */
    {{{0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, 1.0f, 1.0f}, 0.3f, 0.0f},      /* spread 5 */
    {{{0.0f, 1.0f, 1.0f, 1.0f, 0.0f}, 0.5f, 1.0f}, 0.0f, -0.3f},     /* Y */
    {{{0.0f, 0.0f, 1.0f, 1.0f, 1.0f}, 0.2f, 1.0f}, 0.4f, 0.3f},      /* L */
    {{{0.4f, 0.55f, 0.55f, 0.55f, 0.55f}, 0.8f, 0.8f}, 0.8f, 0.1f},  /* claw */
    {{{0.5f, 0.6f, 0.65f, 0.7f, 0.75f}, 0.2f, 0.0f}, 1.3f, -0.1f},   /* O */
    {{{0.8f, 0.0f, 0.0f, 0.0f, 1.0f}, 0.7f, 0.1f}, 0.1f, 0.0f},      /* W */
    {{{0.8f, 1.0f, 1.0f, 1.0f, 0.0f}, 0.0f, 0.1f}, 0.6f, 0.2f},      /* pinky */
    {{{0.2f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.0f, 0.3f}, 1.0f, -0.2f},     /* bent flat hand */
};

struct class_def {
    float fx, fy, phx, phy; /* Lissajous frequencies and phases of the dominant wrist path */
    enum weak_role weak;    /* what the weak hand does (dropped now and then) */
    float frames;           /* stroke length at speed 1 */
};

/* Twelve classes; the first four are the default. Paths share one centre and amplitude. */
static const struct class_def CLASSES[SYNTH_MAX_CLASSES] = {
    {1, 1, 0.0f, -PI_F / 2, WEAK_REST, 42},     /* s1: circle, clockwise from the top */
    {1, 2, 0.0f, 0.0f, WEAK_BASE, 46},          /* s2: horizontal figure-eight */
    {1, 1, PI_F, -PI_F / 2, WEAK_REST, 42},     /* s3: circle, counter-clockwise */
    {2, 1, 0.0f, PI_F / 2, WEAK_MIRROR, 46},    /* s4: upright figure-eight */
    {1, 3, 0.0f, 0.0f, WEAK_REST, 48},          /* s5: three taps up and down */
    {3, 1, 0.0f, 0.0f, WEAK_MIRROR, 48},        /* s6: three sweeps sideways */
    {2, 2, 0.0f, 0.0f, WEAK_BASE, 44},          /* s7: diagonal strokes */
    {2, 2, 0.0f, PI_F, WEAK_REST, 44},          /* s8: anti-diagonal strokes */
    {2, 3, PI_F / 2, 0.0f, WEAK_MIRROR, 50},    /* s9: 2:3 knot */
    {3, 2, 0.0f, PI_F / 2, WEAK_REST, 50},      /* s10: 3:2 knot */
    {1, 2, PI_F / 2, 0.0f, WEAK_BASE, 46},      /* s11: bowl */
    {3, 3, 0.0f, PI_F / 2, WEAK_REST, 50},      /* s12: three small loops */
};

static const struct hand_shape REST_SHAPE = {{0.3f, 0.35f, 0.4f, 0.45f, 0.5f}, 0.2f, 0.4f};
static const struct hand_shape BASE_SHAPE = {{0.1f, 0.0f, 0.0f, 0.0f, 0.0f}, 0.0f, 0.3f};

/* Signing space (canonical right-handed frame: the dominant hand is the right one, x < 0). */
static const struct v3 SIGN_CENTRE = {-0.3f, 0.55f, -0.8f};
static const float SIGN_AX = 0.55f, SIGN_AY = 0.45f;
static const struct v3 BASE_POS = {0.25f, 0.95f, -0.7f};
static const struct v3 TOUCH_POS = {-0.35f, -0.85f, -0.45f};

/* ---- face template -------------------------------------------------------------------- */

/* MediaPipe face mesh point order along its contours (facts of the mesh topology). */
static const int OVAL[36] = {10,  338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288,
                             397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136,
                             172, 58,  132, 93,  234, 127, 162, 21,  54,  103, 67,  109};
static const int LIPS_OUT_UP[11] = {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291};
static const int LIPS_OUT_LO[11] = {61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291};
static const int LIPS_IN_UP[11] = {78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308};
static const int LIPS_IN_LO[11] = {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308};
static const int REYE_UP[9] = {33, 246, 161, 160, 159, 158, 157, 173, 133};
static const int REYE_LO[9] = {33, 7, 163, 144, 145, 153, 154, 155, 133};
static const int LEYE_UP[9] = {263, 466, 388, 387, 386, 385, 384, 398, 362};
static const int LEYE_LO[9] = {263, 249, 390, 373, 374, 380, 381, 382, 362};
static const int RBROW_LO[5] = {46, 53, 52, 65, 55};
static const int RBROW_UP[5] = {70, 63, 105, 66, 107};
static const int LBROW_LO[5] = {276, 283, 282, 295, 285};
static const int LBROW_UP[5] = {300, 293, 334, 296, 336};
static const int NOSE_BRIDGE[10] = {168, 6, 197, 195, 5, 4, 1, 19, 94, 2};
static const int NOSTRILS[5] = {98, 97, 2, 326, 327};
static const int NOSE_LWING[5] = {294, 278, 344, 440, 275};
static const int NOSE_RWING[5] = {64, 48, 115, 220, 45};

#define FACE_W 0.42f /* half width of the face oval, body units */
#define FACE_H 0.55f

static void face_put(float *tpl, bool *set, int idx, float x, float y, float z)
{
    if (set[idx]) return; /* chains share end points: the first placement stays */
    tpl[idx * 3 + 0] = x;
    tpl[idx * 3 + 1] = y;
    tpl[idx * 3 + 2] = z;
    set[idx] = true;
}

static void face_arc(float *tpl, bool *set, const int *idx, int n, float cx, float cy,
                     float hw, float h, float z, bool flip_x)
{
    for (int i = 0; i < n; i++) {
        float phi = PI_F * (float)i / (float)(n - 1);
        float x = -hw * cosf(phi);
        face_put(tpl, set, idx[i], cx + (flip_x ? -x : x), cy + h * sinf(phi), z);
    }
}

static void face_template_build(float *tpl)
{
    bool set[SYNTH_FACE_J] = {false};
    for (int p = 0; p < 36; p++) {
        float th = 2.0f * PI_F * (float)p / 36.0f;
        face_put(tpl, set, OVAL[p], FACE_W * sinf(th), -FACE_H * cosf(th), 0.12f);
    }
    const float my = 0.27f; /* mouth centre */
    face_arc(tpl, set, LIPS_OUT_UP, 11, 0.0f, my, 0.12f, -0.035f, -0.22f, false);
    face_arc(tpl, set, LIPS_OUT_LO, 11, 0.0f, my, 0.12f, 0.045f, -0.22f, false);
    face_arc(tpl, set, LIPS_IN_UP, 11, 0.0f, my, 0.09f, -0.01f, -0.2f, false);
    face_arc(tpl, set, LIPS_IN_LO, 11, 0.0f, my, 0.09f, 0.012f, -0.2f, false);
    /* the signer's right eye (33 outer .. 133 inner) is at the image's left */
    face_arc(tpl, set, REYE_UP, 9, -0.16f, -0.07f, 0.075f, -0.03f, -0.18f, false);
    face_arc(tpl, set, REYE_LO, 9, -0.16f, -0.07f, 0.075f, 0.025f, -0.18f, false);
    face_arc(tpl, set, LEYE_UP, 9, 0.16f, -0.07f, 0.075f, -0.03f, -0.18f, true);
    face_arc(tpl, set, LEYE_LO, 9, 0.16f, -0.07f, 0.075f, 0.025f, -0.18f, true);
    face_arc(tpl, set, RBROW_LO, 5, -0.17f, -0.16f, 0.1f, -0.02f, -0.2f, false);
    face_arc(tpl, set, RBROW_UP, 5, -0.17f, -0.19f, 0.1f, -0.02f, -0.2f, false);
    face_arc(tpl, set, LBROW_LO, 5, 0.17f, -0.16f, 0.1f, -0.02f, -0.2f, true);
    face_arc(tpl, set, LBROW_UP, 5, 0.17f, -0.19f, 0.1f, -0.02f, -0.2f, true);
    for (int i = 0; i < 10; i++) {
        float y = -0.08f + 0.25f * (float)i / 9.0f;
        float z = i <= 6 ? -0.2f - 0.13f * (float)i / 6.0f : -0.33f + 0.03f * (float)(i - 6);
        face_put(tpl, set, NOSE_BRIDGE[i], 0.0f, y, z);
    }
    for (int i = 0; i < 5; i++) {
        float x = -0.07f + 0.035f * (float)i;
        face_put(tpl, set, NOSTRILS[i], x, 0.15f + 0.02f * (1.0f - fabsf(x) / 0.07f), -0.26f);
    }
    static const float wx[5] = {0.075f, 0.07f, 0.06f, 0.045f, 0.03f};
    static const float wy[5] = {0.12f, 0.07f, 0.03f, 0.0f, 0.06f};
    for (int i = 0; i < 5; i++) {
        face_put(tpl, set, NOSE_LWING[i], wx[i], wy[i], -0.24f);
        face_put(tpl, set, NOSE_RWING[i], -wx[i], wy[i], -0.24f);
    }
    /* irises: 468 (right) and 473 (left) centres, four points around each */
    for (int side = 0; side < 2; side++) {
        int c = side ? 473 : 468;
        float cx = side ? 0.16f : -0.16f;
        face_put(tpl, set, c, cx, -0.07f, -0.2f);
        for (int k = 0; k < 4; k++) {
            float a = PI_F / 2 * (float)k;
            face_put(tpl, set, c + 1 + k, cx + 0.022f * cosf(a), -0.07f + 0.022f * sinf(a),
                     -0.2f);
        }
    }
    /* every other point: a fixed cloud inside the oval, on a dome towards the camera */
    struct rng r;
    rng_seed(&r, 0x5EEDFACEu);
    for (int i = 0; i < SYNTH_FACE_J; i++) {
        if (set[i]) continue;
        float x, y, q;
        do {
            x = frand(&r, -0.9f, 0.9f);
            y = frand(&r, -0.9f, 0.9f);
            q = x * x + y * y;
        } while (q > 1.0f);
        face_put(tpl, set, i, x * FACE_W, y * FACE_H, 0.1f - 0.3f * (1.0f - q));
    }
}

/* ---- per-frame hand/arm state ------------------------------------------------------- */

struct hstate {
    struct v3 pos; /* wrist target, body units */
    struct hand_shape shape;
    float roll, flex;
};

/* Both hands in the canonical right-handed frame: [0] dominant (right), [1] weak (left). */
struct fstate {
    struct hstate h[2];
};

enum seg_kind { SEG_REST, SEG_MOVE, SEG_SIGN, SEG_TOUCH };

struct segment {
    enum seg_kind kind;
    size_t start, len;
    int cls;            /* SEG_SIGN: class index */
    int cls_end;        /* SEG_SIGN: index of the hand pose it changes to */
    bool weak_drop;     /* SEG_SIGN: the weak hand stays at rest this time */
    /* SEG_SIGN instance variation */
    float amp, rot, warp, offx, offy;
    float curl_noise[5];
    float roll_noise;
    float phase;        /* fidget / wiggle phase */
};

static void hstate_blend(struct hstate *out, const struct hstate *a, const struct hstate *b,
                         float t)
{
    out->pos = v3_lerp(a->pos, b->pos, t);
    for (int f = 0; f < 5; f++)
        out->shape.curl[f] = a->shape.curl[f] + t * (b->shape.curl[f] - a->shape.curl[f]);
    out->shape.spread = a->shape.spread + t * (b->shape.spread - a->shape.spread);
    out->shape.thumb = a->shape.thumb + t * (b->shape.thumb - a->shape.thumb);
    out->roll = a->roll + t * (b->roll - a->roll);
    out->flex = a->flex + t * (b->flex - a->flex);
}

static struct v3 rest_pos(const struct synth_signer *sg, int side)
{
    /* side 0: right (x < 0), 1: left */
    float s = side ? 1.0f : -1.0f;
    if (sg->rest_on_lap) return v3_make(s * 0.35f, 2.0f, -0.5f);
    float reach = sg->upper_arm + sg->forearm;
    return v3_make(s * 1.08f, 0.97f * reach, 0.05f);
}

static void state_rest(const struct synth_signer *sg, const struct segment *sgm, size_t t,
                       struct hstate *h, int side)
{
    float tt = (float)t;
    struct v3 p = rest_pos(sg, side);
    float ph = sgm->phase + (float)side * 1.7f;
    p.x += 0.04f * sinf(2.0f * PI_F * tt / 53.0f + ph);
    p.y += 0.03f * sinf(2.0f * PI_F * tt / 71.0f + 2.0f * ph);
    h->pos = p;
    h->shape = REST_SHAPE;
    h->roll = 1.4f;
    h->flex = 0.0f;
}

static void state_eval(const struct synth_signer *sg, const struct segment *sgm, size_t t,
                       struct fstate *st)
{
    state_rest(sg, sgm, t, &st->h[0], 0);
    state_rest(sg, sgm, t, &st->h[1], 1);
    if (sgm->kind == SEG_TOUCH) {
        float tt = (float)(t - sgm->start);
        struct hstate *d = &st->h[0];
        d->pos = TOUCH_POS;
        d->pos.x += 0.04f * sinf(tt * 0.9f + sgm->phase);
        d->pos.y += 0.03f * sinf(tt * 1.3f + sgm->phase);
        d->shape = REST_SHAPE;
        d->shape.curl[1] = 0.2f;
        d->roll = 0.9f;
        d->flex = 0.4f;
        return;
    }
    if (sgm->kind != SEG_SIGN) return;
    const struct class_def *c = &CLASSES[sgm->cls];
    float u = ((float)(t - sgm->start) + 0.5f) / (float)sgm->len;
    u = u + sgm->warp * sinf(2.0f * PI_F * u) / (2.0f * PI_F); /* monotone for |warp| < 1 */
    float lx = SIGN_AX * sgm->amp * sinf(2.0f * PI_F * c->fx * u + c->phx);
    float ly = SIGN_AY * sgm->amp * sinf(2.0f * PI_F * c->fy * u + c->phy);
    float cr = cosf(sgm->rot), sr = sinf(sgm->rot);
    struct hstate *d = &st->h[0];
    d->pos = v3_make(SIGN_CENTRE.x + sgm->offx + cr * lx - sr * ly,
                     SIGN_CENTRE.y + sgm->offy + sr * lx + cr * ly,
                     SIGN_CENTRE.z + 0.12f * sinf(2.0f * PI_F * u));
    /* hand pose: the start pose, then the end pose from 35% to 65% of the stroke */
    struct hstate ps, pe;
    ps.shape = POSES[sgm->cls].shape;
    ps.roll = POSES[sgm->cls].roll;
    ps.flex = POSES[sgm->cls].flex;
    pe.shape = POSES[sgm->cls_end].shape;
    pe.roll = POSES[sgm->cls_end].roll;
    pe.flex = POSES[sgm->cls_end].flex;
    ps.pos = pe.pos = d->pos;
    hstate_blend(d, &ps, &pe, smoothstep(clampf((u - 0.35f) / 0.3f, 0.0f, 1.0f)));
    for (int f = 0; f < 5; f++)
        d->shape.curl[f] = clampf(d->shape.curl[f] + sgm->curl_noise[f], 0.0f, 1.0f);
    d->roll += sgm->roll_noise;
    struct hstate *w = &st->h[1];
    if (sgm->weak_drop) {
        /* the weak hand stays down: a one-handed rendering */
    } else if (c->weak == WEAK_MIRROR) {
        *w = *d;
        w->pos.x = -d->pos.x;
    } else if (c->weak == WEAK_BASE) {
        w->pos = BASE_POS;
        w->pos.x += sgm->offx * 0.3f;
        w->shape = BASE_SHAPE;
        w->roll = 1.5f;
        w->flex = 0.0f;
    }
}

/* State at frame t of segment k (a move blends the last frame before it with the first
 * frame after it). */
static void timeline_state(const struct synth_signer *sg, const struct segment *segs,
                           size_t nseg, size_t k, size_t t, struct fstate *st)
{
    if (segs[k].kind != SEG_MOVE) {
        state_eval(sg, &segs[k], t, st);
        return;
    }
    struct fstate a, b;
    /* a move is never first or last: the timeline starts and ends with rest */
    CHECK(k > 0 && k + 1 < nseg);
    const struct segment *p = &segs[k - 1], *n = &segs[k + 1];
    state_eval(sg, p, p->start + (p->len ? p->len - 1 : 0), &a);
    state_eval(sg, n, n->start, &b);
    float f = smoothstep(((float)(t - segs[k].start) + 1.0f) / ((float)segs[k].len + 1.0f));
    for (int i = 0; i < 2; i++) hstate_blend(&st->h[i], &a.h[i], &b.h[i], f);
}

/* ---- timeline ------------------------------------------------------------------------ */

struct timeline {
    struct segment *seg;
    size_t n, cap;
};

static int tl_push(struct timeline *tl, enum seg_kind kind, size_t start, size_t len,
                   struct rng *r, struct error *err)
{
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 32;
        if (sg_realloc((void **)&tl->seg, cap, sizeof *tl->seg, "synth: timeline", err))
            return -1;
        tl->cap = cap;
    }
    struct segment *s = &tl->seg[tl->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->start = start;
    s->len = len;
    s->cls = -1;
    s->phase = frand(r, 0.0f, 2.0f * PI_F);
    return 0;
}

static size_t frames_at(float base, float speed, struct rng *r, float jitter)
{
    float f = base / speed * frand(r, 1.0f - jitter, 1.0f + jitter);
    return f < 2.0f ? 2 : (size_t)lroundf(f);
}

static int timeline_build(const struct synth_world *w, const struct synth_signer *sg,
                          size_t T, struct rng *r, struct timeline *tl, struct error *err)
{
    size_t nc = w->cfg.classes;
    size_t bag[SYNTH_MAX_CLASSES], bag_left = 0;
    size_t t = 0;
    size_t first = 8 + rng_below(r, 20);
    if (first > T) first = T;
    if (tl_push(tl, SEG_REST, 0, first, r, err)) return -1;
    t = first;
    bool at_rest = true;
    for (;;) {
        if (bag_left == 0) {
            for (size_t k = 0; k < nc; k++) bag[k] = k;
            rng_shuffle(r, bag, nc, sizeof bag[0]);
            bag_left = nc;
        }
        size_t cls = bag[--bag_left];
        size_t move = frames_at(at_rest ? 9.0f : 6.0f, sg->speed, r, 0.2f);
        size_t stroke = frames_at(CLASSES[cls].frames, sg->speed, r, 0.15f);
        size_t drop = frames_at(9.0f, sg->speed, r, 0.2f);
        if (t + move + stroke + drop + 1 > T) break;
        if (tl_push(tl, SEG_MOVE, t, move, r, err)) return -1;
        t += move;
        if (tl_push(tl, SEG_SIGN, t, stroke, r, err)) return -1;
        struct segment *s = &tl->seg[tl->n - 1];
        s->cls = (int)cls;
        s->cls_end = (int)((cls + 1) % nc);
        s->weak_drop = rng_uniform(r) < 0.25;
        s->amp = frand(r, 0.85f, 1.15f);
        s->rot = frand(r, -0.15f, 0.15f);
        s->warp = frand(r, -0.35f, 0.35f);
        s->offx = fnormal(r, 0.08f);
        s->offy = fnormal(r, 0.08f);
        for (int f = 0; f < 5; f++) s->curl_noise[f] = fnormal(r, 0.1f);
        s->roll_noise = fnormal(r, 0.15f);
        t += stroke;
        at_rest = false;
        if (rng_uniform(r) < 0.35) continue; /* straight on to the next sign */
        if (tl_push(tl, SEG_MOVE, t, drop, r, err)) return -1;
        t += drop;
        size_t rest = frames_at(28.0f, 1.0f, r, 0.45f);
        if (rest > T - t) rest = T - t;
        at_rest = true;
        /* now and then the rest holds a self-adaptor: hand to the chin and back, not a sign */
        size_t up = 7, touch = 10 + rng_below(r, 8);
        if (rest >= 2 * up + touch + 12 && rng_uniform(r) < 0.3) {
            size_t pre = 4 + rng_below(r, 4);
            if (tl_push(tl, SEG_REST, t, pre, r, err) ||
                tl_push(tl, SEG_MOVE, t + pre, up, r, err) ||
                tl_push(tl, SEG_TOUCH, t + pre + up, touch, r, err) ||
                tl_push(tl, SEG_MOVE, t + pre + up + touch, up, r, err))
                return -1;
            size_t used = pre + 2 * up + touch;
            if (tl_push(tl, SEG_REST, t + used, rest - used, r, err)) return -1;
        } else if (tl_push(tl, SEG_REST, t, rest, r, err)) {
            return -1;
        }
        t += rest;
    }
    if (!at_rest) {
        size_t drop = frames_at(9.0f, sg->speed, r, 0.2f);
        if (drop > T - t) drop = T - t; /* the loop left room for it */
        if (tl_push(tl, SEG_MOVE, t, drop, r, err)) return -1;
        t += drop;
    }
    /* the video always ends with rest (possibly empty) so every move has a successor */
    return tl_push(tl, SEG_REST, t, T - t, r, err);
}

/* ---- skeleton ------------------------------------------------------------------------- */

/* Two-bone IK: moves *wrist within reach of the shoulder and returns the elbow, bent
 * towards `pole`. */
static struct v3 arm_ik(struct v3 sh, struct v3 *wrist, float l1, float l2, struct v3 pole)
{
    struct v3 d = v3_sub(*wrist, sh);
    float dist = v3_norm(d);
    float maxr = (l1 + l2) * 0.995f, minr = fabsf(l1 - l2) + 0.05f;
    struct v3 u = v3_unit(d, v3_make(0.0f, 1.0f, 0.0f));
    if (dist > maxr) dist = maxr;
    if (dist < minr) dist = minr;
    *wrist = v3_add(sh, v3_scale(u, dist));
    float ca = clampf((l1 * l1 + dist * dist - l2 * l2) / (2.0f * l1 * dist), -1.0f, 1.0f);
    float sa = sqrtf(1.0f - ca * ca);
    struct v3 v = v3_sub(pole, v3_scale(u, v3_dot(pole, u)));
    v = v3_unit(v, v3_make(0.0f, 0.0f, 1.0f));
    return v3_add(sh, v3_scale(v3_add(v3_scale(u, ca), v3_scale(v, sa)), l1));
}

/* Finger geometry of a right hand, palm to the camera, fingers up (hand units; palm length
 * about 0.9). Index is at the thumb side (x > 0 for a right hand facing the camera). */
static const float MCP[4][2] = {
    {0.26f, -0.84f}, {0.05f, -0.9f}, {-0.15f, -0.84f}, {-0.33f, -0.72f}};
static const float SEGLEN[4][3] = {
    {0.42f, 0.26f, 0.2f}, {0.46f, 0.3f, 0.22f}, {0.42f, 0.28f, 0.2f}, {0.33f, 0.2f, 0.18f}};
static const float FAN[4] = {0.12f, 0.0f, -0.12f, -0.24f};
static const float FLEX[3] = {1.4f, 1.7f, 1.1f};

/* 21 hand joints (body units) from the wrist, the forearm direction and the hand state.
 * mirrored: a left hand (local x mirrored, roll and flexion negated). */
static void hand_build(const struct hstate *h, struct v3 wrist, struct v3 elbow, float size,
                       bool mirrored, struct v3 out[SYNTH_HAND_J])
{
    struct v3 loc[SYNTH_HAND_J];
    loc[0] = v3_make(0.0f, 0.0f, 0.0f);
    for (int f = 0; f < 4; f++) {
        float curl = h->shape.curl[f + 1];
        float a = FAN[f] * (0.3f + h->shape.spread);
        struct v3 p = v3_make(MCP[f][0], MCP[f][1], 0.0f);
        loc[5 + 4 * f] = p;
        float alpha = 0.0f;
        for (int s = 0; s < 3; s++) {
            alpha += curl * FLEX[s];
            struct v3 dir = v3_make(sinf(a) * cosf(alpha), -cosf(a) * cosf(alpha), -sinf(alpha));
            p = v3_add(p, v3_scale(dir, SEGLEN[f][s]));
            loc[6 + 4 * f + s] = p;
        }
    }
    /* thumb: CMC, MCP, IP, tip */
    struct v3 across = v3_make(-0.6f, -0.5f, -0.6f), out_dir = v3_make(0.88f, -0.48f, -0.2f);
    struct v3 tdir = v3_unit(v3_lerp(across, out_dir, h->shape.thumb), out_dir);
    struct v3 bend = v3_make(-0.7f, 0.3f, -0.6f);
    static const float TLEN[4] = {0.2f, 0.32f, 0.26f, 0.22f};
    struct v3 p = v3_make(0.12f, -0.1f, -0.03f);
    for (int s = 0; s < 4; s++) {
        struct v3 d = v3_unit(v3_add(tdir, v3_scale(bend, h->shape.curl[0] * 0.5f * (float)s)),
                              tdir);
        p = v3_add(p, v3_scale(d, TLEN[s]));
        loc[1 + s] = p;
    }
    /* orient: roll about the finger axis, then in-plane rotation along the forearm */
    struct v3 f = v3_sub(wrist, elbow);
    float theta = atan2f(f.x, -f.y);
    float roll = h->roll, flex = h->flex;
    if (mirrored) {
        roll = -roll;
        flex = -flex;
    }
    theta += flex;
    float cr = cosf(roll), sr = sinf(roll), ct = cosf(theta), st = sinf(theta);
    float scale = 0.5f * size;
    for (int j = 0; j < SYNTH_HAND_J; j++) {
        struct v3 q = loc[j];
        if (mirrored) q.x = -q.x;
        float x1 = q.x * cr + q.z * sr, z1 = -q.x * sr + q.z * cr;
        float x2 = x1 * ct - q.y * st, y2 = x1 * st + q.y * ct;
        out[j] = v3_add(wrist, v3_scale(v3_make(x2, y2, z1), scale));
    }
}

/* Slowly varying per-video nuisance: head rotation, body sway (AR(1) processes). */
struct drift {
    float yaw, pitch, roll, sx, sy;
};

static void drift_step(struct drift *d, struct rng *r)
{
    d->yaw = 0.95f * d->yaw + fnormal(r, 0.015f);
    d->pitch = 0.95f * d->pitch + fnormal(r, 0.012f);
    d->roll = 0.95f * d->roll + fnormal(r, 0.01f);
    d->sx = 0.97f * d->sx + fnormal(r, 0.008f);
    d->sy = 0.97f * d->sy + fnormal(r, 0.005f);
}

struct camera {
    float cx, cy, zoom, aspect;
};

static void to_image(const struct camera *cam, struct v3 p, float *x, float *y)
{
    *x = cam->cx + cam->zoom * p.x / cam->aspect;
    *y = cam->cy + cam->zoom * p.y;
}

static float visibility(float x, float y, struct rng *r)
{
    bool in = x > 0.0f && x < 1.0f && y > 0.0f && y < 1.0f;
    return in ? frand(r, 0.9f, 0.999f) : frand(r, 0.01f, 0.2f);
}

/* Random detection dropouts: a counter of frames still to drop. */
static bool dropout(size_t *left, struct rng *r, double p_start, size_t max_len)
{
    if (*left > 0) {
        (*left)--;
        return true;
    }
    if (rng_uniform(r) < p_start) {
        *left = rng_below(r, max_len); /* this frame plus up to max_len-1 more */
        return true;
    }
    return false;
}

static const int POSE_HAND_POINTS[3] = {17, 5, 2}; /* pinky, index, thumb from hand joints */

struct video_ctx {
    const struct synth_world *w;
    const struct synth_signer *sg;
    struct camera cam;
    struct drift drift;
    size_t drop_hand[2], drop_face;
    float face_scale;
};

static void frame_build(struct video_ctx *vc, const struct fstate *canon, size_t t,
                        struct rng *r, struct synth_video *v, size_t *missing)
{
    const struct synth_signer *sg = vc->sg;
    const struct camera *cam = &vc->cam;
    /* canonical (dominant = right) to this signer's hands: [0] right, [1] left */
    struct hstate hs[2];
    if (sg->left_handed) {
        hs[0] = canon->h[1];
        hs[1] = canon->h[0];
        hs[0].pos.x = -hs[0].pos.x;
        hs[1].pos.x = -hs[1].pos.x;
    } else {
        hs[0] = canon->h[0];
        hs[1] = canon->h[1];
    }
    drift_step(&vc->drift, r);
    struct v3 sway = v3_make(vc->drift.sx, vc->drift.sy, 0.0f);
    struct v3 body[SYNTH_POSE_J];
    /* torso and legs (legs are below the frame) */
    struct v3 shl = v3_add(v3_make(1.0f, 0.02f * sinf(vc->drift.roll * 3.0f), 0.02f), sway);
    struct v3 shr = v3_add(v3_make(-1.0f, -0.02f * sinf(vc->drift.roll * 3.0f), -0.02f), sway);
    body[11] = shl;
    body[12] = shr;
    /* hip, knee, ankle, heel, foot index of the left side; the right side mirrors x */
    static const float LOWER[5][3] = {{0.62f, 2.7f, 0.0f}, {0.6f, 4.6f, 0.02f},
                                      {0.6f, 6.4f, 0.1f},  {0.62f, 6.6f, 0.15f},
                                      {0.55f, 6.75f, -0.3f}};
    for (int k = 0; k < 5; k++) {
        int jl = k == 0 ? 23 : 23 + 2 * k; /* 23,25,27,29,31 left; +1 right */
        struct v3 hs3 = v3_scale(sway, 0.3f);
        body[jl] = v3_add(v3_make(LOWER[k][0], LOWER[k][1], LOWER[k][2]), hs3);
        body[jl + 1] = v3_add(v3_make(-LOWER[k][0], LOWER[k][1], LOWER[k][2]), hs3);
    }
    /* arms and hands */
    struct v3 hand[2][SYNTH_HAND_J];
    for (int side = 0; side < 2; side++) {
        float s = side ? 1.0f : -1.0f;
        struct v3 sh = side ? shl : shr;
        struct v3 wr = v3_add(hs[side].pos, sway);
        struct v3 el = arm_ik(sh, &wr, sg->upper_arm, sg->forearm, v3_make(s * 0.5f, 0.6f, 0.8f));
        body[side ? 13 : 14] = el;
        body[side ? 15 : 16] = wr;
        hand_build(&hs[side], wr, el, sg->hand_size, side == 1, hand[side]);
        for (int k = 0; k < 3; k++)
            body[(side ? 17 : 18) + 2 * k] = hand[side][POSE_HAND_POINTS[k]];
    }
    /* head: the face template rotated (yaw, pitch, roll) and placed above the shoulders */
    struct v3 head = v3_add(v3_make(0.0f, -sg->neck, 0.0f), sway);
    float cy = cosf(vc->drift.yaw), sy = sinf(vc->drift.yaw);
    float cp = cosf(vc->drift.pitch), sp = sinf(vc->drift.pitch);
    float cr = cosf(vc->drift.roll), sr = sinf(vc->drift.roll);
    float *face = v->face + t * SYNTH_FACE_J * 3;
    struct v3 fb[SYNTH_FACE_J + 2]; /* face points in body units, then the two ears */
    for (int i = 0; i < SYNTH_FACE_J + 2; i++) {
        struct v3 q;
        if (i < SYNTH_FACE_J)
            q = v3_scale(v3_make(vc->w->face_template[i * 3], vc->w->face_template[i * 3 + 1],
                                 vc->w->face_template[i * 3 + 2]),
                         vc->face_scale);
        else
            q = v3_make((i == SYNTH_FACE_J ? 0.5f : -0.5f) * vc->face_scale, 0.02f, 0.35f);
        float x1 = q.x * cy + q.z * sy, z1 = -q.x * sy + q.z * cy;       /* yaw */
        float y2 = q.y * cp - z1 * sp, z2 = q.y * sp + z1 * cp;          /* pitch */
        float x3 = x1 * cr - y2 * sr, y3 = x1 * sr + y2 * cr;            /* roll */
        fb[i] = v3_make(x3, y3, z2);
    }
    struct v3 mid;
    body[0] = v3_add(head, fb[1]);
    body[1] = v3_add(head, fb[362]);
    mid = v3_scale(v3_add(fb[386], fb[374]), 0.5f);
    body[2] = v3_add(head, mid);
    body[3] = v3_add(head, fb[263]);
    body[4] = v3_add(head, fb[133]);
    mid = v3_scale(v3_add(fb[159], fb[145]), 0.5f);
    body[5] = v3_add(head, mid);
    body[6] = v3_add(head, fb[33]);
    body[7] = v3_add(head, fb[SYNTH_FACE_J]);
    body[8] = v3_add(head, fb[SYNTH_FACE_J + 1]);
    body[9] = v3_add(head, fb[291]);
    body[10] = v3_add(head, fb[61]);

    /* pose: image x, y; z relative to the hips at the scale of x; visibility */
    float zs = cam->zoom / cam->aspect;
    float *pose = v->pose + t * SYNTH_POSE_J * 4;
    for (int j = 0; j < SYNTH_POSE_J; j++) {
        float x, y;
        to_image(cam, body[j], &x, &y);
        x += fnormal(r, 0.0025f);
        y += fnormal(r, 0.0025f);
        pose[j * 4 + 0] = x;
        pose[j * 4 + 1] = y;
        pose[j * 4 + 2] = zs * body[j].z + fnormal(r, 0.01f);
        pose[j * 4 + 3] = visibility(x, y, r);
    }
    /* hands: NaN unless mostly in view and not in a dropout burst */
    for (int side = 0; side < 2; side++) {
        float *dst = (side ? v->left_hand : v->right_hand) + t * SYNTH_HAND_J * 3;
        float img[SYNTH_HAND_J][2], mx = 0.0f, my = 0.0f;
        for (int j = 0; j < SYNTH_HAND_J; j++) {
            to_image(cam, hand[side][j], &img[j][0], &img[j][1]);
            mx += img[j][0];
            my += img[j][1];
        }
        mx /= (float)SYNTH_HAND_J;
        my /= (float)SYNTH_HAND_J;
        bool in_view = mx > 0.02f && mx < 0.98f && my > 0.02f && my < 0.97f;
        bool dropped = dropout(&vc->drop_hand[side], r, 0.012, 4);
        if (!in_view || dropped) {
            for (int k = 0; k < SYNTH_HAND_J * 3; k++) dst[k] = NAN;
            (*missing)++;
            continue;
        }
        for (int j = 0; j < SYNTH_HAND_J; j++) {
            dst[j * 3 + 0] = img[j][0] + fnormal(r, 0.0015f);
            dst[j * 3 + 1] = img[j][1] + fnormal(r, 0.0015f);
            dst[j * 3 + 2] = zs * (hand[side][j].z - hand[side][0].z) + fnormal(r, 0.004f);
        }
    }
    /* face: rare dropouts; z relative to the head centre */
    bool face_gone = dropout(&vc->drop_face, r, 0.003, 3);
    for (int i = 0; i < SYNTH_FACE_J; i++) {
        if (face_gone) {
            face[i * 3] = face[i * 3 + 1] = face[i * 3 + 2] = NAN;
            continue;
        }
        float x, y;
        to_image(cam, v3_add(head, fb[i]), &x, &y);
        face[i * 3 + 0] = x + fnormal(r, 0.0008f);
        face[i * 3 + 1] = y + fnormal(r, 0.0008f);
        face[i * 3 + 2] = zs * fb[i].z + fnormal(r, 0.002f);
    }
}

/* ---- world ------------------------------------------------------------------------------ */

void synth_config_default(struct synth_config *cfg)
{
    cfg->videos = 36;
    cfg->signers = 6;
    cfg->classes = 4;
    cfg->frames = 300;
    cfg->seed = 0;
}

int synth_config_check(const struct synth_config *cfg, struct error *err)
{
    if (cfg->videos < 1 || cfg->videos > SYNTH_MAX_VIDEOS)
        return error_set(err, "synth: videos must be between 1 and %d, got %zu",
                         SYNTH_MAX_VIDEOS, cfg->videos);
    if (cfg->signers < 1 || cfg->signers > SYNTH_MAX_SIGNERS)
        return error_set(err, "synth: signers must be between 1 and %d, got %zu",
                         SYNTH_MAX_SIGNERS, cfg->signers);
    if (cfg->signers > cfg->videos)
        return error_set(err, "synth: %zu signers need at least as many videos, got %zu",
                         cfg->signers, cfg->videos);
    if (cfg->classes < 1 || cfg->classes > SYNTH_MAX_CLASSES)
        return error_set(err, "synth: classes must be between 1 and %d, got %zu",
                         SYNTH_MAX_CLASSES, cfg->classes);
    if (cfg->frames < SYNTH_MIN_FRAMES || cfg->frames > SYNTH_MAX_FRAMES)
        return error_set(err, "synth: frames must be between %d and %d, got %zu",
                         SYNTH_MIN_FRAMES, SYNTH_MAX_FRAMES, cfg->frames);
    return 0;
}

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* prefix + n zero-padded to `width` digits (truncated to fit buf). */
static void format_id(char *buf, size_t size, char prefix, size_t n, int width)
{
    char tmp[48];
    int d = digits(n), pad = width > d ? width - d : 0, k = 0;
    tmp[k++] = prefix;
    while (pad-- > 0 && k < 24) tmp[k++] = '0';
    for (int i = d - 1; i >= 0; i--) {
        tmp[k + i] = (char)('0' + n % 10);
        n /= 10;
    }
    k += d;
    tmp[k] = '\0';
    snprintf(buf, size, "%s", tmp);
}

void synth_video_id(const struct synth_world *w, size_t i, char *buf, size_t size)
{
    format_id(buf, size, 'v', i, w->id_width);
}

void synth_class_name(size_t k, char *buf, size_t size) { snprintf(buf, size, "s%zu", k + 1); }

void synth_world_free(struct synth_world *w)
{
    free(w->signers);
    free(w->video_signer);
    free(w->video_rng);
    free(w->face_template);
    memset(w, 0, sizeof *w);
}

int synth_world_init(struct synth_world *w, const struct synth_config *cfg, struct error *err)
{
    memset(w, 0, sizeof *w);
    if (synth_config_check(cfg, err)) return -1;
    w->cfg = *cfg;
    w->id_width = digits(cfg->videos - 1) < 3 ? 3 : digits(cfg->videos - 1);
    w->signers = sg_calloc(cfg->signers, sizeof *w->signers, "synth: signers", err);
    w->video_signer = sg_calloc(cfg->videos, sizeof *w->video_signer, "synth: videos", err);
    w->video_rng = sg_calloc(cfg->videos, sizeof *w->video_rng, "synth: generators", err);
    w->face_template = sg_calloc(SYNTH_FACE_J * 3, sizeof(float), "synth: face", err);
    if (!w->signers || !w->video_signer || !w->video_rng || !w->face_template) {
        synth_world_free(w);
        return -1;
    }
    face_template_build(w->face_template);
    struct rng r;
    rng_seed(&r, cfg->seed);
    size_t ns = cfg->signers;
    /* left-handed: a third of the signers (at least one when there are two or more) */
    size_t n_left = ns >= 2 ? (ns + 1) / 3 : 0;
    int sw = digits(ns) < 2 ? 2 : digits(ns);
    for (size_t i = 0; i < ns; i++) {
        struct synth_signer *s = &w->signers[i];
        format_id(s->id, sizeof s->id, 'p', i + 1, sw);
        s->upper_arm = 1.35f * frand(&r, 0.88f, 1.12f);
        s->forearm = 1.2f * frand(&r, 0.88f, 1.12f);
        s->hand_size = frand(&r, 0.88f, 1.12f);
        s->neck = 1.3f * frand(&r, 0.92f, 1.08f);
        s->face_scale = frand(&r, 0.9f, 1.1f);
        s->speed = frand(&r, 0.78f, 1.28f);
        s->zoom = frand(&r, 0.17f, 0.24f);
        s->aspect = rng_uniform(&r) < 0.5 ? 16.0f / 9.0f : 4.0f / 3.0f;
        s->cx = frand(&r, 0.42f, 0.58f);
        /* the top of the head (1.9 body units above the shoulders) stays in the frame */
        s->cy = frand(&r, fmaxf(0.4f, 1.9f * s->zoom + 0.03f), 0.54f);
        s->rest_on_lap = rng_uniform(&r) < 0.25;
    }
    size_t order[SYNTH_MAX_SIGNERS];
    for (size_t i = 0; i < ns; i++) order[i] = i;
    rng_shuffle(&r, order, ns, sizeof order[0]);
    for (size_t i = 0; i < n_left; i++) w->signers[order[i]].left_handed = true;
    /* videos: every signer gets floor or ceil(videos / signers) of them, in shuffled order */
    for (size_t i = 0; i < cfg->videos; i++) w->video_signer[i] = i % ns;
    rng_shuffle(&r, w->video_signer, cfg->videos, sizeof w->video_signer[0]);
    for (size_t i = 0; i < cfg->videos; i++) rng_split(&r, &w->video_rng[i]);
    return 0;
}

void synth_video_free(struct synth_video *v)
{
    free(v->pose);
    free(v->left_hand);
    free(v->right_hand);
    free(v->face);
    free(v->label);
    memset(v, 0, sizeof *v);
}

int synth_video_generate(const struct synth_world *w, size_t i, struct synth_video *v,
                         struct error *err)
{
    memset(v, 0, sizeof *v);
    CHECK(i < w->cfg.videos);
    size_t T = w->cfg.frames;
    v->frames = T;
    v->signer = w->video_signer[i];
    v->pose = sg_malloc(T, SYNTH_POSE_J * 4 * sizeof(float), "synth: pose", err);
    v->left_hand = sg_malloc(T, SYNTH_HAND_J * 3 * sizeof(float), "synth: left_hand", err);
    v->right_hand = sg_malloc(T, SYNTH_HAND_J * 3 * sizeof(float), "synth: right_hand", err);
    v->face = sg_malloc(T, SYNTH_FACE_J * 3 * sizeof(float), "synth: face", err);
    v->label = sg_malloc(T, sizeof(int), "synth: labels", err);
    struct timeline tl = {0};
    if (!v->pose || !v->left_hand || !v->right_hand || !v->face || !v->label) goto fail;
    struct rng r = w->video_rng[i];
    const struct synth_signer *sg = &w->signers[v->signer];
    struct video_ctx vc;
    memset(&vc, 0, sizeof vc);
    vc.w = w;
    vc.sg = sg;
    /* the camera moves a little between recording sessions */
    vc.cam.cx = sg->cx + fnormal(&r, 0.008f);
    vc.cam.cy = sg->cy + fnormal(&r, 0.008f);
    vc.cam.zoom = sg->zoom * (1.0f + fnormal(&r, 0.02f));
    vc.cam.aspect = sg->aspect;
    vc.face_scale = sg->face_scale;
    if (timeline_build(w, sg, T, &r, &tl, err)) goto fail;
    size_t missing = 0, k = 0;
    for (size_t t = 0; t < T; t++) {
        while (k + 1 < tl.n && t >= tl.seg[k].start + tl.seg[k].len) k++;
        struct fstate st;
        timeline_state(sg, tl.seg, tl.n, k, t, &st);
        v->label[t] = tl.seg[k].kind == SEG_SIGN ? tl.seg[k].cls : -1;
        frame_build(&vc, &st, t, &r, v, &missing);
    }
    free(tl.seg);
    return 0;
fail:
    free(tl.seg);
    synth_video_free(v);
    return error_prefix(err, "synth: video %zu", i);
}

/* ---- writing --------------------------------------------------------------------------- */

static int ensure_dir(const char *dir, struct error *err)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return error_set(err, "synth: '%s' is not a folder", dir);
        return 0;
    }
    if (mkdir(dir, 0777) != 0)
        return error_set(err, "synth: cannot create folder '%s': %s", dir, strerror(errno));
    return 0;
}

/* True when `name` is "<id>.npz" for an id this world writes. */
static bool is_own_npz(const struct synth_world *w, const char *name)
{
    size_t len = strlen(name);
    if (len != 1 + (size_t)w->id_width + 4 || name[0] != 'v' || strcmp(name + len - 4, ".npz"))
        return false;
    size_t n = 0;
    for (int i = 1; i <= w->id_width; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        n = n * 10 + (size_t)(name[i] - '0');
    }
    return n < w->cfg.videos;
}

static int check_stale(const struct synth_world *w, const char *dir, struct error *err)
{
    DIR *d = opendir(dir);
    if (!d) return error_set(err, "synth: cannot read folder '%s': %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".npz") || is_own_npz(w, e->d_name)) continue;
        error_set(err, "synth: '%s' already holds '%s', which this dataset would not replace",
                  dir, e->d_name);
        error_hint(err, "write into an empty folder, or remove the old dataset first");
        rc = -1;
        break;
    }
    closedir(d);
    return rc;
}

static char *join(const char *dir, const char *name, struct error *err)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = sg_malloc(n, 1, "synth: path", err);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Generates and writes video i; copies its per-frame labels into labels_out. */
static int write_video(const struct synth_world *w, size_t i, const char *dir,
                       int *labels_out, struct synth_summary *sum, struct error *err)
{
    char id[32], name[48];
    synth_video_id(w, i, id, sizeof id);
    snprintf(name, sizeof name, "%s.npz", id);
    struct synth_video v;
    if (synth_video_generate(w, i, &v, err)) return -1;
    char *path = join(dir, name, err);
    if (!path) {
        synth_video_free(&v);
        return -1;
    }
    size_t T = v.frames;
    size_t sp[3] = {T, SYNTH_POSE_J, SYNTH_POSE_C}, sh[3] = {T, SYNTH_HAND_J, SYNTH_HAND_C},
           sf[3] = {T, SYNTH_FACE_J, SYNTH_FACE_C};
    struct npz_writer zw;
    int rc = npz_writer_open(&zw, path, true, err);
    if (rc == 0) {
        rc = npz_writer_add_f32(&zw, "pose", 3, sp, v.pose, err);
        if (rc == 0) rc = npz_writer_add_f32(&zw, "left_hand", 3, sh, v.left_hand, err);
        if (rc == 0) rc = npz_writer_add_f32(&zw, "right_hand", 3, sh, v.right_hand, err);
        if (rc == 0) rc = npz_writer_add_f32(&zw, "face", 3, sf, v.face, err);
        if (rc == 0)
            rc = npz_writer_close(&zw, err);
        else
            npz_writer_abort(&zw);
    }
    if (rc == 0) memcpy(labels_out, v.label, T * sizeof(int));
    if (rc == 0 && sum) {
        sum->frames_total += T;
        for (size_t t = 0; t < T; t++) {
            if (v.label[t] >= 0 && (t == 0 || v.label[t - 1] != v.label[t])) sum->sign_instances++;
            for (int side = 0; side < 2; side++) {
                const float *hnd = side ? v.left_hand : v.right_hand;
                if (isnan(hnd[t * SYNTH_HAND_J * 3])) sum->hand_frames_missing++;
            }
        }
    }
    free(path);
    synth_video_free(&v);
    return rc;
}

/* groundtruth.txt (the label of every SYNTH_GT_STEP-th frame) and signers.txt; labels is
 * videos x frames. */
static int write_texts(const struct synth_world *w, const char *dir, const int *labels,
                       struct error *err)
{
    const struct synth_config *c = &w->cfg;
    char *gt = join(dir, "groundtruth.txt", err);
    char *sp = gt ? join(dir, "signers.txt", err) : NULL;
    if (!gt || !sp) {
        free(gt);
        return -1;
    }
    char hdr[256];
    snprintf(hdr, sizeof hdr,
             "# signstgcn synth --videos %zu --signers %zu --classes %zu --frames %zu --seed "
             "%llu\n",
             c->videos, c->signers, c->classes, c->frames, (unsigned long long)c->seed);
    struct atomic_file af;
    int rc = atomic_file_open(&af, gt, err);
    if (rc == 0) {
        fputs(hdr, af.fp);
        fprintf(af.fp, "# <video_id> <frame_idx> <label>: every %d frames; rest is '%s'\n",
                SYNTH_GT_STEP, SYNTH_REST_LABEL);
        for (size_t i = 0; i < c->videos; i++) {
            char id[32], cls[16];
            synth_video_id(w, i, id, sizeof id);
            for (size_t t = 0; t < c->frames; t += SYNTH_GT_STEP) {
                int l = labels[i * c->frames + t];
                if (l >= 0) synth_class_name((size_t)l, cls, sizeof cls);
                fprintf(af.fp, "%s %zu %s\n", id, t, l >= 0 ? cls : SYNTH_REST_LABEL);
            }
        }
        rc = atomic_file_commit(&af, err);
    }
    if (rc == 0) rc = atomic_file_open(&af, sp, err);
    if (rc == 0) {
        fputs(hdr, af.fp);
        fputs("# <video_id> <signer_id>\n", af.fp);
        for (size_t i = 0; i < c->videos; i++) {
            char id[32];
            synth_video_id(w, i, id, sizeof id);
            fprintf(af.fp, "%s %s\n", id, w->signers[w->video_signer[i]].id);
        }
        rc = atomic_file_commit(&af, err);
    }
    free(gt);
    free(sp);
    return rc;
}

int synth_write_dataset(const struct synth_config *cfg, const char *dir,
                        struct synth_summary *summary, struct error *err)
{
    struct synth_summary sum;
    memset(&sum, 0, sizeof sum);
    struct synth_world w;
    if (synth_world_init(&w, cfg, err)) return -1;
    int *labels = NULL;
    int rc = ensure_dir(dir, err);
    if (rc == 0) rc = check_stale(&w, dir, err);
    if (rc == 0) {
        size_t n;
        if (!size_mul(cfg->videos, cfg->frames, &n)) n = SIZE_MAX;
        labels = sg_malloc(n, sizeof(int), "synth: labels", err);
        if (!labels) rc = -1;
    }
    /* videos in parallel: each has its own generator and file, so the bytes do not depend
     * on the thread count; the failure reported is the one of the lowest video index */
    struct synth_summary *part = NULL;
    if (rc == 0) {
        part = sg_calloc(cfg->videos, sizeof *part, "synth: summaries", err);
        if (!part) rc = -1;
    }
    if (rc == 0) {
        long first_bad = -1;
        struct error bad_err;
        long nv = (long)cfg->videos;
#pragma omp parallel for schedule(dynamic, 1)
        for (long i = 0; i < nv; i++) {
            long seen;
#pragma omp atomic read
            seen = first_bad;
            if (seen >= 0 && seen < i) continue;
            struct error e;
            if (write_video(&w, (size_t)i, dir, labels + (size_t)i * cfg->frames, &part[i], &e)) {
#pragma omp critical(synth_fail)
                if (first_bad < 0 || i < first_bad) {
                    bad_err = e;
                    first_bad = i;
                }
            }
        }
        if (first_bad >= 0) {
            if (err) *err = bad_err;
            rc = -1;
        }
        for (size_t i = 0; rc == 0 && i < cfg->videos; i++) {
            sum.frames_total += part[i].frames_total;
            sum.sign_instances += part[i].sign_instances;
            sum.hand_frames_missing += part[i].hand_frames_missing;
        }
    }
    free(part);
    if (rc == 0) rc = write_texts(&w, dir, labels, err);
    if (rc == 0) {
        sum.videos = cfg->videos;
        for (size_t s = 0; s < cfg->signers; s++)
            sum.left_handed_signers += w.signers[s].left_handed;
        if (summary) *summary = sum;
    }
    free(labels);
    synth_world_free(&w);
    return rc;
}
