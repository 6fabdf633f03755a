/* test_nn_heads.c — the layers after the backbone: LayerNorm, GELU, gradient reversal,
 * signer-aware attention (both variants) and the bidirectional GRU.
 *
 * For each: finite-difference check of every input and parameter (gradcheck.h), the
 * optimised path equal to its plain-loop oracle, parity with PyTorch (fixtures written by
 * tools/make_heads_fixtures.py into tests/fixtures/heads/), and two runs bit-identical.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_npz.h"
#include "gradcheck.h"
#include "nn/attention.h"
#include "nn/gelu.h"
#include "nn/grad_reverse.h"
#include "nn/gru.h"
#include "nn/layernorm.h"
#include "testutil.h"

static float *falloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    assert_non_null(p);
    return p;
}

/* ---- LayerNorm -------------------------------------------------------------------------- */

enum { LN_N = 6, LN_D = 9 };

struct ln_ctx {
    float x[LN_N * LN_D], w[LN_D], b[LN_D], y[LN_N * LN_D], up[LN_N * LN_D];
    float mean[LN_N], rstd[LN_N];
};

static double ln_loss(void *p)
{
    struct ln_ctx *c = p;
    layernorm_forward(c->y, c->mean, c->rstd, c->x, c->w, c->b, LN_N, LN_D, 1e-5f);
    return gc_dot(c->up, c->y, LN_N * LN_D);
}

static void test_layernorm_gradcheck(void **state)
{
    (void)state;
    struct ln_ctx c;
    gc_fill_uniform(c.x, LN_N * LN_D, -2, 2, 21);
    gc_fill_uniform(c.w, LN_D, 0.5f, 1.5f, 22);
    gc_fill_uniform(c.b, LN_D, -1, 1, 23);
    gc_fill_uniform(c.up, LN_N * LN_D, -1, 1, 24);
    float dx[LN_N * LN_D] = {0}, dw[LN_D] = {0}, db[LN_D] = {0};
    ln_loss(&c);
    layernorm_backward(dx, dw, db, c.up, c.x, c.mean, c.rstd, c.w, LN_N, LN_D);
    /* Row statistics: each output row has mean Σ w·b-free part 0; check the plain formula. */
    for (size_t n = 0; n < LN_N; n++) {
        double s = 0, s2 = 0;
        for (size_t d = 0; d < LN_D; d++) s += (double)c.x[n * LN_D + d];
        s /= LN_D;
        for (size_t d = 0; d < LN_D; d++) s2 += pow((double)c.x[n * LN_D + d] - s, 2);
        s2 /= LN_D;
        for (size_t d = 0; d < LN_D; d++) {
            double want = ((double)c.x[n * LN_D + d] - s) / sqrt(s2 + 1e-5) * (double)c.w[d] +
                          (double)c.b[d];
            assert_true(fabs((double)c.y[n * LN_D + d] - want) < 1e-5);
        }
    }
    struct gc_tensor ts[] = {{"x", c.x, dx, LN_N * LN_D}, {"weight", c.w, dw, LN_D},
                             {"bias", c.b, db, LN_D}};
    gradcheck(ln_loss, &c, ts, 3, NULL);
}

/* ---- GELU ------------------------------------------------------------------------------- */

enum { GE_N = 40 };
struct ge_ctx {
    float x[GE_N], y[GE_N], up[GE_N];
};

static double ge_loss(void *p)
{
    struct ge_ctx *c = p;
    gelu_forward(c->y, c->x, GE_N);
    return gc_dot(c->up, c->y, GE_N);
}

