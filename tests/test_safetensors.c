/* test_safetensors.c — the safetensors reader and writer: round trip through a file, files
 * written by tools/safetensors_io.py (every dtype the reader converts), hostile files that must
 * fail with a message naming the problem, allocation failures, and the model fixtures of
 * tools/make_model_fixtures.py (names and shapes of SPEC §3). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "testutil.h"

/* A file from header text and a data section of `data_len` bytes (value i at byte i). */
static uint8_t *make_file(const char *header, size_t data_len, size_t *len)
{
    size_t h = strlen(header);
    *len = 8 + h + data_len;
    uint8_t *buf = malloc(*len);
    for (size_t i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(buf + 8, header, h);
    for (size_t i = 0; i < data_len; i++) buf[8 + h + i] = (uint8_t)i;
    return buf;
}

/* Parsing must fail and the message must contain `needle`. */
static void expect_bad(const char *header, size_t data_len, const char *needle)
{
    size_t len;
    uint8_t *buf = make_file(header, data_len, &len);
    struct safetensors st;
    struct error err = {{0}};
    int rc = safetensors_from_memory(&st, buf, len, "bad.safetensors", &err);
    free(buf);
    if (rc == 0) {
        safetensors_free(&st);
        fail_msg("header %s parsed but should fail with '%s'", header, needle);
    }
    if (!strstr(err.msg, needle)) fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, "bad.safetensors"));
}

