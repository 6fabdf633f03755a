/* test_safetensors.c — the safetensors reader and writer: round trip through a file, files
 * written by tools/safetensors_io.py (every dtype the reader converts), hostile files that must
 * fail with a message naming the problem, allocation failures, and the model fixtures of
 * tools/make_model_fixtures.py (names and shapes of SPEC §3). */
#include <math.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_file),
        cmocka_unit_test(test_python_written_file),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