static void test_gelu_gradcheck(void **state)
{
    (void)state;
    struct ge_ctx c;
    gc_fill_uniform(c.x, GE_N, -4, 4, 31);
    gc_fill_uniform(c.up, GE_N, -1, 1, 32);
    float dx[GE_N] = {0};
    ge_loss(&c);
    gelu_backward(dx, c.up, c.x, GE_N);
    /* Known values: gelu(0) = 0, gelu(1) = Φ(1) = 0.8413447. */
    float k[2] = {0.0f, 1.0f}, ky[2];
    gelu_forward(ky, k, 2);
    assert_true(ky[0] == 0.0f);
    assert_true(fabsf(ky[1] - 0.84134475f) < 1e-6f);
    struct gc_tensor ts[] = {{"x", c.x, dx, GE_N}};
    gradcheck(ge_loss, &c, ts, 1, NULL);
}

/* ---- gradient reversal ------------------------------------------------------------------ */

/* The reversal's backward is by design NOT the derivative of its forward, so the check here
 * is the definition itself: identity forward, din += −λ·dout exactly. */
static void test_grad_reverse(void **state)
{
    (void)state;
    float x[5] = {1.5f, -2.0f, 0.25f, 3.0f, -0.5f}, y[5], dy[5] = {1, 2, -3, 0.5f, -1};
    float dx[5] = {10, 10, 10, 10, 10};
    grad_reverse_forward(y, x, 5);
    assert_memory_equal(x, y, sizeof x);
    grad_reverse_backward(dx, dy, 5, 0.5f);
    for (int i = 0; i < 5; i++) assert_true(dx[i] == 10.0f - 0.5f * dy[i]);
}

/* ---- attention -------------------------------------------------------------------------- */

/* Parameter tensors in a fixed order: q, k, v, out, then the 8 FiLM tensors. */
enum { AT_NP = 12 };
static const char *const at_names[AT_NP] = {
    "q_proj", "k_proj", "v_proj", "out_proj", "k_scale_w", "k_scale_b",
    "v_scale_w", "v_scale_b", "k_shift_w", "k_shift_b", "v_shift_w", "v_shift_b"};

struct at_ctx {
    struct attention_shape sh;
    float *H, *s, *out, *up, *ws;
    float *par[AT_NP], *grad[AT_NP];
    size_t npar[AT_NP];
    float *dH, *ds;
};

static struct attention_params at_params(const struct at_ctx *c)
{
    struct attention_params p = {c->par[0], c->par[1], c->par[2], c->par[3],
                                 c->par[4], c->par[5], c->par[6], c->par[7],
                                 c->par[8], c->par[9], c->par[10], c->par[11]};
    return p;
}

static struct attention_grads at_grads(const struct at_ctx *c)
{
    struct attention_grads g = {c->grad[0], c->grad[1], c->grad[2], c->grad[3],
                                c->grad[4], c->grad[5], c->grad[6], c->grad[7],
                                c->grad[8], c->grad[9], c->grad[10], c->grad[11]};
    return g;
}

static void at_init(struct at_ctx *c, size_t B, size_t T, size_t E, size_t heads, size_t S,
                    bool film, unsigned long long seed)
{
    memset(c, 0, sizeof *c);
    c->sh = (struct attention_shape){B, T, E, heads, S, film};
    size_t N = B * T, Dqk = film ? E : E + S;
    size_t sizes[AT_NP] = {E * Dqk, E * Dqk, E * E, E * E, E * S, E, E * S, E, E * S, E, E * S, E};
    size_t np = film ? AT_NP : 4;
    for (size_t i = 0; i < np; i++) {
        c->npar[i] = sizes[i];
        c->par[i] = falloc(sizes[i]);
        c->grad[i] = falloc(sizes[i]);
        /* Weights a little larger than PyTorch's default init so the softmax is not flat
         * and the s-path has a visible effect. */
        float a = (i >= 4 && i % 2 == 1) ? 0.5f : 1.5f / sqrtf((float)(i >= 4 ? S : Dqk));
        gc_fill_uniform(c->par[i], sizes[i], -a, a, seed + 100 + i);
    }
    c->H = falloc(N * E);
    c->s = falloc(B * S);
    c->out = falloc(N * E);
    c->up = falloc(N * E);
    c->dH = falloc(N * E);
    c->ds = falloc(B * S);
    c->ws = falloc(attention_workspace_size(&c->sh));
    gc_fill_uniform(c->H, N * E, -1, 1, seed + 1);
    gc_fill_uniform(c->s, B * S, -1, 1, seed + 2);
    gc_fill_uniform(c->up, N * E, -1, 1, seed + 3);
}