static void test_roundtrip_file(void **state)
{
    (void)state;
    float a[6] = {1.5f, -2.0f, 0.0f, 3.25f, NAN, -0.0f};
    int64_t n = 42;
    uint64_t u[3] = {0, 1, UINT64_MAX};
    int64_t neg[2] = {-5, INT64_MIN};
    size_t sa[2] = {2, 3}, su[1] = {3}, sn[2] = {1, 2};
    struct error err;
    struct safetensors_writer w;
    safetensors_writer_init(&w);
    assert_int_equal(safetensors_writer_add_u64(&w, "z.u", 1, su, u, &err), 0);
    assert_int_equal(safetensors_writer_add_f32(&w, "a.weight", 2, sa, a, &err), 0);
    assert_int_equal(safetensors_writer_add_i64(&w, "bn.num_batches_tracked", 0, NULL, &n, &err),
                     0);
    assert_int_equal(safetensors_writer_add_i64(&w, "neg", 2, sn, neg, &err), 0);
    assert_int_equal(safetensors_writer_set_meta(&w, "format", "signstgcn/0", &err), 0);
    assert_int_equal(safetensors_writer_set_meta(&w, "format", "signstgcn/1", &err), 0);
    assert_int_equal(safetensors_writer_set_meta(&w, "epoch", "3", &err), 0);
    /* a second tensor of the same name is refused */
    assert_int_equal(safetensors_writer_add_f32(&w, "a.weight", 2, sa, a, &err), -1);
    assert_non_null(strstr(err.msg, "'a.weight' added twice"));
    assert_int_equal(safetensors_writer_add_f32(&w, "__metadata__", 2, sa, a, &err), -1);

    char *dir = tmpdir_make();
    char *path = path_join(dir, "rt.safetensors");
    assert_int_equal(safetensors_writer_save(&w, path, &err), 0);

    struct safetensors st;
    assert_int_equal(safetensors_open(&st, path, &err), 0);
    assert_int_equal(st.num_tensors, 4);
    assert_int_equal(st.num_meta, 2);
    /* tensors come out sorted by name, and the data section is laid out in that order */
    assert_string_equal(st.tensors[0].name, "a.weight");
    assert_int_equal(st.tensors[0].begin, 0);
    assert_string_equal(st.tensors[3].name, "z.u");
    assert_string_equal(safetensors_meta_get(&st, "format"), "signstgcn/1");
    assert_string_equal(safetensors_meta_get(&st, "epoch"), "3");
    assert_null(safetensors_meta_get(&st, "missing"));
    assert_int_equal(safetensors_check_shape(&st, "a.weight", 2, sa, &err), 0);
    assert_int_equal(safetensors_check_shape(&st, "bn.num_batches_tracked", 0, NULL, &err), 0);
    size_t wrong[2] = {3, 2};
    assert_int_equal(safetensors_check_shape(&st, "a.weight", 2, wrong, &err), -1);
    assert_non_null(strstr(err.msg, "has shape [2,3] (expected [3,2])"));
    const struct st_tensor *t = safetensors_find(&st, "bn.num_batches_tracked");
    assert_non_null(t);
    assert_int_equal(t->dtype, ST_I64);
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->numel, 1);

    float a2[6];
    assert_int_equal(safetensors_get_f32(&st, "a.weight", a2, 6, &err), 0);
    assert_memory_equal(a, a2, sizeof a); /* bit-exact, NaN and -0 included */
    int64_t n2 = 0, neg2[2];
    assert_int_equal(safetensors_get_i64(&st, "bn.num_batches_tracked", &n2, 1, &err), 0);
    assert_int_equal(n2, 42);
    assert_int_equal(safetensors_get_i64(&st, "neg", neg2, 2, &err), 0);
    assert_true(neg2[0] == -5 && neg2[1] == INT64_MIN);
    uint64_t u2[3];
    assert_int_equal(safetensors_get_u64(&st, "z.u", u2, 3, &err), 0);
    assert_true(u2[2] == UINT64_MAX && u2[1] == 1);

    /* conversions that must be refused */
    assert_int_equal(safetensors_get_f32(&st, "a.weight", a2, 5, &err), -1);
    assert_non_null(strstr(err.msg, "has 6 elements (expected 5)"));
    assert_int_equal(safetensors_get_f32(&st, "z.u", a2, 3, &err), -1);
    assert_non_null(strstr(err.msg, "has dtype U64 (expected a float dtype"));
    assert_int_equal(safetensors_get_i64(&st, "z.u", neg2, 3, &err), -1); /* 2^64-1 */
    assert_non_null(strstr(err.msg, "does not fit int64"));
    assert_int_equal(safetensors_get_u64(&st, "neg", u2, 2, &err), -1);
    assert_non_null(strstr(err.msg, "is negative"));
    assert_int_equal(safetensors_get_i64(&st, "a.weight", neg2, 6, &err), -1);
    assert_int_equal(safetensors_get_f32(&st, "nope", a2, 1, &err), -1);
    assert_non_null(strstr(err.msg, "no tensor 'nope'"));
    safetensors_free(&st);

    /* the same tensors added in another order give the same bytes */
    uint8_t *m1, *m2;
    size_t l1, l2;
    assert_int_equal(safetensors_writer_to_memory(&w, &m1, &l1, &err), 0);
    struct safetensors_writer w2;
    safetensors_writer_init(&w2);
    assert_int_equal(safetensors_writer_set_meta(&w2, "epoch", "3", &err), 0);
    assert_int_equal(safetensors_writer_set_meta(&w2, "format", "signstgcn/1", &err), 0);
    assert_int_equal(safetensors_writer_add_i64(&w2, "neg", 2, sn, neg, &err), 0);
    assert_int_equal(safetensors_writer_add_i64(&w2, "bn.num_batches_tracked", 0, NULL, &n, &err),
                     0);
    assert_int_equal(safetensors_writer_add_f32(&w2, "a.weight", 2, sa, a, &err), 0);
    assert_int_equal(safetensors_writer_add_u64(&w2, "z.u", 1, su, u, &err), 0);
    assert_int_equal(safetensors_writer_to_memory(&w2, &m2, &l2, &err), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(m1, m2, l1);
    assert_int_equal((m1[0] | (size_t)m1[1] << 8) % 8, 0); /* header padded to 8 */
    char *file = read_text_file(path, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(m1, file, l1);
    free(file);
    free(m1);
    free(m2);
    safetensors_writer_free(&w2);
    safetensors_writer_free(&w);

    /* a write into a missing folder fails and names the path */
    char *bad = path_join(dir, "missing/x.safetensors");
    safetensors_writer_init(&w);
    assert_int_equal(safetensors_writer_save(&w, bad, &err), -1);
    assert_non_null(strstr(err.msg, "missing/x.safetensors"));
    safetensors_writer_free(&w);
    free(bad);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

/* tools/make_safetensors_fixtures.py: the values below are the formulas it uses. */
static void test_python_written_file(void **state)
{
    (void)state;
    struct safetensors st;
    struct error err;
    if (safetensors_open(&st, fixture_path("safetensors/python_mixed.safetensors"), &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(st.num_tensors, 11);
    assert_string_equal(safetensors_meta_get(&st, "format"), "signstgcn/1");
    assert_string_equal(safetensors_meta_get(&st, "note"), "caf\xc3\xa9 \"quoted\"");
    assert_string_equal(safetensors_meta_get(&st, "empty"), "");

    float a[6], b[3], c[4], d[2];
    size_t sa[2] = {2, 3};
    assert_int_equal(safetensors_check_shape(&st, "a.f32", 2, sa, &err), 0);
    assert_int_equal(safetensors_get_f32(&st, "a.f32", a, 6, &err), 0);
    for (int i = 0; i < 6; i++) assert_true(a[i] == (float)i * 0.25f - 1.0f);
    assert_int_equal(safetensors_get_f32(&st, "b.f64", b, 3, &err), 0);
    assert_true(b[0] == (float)(1.0 / 3.0) && b[1] == -2.5f && b[2] == 0.0f);
    assert_int_equal(safetensors_get_f32(&st, "c.f16", c, 4, &err), 0);
    assert_true(c[0] == 0.5f && c[1] == -1.25f && c[2] == 65504.0f);
    assert_true(c[3] == ldexpf(1.0f, -24)); /* f16 subnormal */
    assert_int_equal(safetensors_get_f32(&st, "d.bf16", d, 2, &err), 0);
    assert_true(d[0] == 1.5f && d[1] == -3.0f);

    int64_t e, f[3], g[2], h[3], j[2];
    assert_int_equal(safetensors_check_shape(&st, "e.num_batches_tracked", 0, NULL, &err), 0);
    assert_int_equal(safetensors_get_i64(&st, "e.num_batches_tracked", &e, 1, &err), 0);
    assert_int_equal(e, 7);
    assert_int_equal(safetensors_get_i64(&st, "f.i32", f, 3, &err), 0);
    assert_true(f[0] == -3 && f[1] == 0 && f[2] == 2147483647);
    assert_int_equal(safetensors_get_i64(&st, "g.u8", g, 2, &err), 0);
    assert_true(g[0] == 0 && g[1] == 255);
    assert_int_equal(safetensors_get_i64(&st, "h.bool", h, 3, &err), 0);
    assert_true(h[0] == 1 && h[1] == 0 && h[2] == 1);
    assert_int_equal(safetensors_get_i64(&st, "j.i64", j, 2, &err), 0);
    assert_true(j[0] == INT64_MIN && j[1] == INT64_MAX);
    uint64_t u[2];
    assert_int_equal(safetensors_get_u64(&st, "i.u64", u, 2, &err), 0);
    assert_true(u[0] == 0 && u[1] == ((uint64_t)1 << 63) + 5);
    assert_int_equal(safetensors_get_u64(&st, "f.i32", u, 3, &err), -1); /* -3 */
    size_t se[2] = {0, 4};
    assert_int_equal(safetensors_check_shape(&st, "k.empty", 2, se, &err), 0);
    assert_int_equal(safetensors_get_f32(&st, "k.empty", a, 0, &err), 0);
    safetensors_free(&st);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    /* control: the well-formed header parses */
    size_t len;
    uint8_t *buf = make_file(ok, 8, &len);
    struct safetensors st;
    struct error err;
    assert_int_equal(safetensors_from_memory(&st, buf, len, "ok", &err), 0);
    safetensors_free(&st);

    /* truncated: the data section is one byte short, then only part of the header */
    assert_int_equal(safetensors_from_memory(&st, buf, len - 1, "bad.safetensors", &err), -1);
    assert_non_null(strstr(err.msg, "beyond the data section (7 bytes)"));
    assert_int_equal(safetensors_from_memory(&st, buf, 20, "bad.safetensors", &err), -1);
    assert_non_null(strstr(err.msg, "runs beyond the end of the file"));
    assert_int_equal(safetensors_from_memory(&st, buf, 5, "bad.safetensors", &err), -1);
    assert_non_null(strstr(err.msg, "expected at least the 8-byte header length"));
    /* header length beyond the file, and beyond any sane size */
    buf[0] = 0xff;
    buf[1] = 0xff;
    assert_int_equal(safetensors_from_memory(&st, buf, len, "bad.safetensors", &err), -1);
    assert_non_null(strstr(err.msg, "runs beyond the end of the file"));
    memset(buf, 0xff, 8);
    assert_int_equal(safetensors_from_memory(&st, buf, len, "bad.safetensors", &err), -1);
    assert_non_null(strstr(err.msg, "exceeds the limit"));
    free(buf);

    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "overlap");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
               12, "gap in the data section before tensor 'y'");
    expect_bad(ok, 12, "data section has 12 bytes but the tensors cover 8");
    expect_bad("{\"x\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
               "unknown dtype 'F33'");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
               "shape holds 3 F32 elements but data_offsets [0, 8] span 8 bytes");
    expect_bad("{\"x\":{\"dtype\":\"I64\",\"shape\":[4294967296,4294967296,16],"
               "\"data_offsets\":[0,8]}}",
               8, "shape overflows");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
               "shape entry 0 is not a non-negative integer");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
               "shape entry 0");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4,
               "end before they begin");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
               "'data_offsets' must be two");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
               "\"data_offsets\":[0,4]}}",
               4, "9 dimensions");
    expect_bad("[1,2,3]", 0, "not an object");
    expect_bad("\"text\"", 0, "not an object");
    expect_bad("{\"x\":", 0, "not valid JSON");
    expect_bad("{} x", 0, "trailing bytes");
    expect_bad("{\"x\":[1]}", 0, "tensor 'x': entry is not a JSON object");
    expect_bad("{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing string 'dtype'");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ entry 'k' is not a string");
    expect_bad("{\"__metadata__\":[\"k\"]}", 0, "__metadata__ is not a JSON object");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "tensor 'x' appears twice");
    expect_bad("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
               "empty name");

    /* a missing file names the path */
    assert_int_equal(safetensors_open(&st, "/nonexistent/x.safetensors", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/x.safetensors"));

    /* BOOL bytes other than 0/1 are refused on read */
    buf = make_file("{\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", 3,
                    &len); /* bytes 0,1,2 */
    assert_int_equal(safetensors_from_memory(&st, buf, len, "b", &err), 0);
    int64_t v[3];
    assert_int_equal(safetensors_get_i64(&st, "b", v, 3, &err), -1);
    assert_non_null(strstr(err.msg, "BOOL byte 2"));
    safetensors_free(&st);
    free(buf);
}

/* Every allocation of open and save failing in turn: each must fail cleanly (ASan checks
 * that nothing leaks) and, once enough allocations succeed, the call succeeds. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *path = fixture_path("safetensors/python_mixed.safetensors");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    struct error err;
    int succeeded = 0;
    for (long n = 0; n < 200 && !succeeded; n++) {
        struct safetensors st;
        alloc_fail_after(n);
        int rc = safetensors_open(&st, copy, &err);
        alloc_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            safetensors_free(&st);
        } else {
            assert_non_null(strstr(err.msg, "cannot allocate"));
            assert_null(st.buf);
        }
    }
    assert_true(succeeded);

    float x[4] = {1, 2, 3, 4};
    size_t shape[1] = {4};
    succeeded = 0;
    for (long n = 0; n < 200 && !succeeded; n++) {
        struct safetensors_writer w;
        safetensors_writer_init(&w);
        alloc_fail_after(n);
        int rc = safetensors_writer_add_f32(&w, "x", 1, shape, x, &err);
        if (rc == 0) rc = safetensors_writer_set_meta(&w, "k", "v", &err);
        uint8_t *out = NULL;
        size_t len = 0;
        if (rc == 0) rc = safetensors_writer_to_memory(&w, &out, &len, &err);
        alloc_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            struct safetensors st;
            assert_int_equal(safetensors_from_memory(&st, out, len, "mem", &err), 0);
            safetensors_free(&st);
            free(out);
        }
        safetensors_writer_free(&w);
    }
    assert_true(succeeded);
}

/* ---- model fixtures (tools/make_model_fixtures.py) -------------------------------------- */

/* Layer widths of a fixture: its metadata "options"."dims" (reference.Dims). */
struct fx_dims {
    size_t ch[3], dil[3], heads, signer_hidden, signer_dim, gru, cls_hidden, sh_hidden;
};

struct fx_opts {
    struct fx_dims d;
    size_t J, C, NC, NS, mi_hidden;
    bool film, signer_head, use_mi, use_supcon;
    double signer_loss_weight, supcon_weight, mi_weight;
};

enum fx_kind { FX_TRAINED, FX_BUFFER, FX_COUNTER, FX_MI };

struct fx_tensor {
    char name[96];
    enum fx_kind kind;
    size_t ndim, shape[4];
};

struct fx_list {
    struct fx_tensor t[96];
    size_t n;
};

static void fx_add(struct fx_list *l, enum fx_kind kind, const char *name, size_t ndim,
                   size_t a, size_t b, size_t c, size_t d)
{
    assert_true(l->n < sizeof l->t / sizeof l->t[0]);
    struct fx_tensor *t = &l->t[l->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->kind = kind;
    t->ndim = ndim;
    t->shape[0] = a;
    t->shape[1] = b;
    t->shape[2] = c;
    t->shape[3] = d;
}

/* The state_dict of SPEC §3 for these options, written from the SPEC, not from the tool. */
static void fx_expected(const struct fx_opts *o, struct fx_list *l)
{
    const struct fx_dims *d = &o->d;
    const size_t K = 3, S = 2 * o->C, E = d->ch[2], Z = 2 * d->gru;
    char n[96];
    l->n = 0;
    size_t in = o->C;
    for (int i = 0; i < 3; i++) {
        size_t out = d->ch[i];
#define LN(sfx) (snprintf(n, sizeof n, "backbone.layers.%d.%s", i, sfx), n)
        fx_add(l, FX_TRAINED, LN("gc.lin.weight"), 2, K * out, in, 0, 0);
        fx_add(l, FX_TRAINED, LN("gc.lin.bias"), 1, K * out, 0, 0, 0);
        fx_add(l, FX_TRAINED, LN("temporal.weight"), 4, out, out, 3, 1);
        fx_add(l, FX_TRAINED, LN("bn.weight"), 1, out, 0, 0, 0);
        fx_add(l, FX_TRAINED, LN("bn.bias"), 1, out, 0, 0, 0);
        fx_add(l, FX_BUFFER, LN("bn.running_mean"), 1, out, 0, 0, 0);
        fx_add(l, FX_BUFFER, LN("bn.running_var"), 1, out, 0, 0, 0);
        fx_add(l, FX_COUNTER, LN("bn.num_batches_tracked"), 0, 0, 0, 0, 0);
        if (in != out) {
            fx_add(l, FX_TRAINED, LN("res_proj.weight"), 2, out, in, 0, 0);
            fx_add(l, FX_TRAINED, LN("res_proj.bias"), 1, out, 0, 0, 0);
        }
#undef LN
        in = out;
    }
    fx_add(l, FX_TRAINED, "signer_enc.net.0.weight", 1, S, 0, 0, 0);
    fx_add(l, FX_TRAINED, "signer_enc.net.0.bias", 1, S, 0, 0, 0);
    fx_add(l, FX_TRAINED, "signer_enc.net.1.weight", 2, d->signer_hidden, S, 0, 0);
    fx_add(l, FX_TRAINED, "signer_enc.net.1.bias", 1, d->signer_hidden, 0, 0, 0);
    fx_add(l, FX_TRAINED, "signer_enc.net.3.weight", 2, d->signer_dim, d->signer_hidden, 0, 0);
    fx_add(l, FX_TRAINED, "signer_enc.net.3.bias", 1, d->signer_dim, 0, 0, 0);
    size_t qk_in = o->film ? E : E + d->signer_dim;
    fx_add(l, FX_TRAINED, "attn.q_proj.weight", 2, E, qk_in, 0, 0);
    fx_add(l, FX_TRAINED, "attn.k_proj.weight", 2, E, qk_in, 0, 0);
    fx_add(l, FX_TRAINED, "attn.v_proj.weight", 2, E, E, 0, 0);
    fx_add(l, FX_TRAINED, "attn.out_proj.weight", 2, E, E, 0, 0);
    if (o->film) {
        const char *nets[4] = {"k_scale_net.0", "k_shift_net", "v_scale_net.0", "v_shift_net"};
        for (int i = 0; i < 4; i++) {
            snprintf(n, sizeof n, "attn.%s.weight", nets[i]);
            fx_add(l, FX_TRAINED, n, 2, E, d->signer_dim, 0, 0);
            snprintf(n, sizeof n, "attn.%s.bias", nets[i]);
            fx_add(l, FX_TRAINED, n, 1, E, 0, 0, 0);
        }
    }
    for (int r = 0; r < 2; r++) {
        const char *sfx = r ? "_reverse" : "";
        snprintf(n, sizeof n, "temporal.gru.weight_ih_l0%s", sfx);
        fx_add(l, FX_TRAINED, n, 2, 3 * d->gru, E, 0, 0);
        snprintf(n, sizeof n, "temporal.gru.weight_hh_l0%s", sfx);
        fx_add(l, FX_TRAINED, n, 2, 3 * d->gru, d->gru, 0, 0);
        snprintf(n, sizeof n, "temporal.gru.bias_ih_l0%s", sfx);
        fx_add(l, FX_TRAINED, n, 1, 3 * d->gru, 0, 0, 0);
        snprintf(n, sizeof n, "temporal.gru.bias_hh_l0%s", sfx);
        fx_add(l, FX_TRAINED, n, 1, 3 * d->gru, 0, 0, 0);
    }
    fx_add(l, FX_TRAINED, "cls_head.net.0.weight", 1, Z, 0, 0, 0);
    fx_add(l, FX_TRAINED, "cls_head.net.0.bias", 1, Z, 0, 0, 0);
    fx_add(l, FX_TRAINED, "cls_head.net.1.weight", 2, d->cls_hidden, Z, 0, 0);
    fx_add(l, FX_TRAINED, "cls_head.net.1.bias", 1, d->cls_hidden, 0, 0, 0);
    fx_add(l, FX_TRAINED, "cls_head.net.4.weight", 2, o->NC, d->cls_hidden, 0, 0);
    fx_add(l, FX_TRAINED, "cls_head.net.4.bias", 1, o->NC, 0, 0, 0);
    if (o->signer_head) {
        fx_add(l, FX_TRAINED, "signer_head.net.0.weight", 1, Z, 0, 0, 0);
        fx_add(l, FX_TRAINED, "signer_head.net.0.bias", 1, Z, 0, 0, 0);
        fx_add(l, FX_TRAINED, "signer_head.net.1.weight", 2, d->sh_hidden, Z, 0, 0);
        fx_add(l, FX_TRAINED, "signer_head.net.1.bias", 1, d->sh_hidden, 0, 0, 0);
        fx_add(l, FX_TRAINED, "signer_head.net.4.weight", 2, o->NS, d->sh_hidden, 0, 0);
        fx_add(l, FX_TRAINED, "signer_head.net.4.bias", 1, o->NS, 0, 0, 0);
    }
    if (o->use_mi) {
        size_t H = o->mi_hidden;
        fx_add(l, FX_MI, "mi.net.0.weight", 2, H, Z, 0, 0);
        fx_add(l, FX_MI, "mi.net.0.bias", 1, H, 0, 0, 0);
        fx_add(l, FX_MI, "mi.net.2.weight", 2, H, H, 0, 0);
        fx_add(l, FX_MI, "mi.net.2.bias", 1, H, 0, 0, 0);
        fx_add(l, FX_MI, "mi.net.4.weight", 2, o->NS, H, 0, 0);
        fx_add(l, FX_MI, "mi.net.4.bias", 1, o->NS, 0, 0, 0);
    }
}

static size_t json_uint(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it) || it->valuedouble < 0) fail_msg("options: '%s' missing", key);
    return (size_t)it->valuedouble;
}