static void at_free(struct at_ctx *c)
{
    for (size_t i = 0; i < AT_NP; i++) {
        free(c->par[i]);
        free(c->grad[i]);
    }
    free(c->H);
    free(c->s);
    free(c->out);
    free(c->up);
    free(c->dH);
    free(c->ds);
    free(c->ws);
}

static double at_loss(void *p)
{
    struct at_ctx *c = p;
    struct attention_params pr = at_params(c);
    attention_forward(c->out, c->H, c->s, &pr, &c->sh, c->ws);
    return gc_dot(c->up, c->out, c->sh.B * c->sh.T * c->sh.E);
}

static void at_fwd_bwd(struct at_ctx *c, bool ref)
{
    struct attention_params pr = at_params(c);
    struct attention_grads gr = at_grads(c);
    if (ref) {
        attention_forward_ref(c->out, c->H, c->s, &pr, &c->sh, c->ws);
        attention_backward_ref(c->dH, c->ds, &gr, c->up, c->H, c->s, &pr, &c->sh, c->ws);
    } else {
        attention_forward(c->out, c->H, c->s, &pr, &c->sh, c->ws);
        attention_backward(c->dH, c->ds, &gr, c->up, c->H, c->s, &pr, &c->sh, c->ws);
    }
}

static void at_gradcheck(bool film)
{
    struct at_ctx c;
    at_init(&c, 2, 5, 8, 2, 3, film, film ? 700 : 500);
    at_fwd_bwd(&c, false);
    struct gc_tensor ts[2 + AT_NP];
    size_t nt = 0;
    ts[nt++] = (struct gc_tensor){"H", c.H, c.dH, c.sh.B * c.sh.T * c.sh.E};
    ts[nt++] = (struct gc_tensor){"s", c.s, c.ds, c.sh.B * c.sh.S};
    for (size_t i = 0; i < AT_NP; i++)
        if (c.par[i]) ts[nt++] = (struct gc_tensor){at_names[i], c.par[i], c.grad[i], c.npar[i]};
    gradcheck(at_loss, &c, ts, nt, NULL);
    at_free(&c);
}

static void test_attention_gradcheck_bias_aware(void **state)
{
    (void)state;
    at_gradcheck(false);
}

static void test_attention_gradcheck_film(void **state)
{
    (void)state;
    at_gradcheck(true);
}

/* Optimised (cblas + OpenMP) equals the plain loops, at the model's sizes. */
static void at_matches_ref(bool film)
{
    struct at_ctx a, r;
    at_init(&a, 3, 9, 128, 4, 64, film, 900);
    at_init(&r, 3, 9, 128, 4, 64, film, 900);
    at_fwd_bwd(&a, false);
    at_fwd_bwd(&r, true);
    size_t NE = a.sh.B * a.sh.T * a.sh.E;
    assert_close_f32(a.out, r.out, NE, 1e-5, 1e-6, "attention out");
    assert_close_f32(a.dH, r.dH, NE, 1e-5, 1e-5, "attention dH");
    assert_close_f32(a.ds, r.ds, a.sh.B * a.sh.S, 1e-5, 1e-5, "attention ds");
    for (size_t i = 0; i < AT_NP; i++)
        if (a.par[i]) assert_close_f32(a.grad[i], r.grad[i], a.npar[i], 1e-5, 1e-5, at_names[i]);
    at_free(&a);
    at_free(&r);
}

static void test_attention_matches_reference(void **state)
{
    (void)state;
    at_matches_ref(false);
    at_matches_ref(true);
}

/* Softmax shift invariance: the s-columns of k_proj (bias-aware) and FiLM's k_shift_net
 * cannot change the output, so their gradients vanish up to rounding (absolute tolerance). */
static void test_attention_shift_invariant_grads(void **state)
{
    (void)state;
    struct at_ctx c;
    at_init(&c, 3, 9, 128, 4, 64, false, 1100);
    at_fwd_bwd(&c, false);
    size_t E = c.sh.E, Din = E + c.sh.S;
    double mx_s = 0, mx_h = 0;
    for (size_t o = 0; o < E; o++)
        for (size_t i = 0; i < Din; i++) {
            double g = fabs((double)c.grad[1][o * Din + i]);
            if (i >= E) mx_s = fmax(mx_s, g);
            else mx_h = fmax(mx_h, g);
        }
    assert_true(mx_h > 1e-2); /* the H columns do learn */
    assert_true(mx_s < 1e-5);
    at_free(&c);

    at_init(&c, 3, 9, 128, 4, 64, true, 1200);
    at_fwd_bwd(&c, false);
    double mw = 0, mb = 0, mv = 0;
    for (size_t i = 0; i < c.npar[8]; i++) mw = fmax(mw, fabs((double)c.grad[8][i]));
    for (size_t i = 0; i < c.npar[9]; i++) mb = fmax(mb, fabs((double)c.grad[9][i]));
    for (size_t i = 0; i < c.npar[10]; i++) mv = fmax(mv, fabs((double)c.grad[10][i]));
    assert_true(mv > 1e-2); /* v_shift_net does learn */
    assert_true(mw < 1e-5);
    assert_true(mb < 1e-5);
    at_free(&c);
}

/* Changing only s changes the output, in both variants (the signer path is live). */
static void test_attention_depends_on_signer(void **state)
{
    (void)state;
    for (int film = 0; film < 2; film++) {
        struct at_ctx c;
        at_init(&c, 2, 7, 128, 4, 64, film, 1300);
        struct attention_params pr = at_params(&c);
        size_t NE = c.sh.B * c.sh.T * c.sh.E;
        float *y0 = falloc(NE);
        attention_forward(y0, c.H, c.s, &pr, &c.sh, c.ws);
        for (size_t i = 0; i < c.sh.S; i++) c.s[i] += 0.5f; /* sample 0 only */
        attention_forward(c.out, c.H, c.s, &pr, &c.sh, c.ws);
        double d0 = 0, d1 = 0;
        size_t half = NE / 2;
        for (size_t i = 0; i < half; i++) d0 = fmax(d0, fabs((double)(c.out[i] - y0[i])));
        for (size_t i = half; i < NE; i++) d1 = fmax(d1, fabs((double)(c.out[i] - y0[i])));
        assert_true(d0 > 1e-3);  /* sample 0 moved */
        assert_true(d1 == 0.0);  /* sample 1 did not */
        free(y0);
        at_free(&c);
    }
}

static void test_attention_bit_identical(void **state)
{
    (void)state;
    for (int film = 0; film < 2; film++) {
        struct at_ctx a, b;
        at_init(&a, 4, 11, 128, 4, 64, film, 1400);
        at_init(&b, 4, 11, 128, 4, 64, film, 1400);
        at_fwd_bwd(&a, false);
        at_fwd_bwd(&b, false);
        size_t NE = a.sh.B * a.sh.T * a.sh.E;
        assert_memory_equal(a.out, b.out, NE * sizeof(float));
        assert_memory_equal(a.dH, b.dH, NE * sizeof(float));
        assert_memory_equal(a.ds, b.ds, a.sh.B * a.sh.S * sizeof(float));
        for (size_t i = 0; i < AT_NP; i++)
            if (a.par[i]) assert_memory_equal(a.grad[i], b.grad[i], a.npar[i] * sizeof(float));
        at_free(&a);
        at_free(&b);
    }
}