static double json_num(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it)) fail_msg("options: '%s' missing", key);
    return it->valuedouble;
}

static bool json_bool(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsBool(it)) fail_msg("options: '%s' missing", key);
    return cJSON_IsTrue(it);
}

static void json_triple(const cJSON *obj, const char *key, size_t v[3])
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 3);
    for (int i = 0; i < 3; i++) v[i] = (size_t)cJSON_GetArrayItem(a, i)->valuedouble;
}

static void fx_parse_options(const struct safetensors *st, struct fx_opts *o)
{
    const char *txt = safetensors_meta_get(st, "options");
    assert_non_null(txt);
    cJSON *root = cJSON_Parse(txt);
    assert_non_null(root);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "dims");
    assert_true(cJSON_IsObject(d));
    json_triple(d, "channels", o->d.ch);
    json_triple(d, "dilations", o->d.dil);
    o->d.heads = json_uint(d, "heads");
    o->d.signer_hidden = json_uint(d, "signer_hidden");
    o->d.signer_dim = json_uint(d, "signer_dim");
    o->d.gru = json_uint(d, "gru");
    o->d.cls_hidden = json_uint(d, "cls_hidden");
    o->d.sh_hidden = json_uint(d, "signer_head_hidden");
    o->J = json_uint(root, "num_joints");
    o->C = json_uint(root, "coords");
    o->NC = json_uint(root, "num_classes");
    o->NS = json_uint(root, "num_signers");
    o->mi_hidden = json_uint(root, "mi_hidden");
    o->film = json_bool(root, "film");
    o->signer_head = json_bool(root, "signer_head");
    o->use_mi = json_bool(root, "use_mi");
    o->use_supcon = json_bool(root, "use_supcon");
    o->signer_loss_weight = json_num(root, "signer_loss_weight");
    o->supcon_weight = json_num(root, "supcon_weight");
    o->mi_weight = json_num(root, "mi_weight");
    assert_true(json_num(root, "dropout") == 0.0); /* parity fixtures run without dropout */
    cJSON_Delete(root);
}