/* ---- GRU -------------------------------------------------------------------------------- */

static const char *const gru_names[8] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                         "bias_hh_l0", "weight_ih_l0_reverse",
                                         "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                                         "bias_hh_l0_reverse"};

struct gru_ctx {
    struct gru_shape sh;
    float *X, *Z, *up, *ws, *dX;
    float *par[8], *grad[8];
    size_t npar[8];
};

static void gru_init(struct gru_ctx *c, size_t B, size_t T, size_t E, size_t G,
                     unsigned long long seed)
{
    memset(c, 0, sizeof *c);
    c->sh = (struct gru_shape){B, T, E, G};
    size_t sizes[4] = {3 * G * E, 3 * G * G, 3 * G, 3 * G};
    float a = 1.0f / sqrtf((float)G); /* PyTorch's init range */
    for (size_t i = 0; i < 8; i++) {
        c->npar[i] = sizes[i % 4];
        c->par[i] = falloc(c->npar[i]);
        c->grad[i] = falloc(c->npar[i]);
        gc_fill_uniform(c->par[i], c->npar[i], -a, a, seed + 10 + i);
    }
    c->X = falloc(B * T * E);
    c->dX = falloc(B * T * E);
    c->Z = falloc(B * 2 * G);
    c->up = falloc(B * 2 * G);
    c->ws = falloc(gru_workspace_size(&c->sh));
    gc_fill_uniform(c->X, B * T * E, -1, 1, seed + 1);
    gc_fill_uniform(c->up, B * 2 * G, -1, 1, seed + 2);
}

static void gru_free_ctx(struct gru_ctx *c)
{
    for (size_t i = 0; i < 8; i++) {
        free(c->par[i]);
        free(c->grad[i]);
    }
    free(c->X);
    free(c->dX);
    free(c->Z);
    free(c->up);
    free(c->ws);
}

static struct gru_params gru_p(const struct gru_ctx *c)
{
    struct gru_params p = {{{c->par[0], c->par[1], c->par[2], c->par[3]},
                            {c->par[4], c->par[5], c->par[6], c->par[7]}}};
    return p;
}

static struct gru_grads gru_g(const struct gru_ctx *c)
{
    struct gru_grads g = {{{c->grad[0], c->grad[1], c->grad[2], c->grad[3]},
                           {c->grad[4], c->grad[5], c->grad[6], c->grad[7]}}};
    return g;
}

static double gru_loss(void *p)
{
    struct gru_ctx *c = p;
    struct gru_params pr = gru_p(c);
    gru_forward(c->Z, c->X, &pr, &c->sh, c->ws);
    return gc_dot(c->up, c->Z, c->sh.B * 2 * c->sh.G);
}

static void gru_fwd_bwd(struct gru_ctx *c, bool ref)
{
    struct gru_params pr = gru_p(c);
    struct gru_grads gr = gru_g(c);
    if (ref) {
        gru_forward_ref(c->Z, c->X, &pr, &c->sh, c->ws);
        gru_backward_ref(c->dX, &gr, c->up, c->X, &pr, &c->sh, c->ws);
    } else {
        gru_forward(c->Z, c->X, &pr, &c->sh, c->ws);
        gru_backward(c->dX, &gr, c->up, c->X, &pr, &c->sh, c->ws);
    }
}

static void test_gru_gradcheck(void **state)
{
    (void)state;
    struct gru_ctx c;
    gru_init(&c, 2, 5, 4, 3, 2000);
    /* Larger weights than the init range so every gate is far from linear. */
    for (size_t i = 0; i < 8; i++)
        for (size_t k = 0; k < c.npar[i]; k++) c.par[i][k] *= 2.0f;
    gru_fwd_bwd(&c, false);
    struct gc_tensor ts[9];
    ts[0] = (struct gc_tensor){"X", c.X, c.dX, c.sh.B * c.sh.T * c.sh.E};
    for (size_t i = 0; i < 8; i++)
        ts[1 + i] = (struct gc_tensor){gru_names[i], c.par[i], c.grad[i], c.npar[i]};
    gradcheck(gru_loss, &c, ts, 9, NULL);
    gru_free_ctx(&c);
}