static void fx_shape(const struct safetensors *st, const char *name, size_t ndim, size_t a,
                     size_t b, size_t c, size_t d)
{
    size_t shape[4] = {a, b, c, d};
    struct error err;
    if (safetensors_check_shape(st, name, ndim, shape, &err) != 0) fail_msg("%s", err.msg);
}

static void fx_prefixed(const struct safetensors *st, const char *prefix,
                        const struct fx_tensor *t)
{
    char n[160];
    snprintf(n, sizeof n, "%s%s", prefix, t->name);
    fx_shape(st, n, t->ndim, t->shape[0], t->shape[1], t->shape[2], t->shape[3]);
    const struct st_tensor *x = safetensors_find(st, n);
    if (t->kind == FX_COUNTER) assert_int_equal(x->dtype, ST_I64);
}

static int64_t fx_counter(const struct safetensors *st, const char *prefix, const char *name)
{
    char n[160];
    int64_t v = -1;
    struct error err;
    snprintf(n, sizeof n, "%s%s", prefix, name);
    if (safetensors_get_i64(st, n, &v, 1, &err) != 0) fail_msg("%s", err.msg);
    return v;
}

static double fx_scalar(const struct safetensors *st, const char *name)
{
    float v = NAN;
    struct error err;
    fx_shape(st, name, 0, 0, 0, 0, 0);
    if (safetensors_get_f32(st, name, &v, 1, &err) != 0) fail_msg("%s", err.msg);
    return (double)v;
}

static size_t fx_count_prefix(const struct safetensors *st, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (size_t i = 0; i < st->num_tensors; i++) n += !strncmp(st->tensors[i].name, prefix, len);
    return n;
}

/* Σ_k Â_k row sums are 1 (Σ_k Â_k = D⁻¹(A+I), SPEC §2). */
static void fx_check_graph(const struct safetensors *st, size_t J)
{
    fx_shape(st, "graph.A", 3, 3, J, J, 0);
    float *A = malloc(3 * J * J * sizeof *A);
    struct error err;
    assert_int_equal(safetensors_get_f32(st, "graph.A", A, 3 * J * J, &err), 0);
    for (size_t i = 0; i < J; i++) {
        double row = 0;
        for (size_t k = 0; k < 3; k++)
            for (size_t j = 0; j < J; j++) row += (double)A[(k * J + i) * J + j];
        assert_true(fabs(row - 1.0) < 1e-5);
    }
    free(A);
}

static void check_training_fixture(const char *file, const char *variant)
{
    struct safetensors st;
    struct error err;
    char rel[128];
    snprintf(rel, sizeof rel, "model/%s", file);
    if (safetensors_open(&st, fixture_path(rel), &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(safetensors_meta_get(&st, "variant"), variant);
    struct fx_opts o;
    fx_parse_options(&st, &o);
    const size_t B = 3, T = 9, J = 13, C = 2, NC = 4;
    assert_true(o.J == J && o.C == C && o.NC == NC);
    struct fx_list l;
    fx_expected(&o, &l);

    size_t trained = 0, mi = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct fx_tensor *t = &l.t[i];
        fx_prefixed(&st, "param.", t);
        fx_prefixed(&st, "adam.param.", t);
        if (t->kind == FX_TRAINED || t->kind == FX_MI) fx_prefixed(&st, "grad.", t);
        if (t->kind == FX_MI) fx_prefixed(&st, "mi_step.param.", t);
        if (t->kind == FX_BUFFER || t->kind == FX_COUNTER) fx_prefixed(&st, "bn_after.", t);
        if (t->kind == FX_COUNTER) {
            assert_int_equal(fx_counter(&st, "param.", t->name), 0);
            assert_int_equal(fx_counter(&st, "bn_after.", t->name), 1);
            assert_int_equal(fx_counter(&st, "adam.param.", t->name), 5);
        }
        trained += t->kind == FX_TRAINED;
        mi += t->kind == FX_MI;
    }
    /* nothing more than the SPEC's tensors */
    assert_int_equal(fx_count_prefix(&st, "param."), l.n);
    assert_int_equal(fx_count_prefix(&st, "adam.param."), l.n);
    assert_int_equal(fx_count_prefix(&st, "grad."), trained + mi);
    assert_int_equal(fx_count_prefix(&st, "mi_step.param."), mi);

    fx_check_graph(&st, J);
    const size_t E = o.d.ch[2], Z = 2 * o.d.gru;
    fx_shape(&st, "input.x", 4, B, T, J, C);
    fx_shape(&st, "input.stats", 2, B, 2 * C, 0, 0);
    fx_shape(&st, "input.y", 1, B, 0, 0, 0);
    assert_int_equal(safetensors_find(&st, "input.y")->dtype, ST_I64);
    for (int ev = 0; ev < 2; ev++) {
        const char *p = ev ? "eval." : "out.";
        char n[64];
        snprintf(n, sizeof n, "%slogits", p);
        fx_shape(&st, n, 2, B, NC, 0, 0);
        snprintf(n, sizeof n, "%sZ", p);
        fx_shape(&st, n, 2, B, Z, 0, 0);
        snprintf(n, sizeof n, "%ss", p);
        fx_shape(&st, n, 2, B, o.d.signer_dim, 0, 0);
        snprintf(n, sizeof n, "%ssigner_logits", p);
        if (o.signer_head) fx_shape(&st, n, 2, B, o.NS, 0, 0);
        else assert_null(safetensors_find(&st, n));
    }
    fx_shape(&st, "out.H", 3, B, T, E, 0);
    if (o.NS) {
        fx_shape(&st, "input.signer", 1, B, 0, 0, 0);
        assert_int_equal(safetensors_find(&st, "input.signer")->dtype, ST_I64);
    }
    /* the loss terms are there exactly when enabled, and add up to the total */
    double total = fx_scalar(&st, "loss.cls");
    if (o.signer_head) total += o.signer_loss_weight * fx_scalar(&st, "loss.adv");
    else assert_null(safetensors_find(&st, "loss.adv"));
    if (o.use_supcon) total += o.supcon_weight * fx_scalar(&st, "loss.supcon");
    else assert_null(safetensors_find(&st, "loss.supcon"));
    if (o.use_mi) {
        total += o.mi_weight * fx_scalar(&st, "loss.mi");
        assert_true(fx_scalar(&st, "loss.mi_estimator") > 0);
    } else {
        assert_null(safetensors_find(&st, "loss.mi"));
    }
    assert_true(fabs(total - fx_scalar(&st, "loss.total")) < 1e-5);
    if (!strcmp(variant, "a_basic")) { /* weighted cross-entropy of the same logits */
        fx_shape(&st, "extra.class_weight", 1, NC, 0, 0, 0);
        assert_true(fx_scalar(&st, "extra.loss_cls_weighted") > 0);
        for (int i = 0; i < 3; i++) {
            char n[32];
            snprintf(n, sizeof n, "out.layer%d", i);
            fx_shape(&st, n, 4, B, T, J, o.d.ch[i]);
        }
    }
    fx_shape(&st, "adam.losses", 1, 5, 0, 0, 0);
    float losses[5];
    assert_int_equal(safetensors_get_f32(&st, "adam.losses", losses, 5, &err), 0);
    assert_true(fabs((double)losses[0] - fx_scalar(&st, "loss.total")) < 1e-6);
    safetensors_free(&st);
}

static void test_model_fixtures_training(void **state)
{
    (void)state;
    check_training_fixture("a_basic.safetensors", "a_basic");
    check_training_fixture("b_signer.safetensors", "b_signer");
    check_training_fixture("c_film.safetensors", "c_film");
    check_training_fixture("d_supcon.safetensors", "d_supcon");
    check_training_fixture("e_mi.safetensors", "e_mi");
}

/* The full-size forward carries the SPEC §3 widths themselves: 64/128/128, E 128, signer
 * embedding 64 (hidden 128), G 256, Z 512, J 75 (pose + hands). */
static void test_model_fixture_full_size(void **state)
{
    (void)state;
    struct safetensors st;
    struct error err;
    if (safetensors_open(&st, fixture_path("model/f_full_j75.safetensors"), &err) != 0)
        fail_msg("%s", err.msg);
    struct fx_opts o;
    fx_parse_options(&st, &o);
    struct fx_opts spec = {
        .d = {{64, 128, 128}, {1, 2, 3}, 4, 128, 64, 256, 512, 256},
        .J = 75, .C = 2, .NC = 2, .NS = 0, .mi_hidden = 128,
    };
    assert_memory_equal(&o.d, &spec.d, sizeof spec.d);
    assert_true(o.J == 75 && o.C == 2 && o.NC == 2 && !o.film && !o.signer_head && !o.use_mi);
    struct fx_list l;
    fx_expected(&spec, &l);
    for (size_t i = 0; i < l.n; i++) {
        char n[128];
        snprintf(n, sizeof n, "param.%s", l.t[i].name);
        fx_prefixed(&st, "param.", &l.t[i]);
        const struct st_tensor *t = safetensors_find(&st, n);
        assert_int_equal(t->dtype, l.t[i].kind == FX_COUNTER ? ST_I64 : ST_F16);
    }
    assert_int_equal(fx_count_prefix(&st, "param."), l.n);
    fx_shape(&st, "param.attn.q_proj.weight", 2, 128, 192, 0, 0); /* [H ‖ s] → 128 */
    fx_shape(&st, "param.temporal.gru.weight_hh_l0", 2, 768, 256, 0, 0);
    fx_shape(&st, "param.cls_head.net.1.weight", 2, 512, 512, 0, 0);
    fx_check_graph(&st, 75);
    fx_shape(&st, "input.x", 4, 2, 25, 75, 2);
    fx_shape(&st, "input.stats", 2, 2, 4, 0, 0);
    fx_shape(&st, "eval.logits", 2, 2, 2, 0, 0);
    fx_shape(&st, "eval.Z", 2, 2, 512, 0, 0);
    fx_shape(&st, "eval.s", 2, 2, 64, 0, 0);
    fx_shape(&st, "eval.H", 3, 2, 25, 128, 0);
    /* F16 parameters come out as float32 through the same getter */
    float w[192 * 2];
    assert_int_equal(safetensors_get_f32(&st, "param.backbone.layers.0.gc.lin.weight", w,
                                         192 * 2, &err),
                     0);
    for (size_t i = 0; i < 192 * 2; i++) assert_true(fabsf(w[i]) <= 1.0f / sqrtf(2.0f));
    safetensors_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_file),
        cmocka_unit_test(test_python_written_file),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_model_fixtures_training),
        cmocka_unit_test(test_model_fixture_full_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