static void test_gru_matches_reference(void **state)
{
    (void)state;
    struct gru_ctx a, r;
    gru_init(&a, 3, 9, 128, 256, 2100);
    gru_init(&r, 3, 9, 128, 256, 2100);
    gru_fwd_bwd(&a, false);
    gru_fwd_bwd(&r, true);
    assert_close_f32(a.Z, r.Z, 3 * 512, 1e-5, 1e-6, "gru Z");
    /* atol 1e-5 for the gradients: they are sums over B·T = 27 rows (and 9 steps of
     * W_hh products) with heavy cancellation, e.g. a bias gradient of 1e-2 made of terms
     * of 1e-1; the plain Linear sums the bias rows in float, cblas in its own order, so
     * the two differ by a few 1e-6 absolute where the relative difference looks large. */
    assert_close_f32(a.dX, r.dX, 3 * 9 * 128, 1e-5, 1e-5, "gru dX");
    for (size_t i = 0; i < 8; i++)
        assert_close_f32(a.grad[i], r.grad[i], a.npar[i], 1e-5, 1e-5, gru_names[i]);
    gru_free_ctx(&a);
    gru_free_ctx(&r);
}

static void test_gru_bit_identical(void **state)
{
    (void)state;
    struct gru_ctx a, b;
    gru_init(&a, 4, 10, 128, 256, 2200);
    gru_init(&b, 4, 10, 128, 256, 2200);
    gru_fwd_bwd(&a, false);
    gru_fwd_bwd(&b, false);
    assert_memory_equal(a.Z, b.Z, 4 * 512 * sizeof(float));
    assert_memory_equal(a.dX, b.dX, 4 * 10 * 128 * sizeof(float));
    for (size_t i = 0; i < 8; i++)
        assert_memory_equal(a.grad[i], b.grad[i], a.npar[i] * sizeof(float));
    gru_free_ctx(&a);
    gru_free_ctx(&b);
}

/* ---- parity with PyTorch (tests/fixtures/heads, tools/make_heads_fixtures.py) ----------- */

/* Compares a C result with the fixture member `name` (same element count). */
static void fx_expect(struct npz *z, const char *name, const float *got, size_t n, double rtol,
                      double atol)
{
    float *want = fx_read(z, name, n);
    assert_close_f32(got, want, n, rtol, atol, name);
    free(want);
}

static void test_layernorm_gelu_parity(void **state)
{
    (void)state;
    enum { N = 5, D = 512 };
    struct npz z;
    fx_open(&z, "heads/layernorm.npz");
    float *x = fx_read(&z, "x", N * D), *w = fx_read(&z, "weight", D);
    float *b = fx_read(&z, "bias", D), *dy = fx_read(&z, "dout", N * D);
    float *y = falloc(N * D), *dx = falloc(N * D), *dw = falloc(D), *db = falloc(D);
    float mean[N], rstd[N];
    layernorm_forward(y, mean, rstd, x, w, b, N, D, 1e-5f);
    layernorm_backward(dx, dw, db, dy, x, mean, rstd, w, N, D);
    fx_expect(&z, "out", y, N * D, 1e-5, 1e-6);
    fx_expect(&z, "d_x", dx, N * D, 1e-5, 1e-6);
    fx_expect(&z, "d_weight", dw, D, 1e-5, 1e-6);
    fx_expect(&z, "d_bias", db, D, 1e-5, 1e-6);
    npz_close(&z);
    free(x);
    fx_open(&z, "heads/gelu.npz");
    x = fx_read(&z, "x", N * D);
    memset(dx, 0, N * D * sizeof *dx);
    gelu_forward(y, x, N * D);
    gelu_backward(dx, dy, x, N * D);
    fx_expect(&z, "out", y, N * D, 1e-5, 1e-6);
    fx_expect(&z, "d_x", dx, N * D, 1e-5, 1e-6);
    npz_close(&z);
    free(x);
    free(w);
    free(b);
    free(dy);
    free(y);
    free(dx);
    free(dw);
    free(db);
}

static void at_parity(bool film)
{
    struct npz z;
    fx_open(&z, film ? "heads/attention_film.npz" : "heads/attention_bias.npz");
    struct at_ctx c;
    at_init(&c, 3, 9, 64, 2, 32, film, 1);
    size_t NE = c.sh.B * c.sh.T * c.sh.E;
    fx_read_into(&z, "H", c.H, NE);
    fx_read_into(&z, "s", c.s, c.sh.B * c.sh.S);
    fx_read_into(&z, "dout", c.up, NE);
    for (size_t i = 0; i < AT_NP; i++)
        if (c.par[i]) fx_read_into(&z, at_names[i], c.par[i], c.npar[i]);
    at_fwd_bwd(&c, false);
    fx_expect(&z, "out", c.out, NE, 1e-5, 1e-6);
    fx_expect(&z, "d_H", c.dH, NE, 1e-5, 1e-6);
    fx_expect(&z, "d_s", c.ds, c.sh.B * c.sh.S, 1e-5, 1e-6);
    char name[64];
    for (size_t i = 0; i < AT_NP; i++) {
        if (!c.par[i]) continue;
        snprintf(name, sizeof name, "d_%s", at_names[i]);
        fx_expect(&z, name, c.grad[i], c.npar[i], 1e-5, 1e-6);
    }
    at_free(&c);
    npz_close(&z);
}

static void test_attention_parity(void **state)
{
    (void)state;
    at_parity(false);
    at_parity(true);
}

static void test_gru_parity(void **state)
{
    (void)state;
    struct npz z;
    fx_open(&z, "heads/gru.npz");
    struct gru_ctx c;
    gru_init(&c, 3, 9, 64, 32, 1);
    fx_read_into(&z, "X", c.X, 3 * 9 * 64);
    fx_read_into(&z, "dout", c.up, 3 * 64);
    for (size_t i = 0; i < 8; i++) fx_read_into(&z, gru_names[i], c.par[i], c.npar[i]);
    gru_fwd_bwd(&c, false);
    fx_expect(&z, "out", c.Z, 3 * 64, 1e-5, 1e-6);
    fx_expect(&z, "d_X", c.dX, 3 * 9 * 64, 1e-5, 1e-6);
    char name[64];
    for (size_t i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "d_%s", gru_names[i]);
        fx_expect(&z, name, c.grad[i], c.npar[i], 1e-5, 1e-6);
    }
    gru_free_ctx(&c);
    npz_close(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm_gradcheck),
        cmocka_unit_test(test_gelu_gradcheck),
        cmocka_unit_test(test_grad_reverse),
        cmocka_unit_test(test_attention_gradcheck_bias_aware),
        cmocka_unit_test(test_attention_gradcheck_film),
        cmocka_unit_test(test_attention_matches_reference),
        cmocka_unit_test(test_attention_shift_invariant_grads),
        cmocka_unit_test(test_attention_depends_on_signer),
        cmocka_unit_test(test_attention_bit_identical),
        cmocka_unit_test(test_gru_gradcheck),
        cmocka_unit_test(test_gru_matches_reference),
        cmocka_unit_test(test_gru_bit_identical),
        cmocka_unit_test(test_layernorm_gelu_parity),
        cmocka_unit_test(test_attention_parity),
        cmocka_unit_test(test_gru_parity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
