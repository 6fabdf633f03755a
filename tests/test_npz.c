/* test_npz.c — the npz/npy reader and writer against files numpy wrote.
 *
 * Fixtures come from tools/make_npz_fixtures.py: every float member of a valid fixture has
 * expect/<file>.<member>.f32 holding numpy's astype('<f4') in C order, and the reader must
 * reproduce it bit for bit (NaN payloads, signed zeros and subnormals included). Broken
 * files must fail with a message naming the file and member. The writer must produce .npy
 * members identical to np.save's, round-trip through the reader, and leave nothing behind
 * when it fails or is aborted. Allocation failure injection walks every allocation of
 * open/read/write (ASan checks that nothing leaks on those paths).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <math.h>
#include <unistd.h>
#include <zip.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/npy.h"
#include "io/npz.h"
#include "testutil.h"

static char *read_bin(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return buf;
}

static char *fixture_dup(const char *rel)
{
    return strdup(fixture_path(rel));
}

#define assert_has(haystack, needle)                                                       \
    do {                                                                                   \
        if (!strstr((haystack), (needle)))                                                 \
            fail_msg("expected '%s' in: %s", (needle), (haystack));                        \
    } while (0)

/* Reads member `i` and compares it with numpy's float32 values, bit for bit. */
static void check_member_against_numpy(struct npz *z, const char *stem, size_t i)
{
    const struct npz_member *m = &z->members[i];
    char rel[512];
    snprintf(rel, sizeof rel, "npz/expect/%s.%s.f32", stem, m->name);
    size_t len = 0;
    char *want = read_bin(fixture_path(rel), &len);
    if (!want) fail_msg("no expected values %s", rel);
    assert_int_equal(len, m->count * sizeof(float));
    float *got = malloc(m->count ? m->count * sizeof(float) : 1);
    struct error err;
    if (npz_read_f32(z, i, got, m->count, &err) != 0) fail_msg("%s", err.msg);
    for (size_t k = 0; k < m->count; k++) {
        uint32_t a, b;
        memcpy(&a, (char *)got + 4 * k, 4);
        memcpy(&b, want + 4 * k, 4);
        if (a != b)
            fail_msg("%s member %s element %zu: got %08x want %08x", stem, m->name, k,
                     (unsigned)a, (unsigned)b);
    }
    free(got);
    free(want);
}

/* Counts expect files of a fixture (to prove every one was compared). */
static size_t count_expect_files(const char *stem)
{
    DIR *d = opendir(fixture_path("npz/expect"));
    assert_non_null(d);
    size_t n = 0, sl = strlen(stem);
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, stem, sl) && e->d_name[sl] == '.') n++;
    closedir(d);
    return n;
}

static void check_fixture(const char *stem, size_t n_members)
{
    char rel[256];
    snprintf(rel, sizeof rel, "npz/%s.npz", stem);
    struct npz z;
    struct error err;
    if (npz_open(&z, fixture_path(rel), &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(z.n_members, n_members);
    size_t compared = 0;
    for (size_t i = 0; i < z.n_members; i++) {
        if (!z.members[i].ok) fail_msg("%s: %s: %s", stem, z.members[i].name, z.members[i].reason);
        check_member_against_numpy(&z, stem, i);
        compared++;
    }
    assert_int_equal(compared, count_expect_files(stem));
    npz_close(&z);
}

static void test_valid_fixtures_match_numpy(void **state)
{
    (void)state;
    check_fixture("savez_f32", 2);
    check_fixture("savez_compressed_mixed", 5);
    check_fixture("fortran", 4);
    check_fixture("bigendian", 4);
    check_fixture("versions", 3);
    check_fixture("zip64_stored", 2);
    check_fixture("zip64_deflated", 2);
    check_fixture("special", 5);
    check_fixture("header_spellings", 5);
}

static void test_member_metadata(void **state)
{
    (void)state;
    struct npz z;
    struct error err;
    assert_int_equal(npz_open(&z, fixture_path("npz/versions.npz"), &err), 0);
    assert_int_equal(z.members[npz_find(&z, "v1")].version_major, 1);
    assert_int_equal(z.members[npz_find(&z, "v2")].version_major, 2);
    assert_int_equal(z.members[npz_find(&z, "v3")].version_major, 3);
    assert_string_equal(z.members[npz_find(&z, "v3")].descr, "<f2");
    assert_int_equal(npz_find(&z, "v4"), -1);
    npz_close(&z);

    assert_int_equal(npz_open(&z, fixture_path("npz/savez_compressed_mixed.npz"), &err), 0);
    const struct npz_member *s = &z.members[npz_find(&z, "scalar")];
    assert_int_equal(s->ndim, 0);
    assert_int_equal(s->count, 1);
    const struct npz_member *v = &z.members[npz_find(&z, "vector")];
    assert_int_equal(v->ndim, 1);
    assert_int_equal(v->shape[0], 7);
    const struct npz_member *e = &z.members[npz_find(&z, "empty")];
    assert_int_equal(e->ndim, 2);
    assert_int_equal(e->count, 0);
    assert_string_equal(z.members[npz_find(&z, "double")].descr, "<f8");
    npz_close(&z);

    assert_int_equal(npz_open(&z, fixture_path("npz/fortran.npz"), &err), 0);
    assert_true(z.members[npz_find(&z, "f32")].fortran_order);
    assert_int_equal(z.members[npz_find(&z, "f4d")].ndim, 4);
    npz_close(&z);
    assert_int_equal(npz_open(&z, fixture_path("npz/bigendian.npz"), &err), 0);
    assert_string_equal(z.members[npz_find(&z, "be64")].descr, ">f8");
    npz_close(&z);
}

static void test_half_conversion(void **state)
{
    (void)state;
    assert_true(npy_half_to_float(0x0001) == 0x1p-24f);
    assert_true(npy_half_to_float(0x03ff) == 0x3ffp-24f);
    assert_true(npy_half_to_float(0x7bff) == 65504.0f);
    assert_true(npy_half_to_float(0xc000) == -2.0f);
    float nz = npy_half_to_float(0x8000);
    assert_true(nz == 0.0f && signbit(nz));
    /* Every finite half against the definition: (-1)^s * man * 2^-24 for subnormals,
     * (-1)^s * (1024 + man) * 2^(exp - 25) otherwise. */
    for (uint32_t h = 0; h < 0x10000; h++) {
        uint32_t exp = (h >> 10) & 31, man = h & 1023;
        float got = npy_half_to_float((uint16_t)h);
        if (exp == 31) {
            assert_true(man ? isnan(got) : isinf(got));
            continue;
        }
        double want = exp ? ldexp(1024.0 + man, (int)exp - 25) : ldexp((double)man, -24);
        if (h & 0x8000) want = -want;
        if ((double)got != want || (signbit(got) != 0) != (h >> 15 != 0))
            fail_msg("half %04x: got %a want %a", (unsigned)h, (double)got, want);
    }
}

/* Reads member `name` and expects failure with every needle in the message. */
static void expect_read_error(struct npz *z, const char *name, const char *needle)
{
    int i = npz_find(z, name);
    if (i < 0) fail_msg("member %s not listed", name);
    assert_false(z->members[i].ok);
    float buf[64];
    struct error err;
    assert_int_equal(npz_read_f32(z, (size_t)i, buf, z->members[i].count, &err), -1);
    char member[128];
    snprintf(member, sizeof member, "member '%s.npy'", name);
    assert_has(err.msg, member);
    assert_has(err.msg, z->path);
    assert_has(err.msg, needle);
    assert_has(z->members[i].reason, needle);
}

static void test_unsupported_dtypes_listed(void **state)
{
    (void)state;
    struct npz z;
    struct error err;
    char *path = fixture_dup("npz/unsupported_dtypes.npz");
    assert_int_equal(npz_open(&z, path, &err), 0);
    assert_int_equal(z.n_members, 5); /* notes.txt is not an array and is not listed */
    assert_int_equal(npz_find(&z, "notes.txt"), -1);
    int pose = npz_find(&z, "pose");
    assert_true(z.members[pose].ok);
    check_member_against_numpy(&z, "unsupported_dtypes", (size_t)pose);
    expect_read_error(&z, "cplx", "has dtype '<c8' (expected float16/32/64)");
    expect_read_error(&z, "labels", "has dtype '<i8' (expected float16/32/64)");
    expect_read_error(&z, "record", "structured dtype");
    expect_read_error(&z, "obj", "object array");
    assert_has(z.path, "unsupported_dtypes.npz");
    npz_close(&z);
    free(path);
}

static void test_bad_headers(void **state)
{
    (void)state;
    struct npz z;
    struct error err;
    char *path = fixture_dup("npz/bad_headers.npz");
    assert_int_equal(npz_open(&z, path, &err), 0);
    expect_read_error(&z, "garbage", "malformed header");
    expect_read_error(&z, "badmagic", "not an .npy array");
    expect_read_error(&z, "badversion", "version 4.0 (expected 1.0, 2.0 or 3.0)");
    expect_read_error(&z, "short", "truncated");
    expect_read_error(&z, "short_data", "is truncated: shape (3,) of '<f4' needs 12 data bytes, "
                                        "the member holds 10");
    expect_read_error(&z, "long_data", "size mismatch");
    expect_read_error(&z, "huge_header", "header of 70000 bytes");
    expect_read_error(&z, "huge_shape", "overflows");
    expect_read_error(&z, "bad_shape", "not a tuple");
    expect_read_error(&z, "missing_key", "lacks");
    check_member_against_numpy(&z, "bad_headers", (size_t)npz_find(&z, "ok"));
    npz_close(&z);
    free(path);
}

static void expect_open_error(const char *path, const char *needle)
{
    struct npz z;
    struct error err;
    assert_int_equal(npz_open(&z, path, &err), -1);
    assert_has(err.msg, "npz_open: ");
    assert_has(err.msg, path);
    assert_has(err.msg, needle);
    assert_null(strchr(err.msg, '\n')); /* one line */
}

static void test_bad_archives(void **state)
{
    (void)state;
    char *p = fixture_dup("npz/truncated_data.npz");
    expect_open_error(p, "truncated or damaged zip archive (600 bytes");
    free(p);
    p = fixture_dup("npz/truncated_cd.npz");
    expect_open_error(p, "truncated or damaged zip archive");
    free(p);
    p = fixture_dup("npz/text_only.npz");
    expect_open_error(p, "not an npz: the zip archive holds 1 member and no .npy array");
    free(p);
    p = fixture_dup("npz/not_a_zip.npz");
    expect_open_error(p, "not a zip archive (expected an .npz");
    free(p);
    p = fixture_dup("npz/no_such_file.npz");
    expect_open_error(p, "No such file");
    free(p);
    char *dir = tmpdir_make();
    p = path_join(dir, "empty.npz");
    write_text_file(p, "");
    expect_open_error(p, "empty file");
    free(p);
    expect_open_error(dir, "not a regular file");
    tmpdir_remove(dir);
    free(dir);
}

static void test_crc_mismatch_is_read_error(void **state)
{
    (void)state;
    struct npz z;
    struct error err;
    char *path = fixture_dup("npz/crc_mismatch.npz");
    assert_int_equal(npz_open(&z, path, &err), 0);
    int i = npz_find(&z, "pose");
    assert_true(z.members[i].ok); /* the header is intact; the damage is in the data */
    float *buf = malloc(z.members[i].count * sizeof(float));
    assert_int_equal(npz_read_f32(&z, (size_t)i, buf, z.members[i].count, &err), -1);
    assert_has(err.msg, path);
    assert_has(err.msg, "member 'pose.npy' is corrupt (CRC error)");
    free(buf);
    int j = npz_find(&z, "left_hand"); /* the other member is whole */
    buf = malloc(z.members[j].count * sizeof(float));
    assert_int_equal(npz_read_f32(&z, (size_t)j, buf, z.members[j].count, &err), 0);
    free(buf);
    npz_close(&z);
    free(path);
}

/* The zip is whole and its sizes agree with the .npy header, but the deflated stream
 * ends early: found while streaming, reported as a truncated member. */
static void test_short_stream_is_truncated_member(void **state)
{
    (void)state;
    struct npz z;
    struct error err;
    char *path = fixture_dup("npz/short_stream.npz");
    assert_int_equal(npz_open(&z, path, &err), 0);
    assert_true(z.members[0].ok);
    assert_int_equal(z.members[0].count, 64);
    float buf[64];
    assert_int_equal(npz_read_f32(&z, 0, buf, 64, &err), -1);
    assert_has(err.msg, path);
    assert_has(err.msg, "member 'pose.npy' is truncated: its data ends after 156 of 256 bytes");
    npz_close(&z);
    free(path);
}

static void test_read_count_and_index_checked(void **state)
{
    (void)state;
    struct npz z;
    struct error err;
    assert_int_equal(npz_open(&z, fixture_path("npz/savez_f32.npz"), &err), 0);
    float buf[64];
    int i = npz_find(&z, "pose");
    assert_int_equal(npz_read_f32(&z, (size_t)i, buf, 7, &err), -1);
    assert_has(err.msg, "member 'pose.npy' has 30 elements (the caller expected 7)");
    assert_int_equal(npz_read_f32(&z, 99, buf, 7, &err), -1);
    assert_has(err.msg, "no member 99");
    npz_close(&z);
}

/* npz_open_buffer sees the same archive as npz_open, and every prefix of a file (a cut at
 * each byte) fails cleanly or opens, never crashes. */
static void test_open_buffer_and_every_truncation(void **state)
{
    (void)state;
    size_t len;
    char *data = read_bin(fixture_path("npz/savez_compressed_mixed.npz"), &len);
    assert_non_null(data);
    struct npz z;
    struct error err;
    assert_int_equal(npz_open_buffer(&z, data, len, "mem.npz", &err), 0);
    assert_int_equal(z.n_members, 5);
    check_member_against_numpy(&z, "savez_compressed_mixed", (size_t)npz_find(&z, "double"));
    check_member_against_numpy(&z, "savez_compressed_mixed", (size_t)npz_find(&z, "half"));
    npz_close(&z);
    size_t opened = 0;
    for (size_t cut = 0; cut < len; cut++) {
        if (npz_open_buffer(&z, data, cut, "cut.npz", &err) != 0) {
            assert_has(err.msg, "'cut.npz'");
            continue;
        }
        opened++;
        for (size_t i = 0; i < z.n_members; i++) {
            if (!z.members[i].ok) continue;
            float *buf = malloc(z.members[i].count * sizeof(float) + 1);
            npz_read_f32(&z, i, buf, z.members[i].count, &err);
            free(buf);
        }
        npz_close(&z);
    }
    assert_true(opened < len); /* cutting must not go unnoticed */
    free(data);
}

/* ---- writer ---------------------------------------------------------------------------- */

static void roundtrip(bool compress)
{
    char *dir = tmpdir_make();
    char *path = path_join(dir, "out.npz");
    struct npz_writer w;
    struct error err;
    float a[24], scalar = -0.0f, vec[5] = {1, 2, 3, 0x1p-140f, -1e30f};
    for (int i = 0; i < 24; i++) a[i] = (float)i * 0.25f - 3.0f;
    double dbl[3] = {0.1, -1e300, 1.0 + 0x1p-24};
    size_t sh_a[3] = {2, 3, 4}, sh_v[1] = {5}, sh_e[2] = {0, 7}, sh_d[1] = {3};
    assert_int_equal(npz_writer_open(&w, path, compress, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "pose", 3, sh_a, a, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "scalar", 0, NULL, &scalar, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "vec", 1, sh_v, vec, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "empty", 2, sh_e, a, &err), 0);
    assert_int_equal(npz_writer_add_raw(&w, "dbl", "<f8", false, 1, sh_d, dbl, sizeof dbl, &err),
                     0);
    int64_t ids[3] = {1, 2, 3};
    assert_int_equal(npz_writer_add_raw(&w, "ids", "<i8", false, 1, sh_d, ids, sizeof ids, &err),
                     0);
    assert_int_equal(npz_writer_close(&w, &err), 0);

    struct npz z;
    if (npz_open(&z, path, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(z.n_members, 6);
    float got[24];
    int i = npz_find(&z, "pose");
    assert_int_equal(z.members[i].ndim, 3);
    assert_int_equal(z.members[i].shape[2], 4);
    assert_int_equal(npz_read_f32(&z, (size_t)i, got, 24, &err), 0);
    assert_memory_equal(got, a, sizeof a);
    i = npz_find(&z, "scalar");
    assert_int_equal(z.members[i].ndim, 0);
    assert_int_equal(npz_read_f32(&z, (size_t)i, got, 1, &err), 0);
    assert_memory_equal(got, &scalar, sizeof scalar);
    i = npz_find(&z, "vec");
    assert_int_equal(npz_read_f32(&z, (size_t)i, got, 5, &err), 0);
    assert_memory_equal(got, vec, sizeof vec);
    i = npz_find(&z, "empty");
    assert_int_equal(z.members[i].count, 0);
    assert_int_equal(npz_read_f32(&z, (size_t)i, got, 0, &err), 0);
    i = npz_find(&z, "dbl");
    assert_int_equal(npz_read_f32(&z, (size_t)i, got, 3, &err), 0);
    for (int k = 0; k < 3; k++) assert_true(got[k] == (float)dbl[k]);
    i = npz_find(&z, "ids");
    assert_false(z.members[i].ok);
    assert_has(z.members[i].reason, "'<i8'");
    /* The members really are stored or deflated as asked. */
    zip_stat_t st;
    assert_int_equal(zip_stat(z.zip, "pose.npy", 0, &st), 0);
    assert_int_equal(st.comp_method, compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE);
    npz_close(&z);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

static void test_writer_roundtrip_stored(void **state)
{
    (void)state;
    roundtrip(false);
}

static void test_writer_roundtrip_compressed(void **state)
{
    (void)state;
    roundtrip(true);
}

/* Members larger than one read chunk (8192 elements): Fortran-order float64 and
 * big-endian float16 written raw, read back against the expected C-order values. */
static void test_large_fortran_and_big_endian_members(void **state)
{
    (void)state;
    enum { D0 = 101, D1 = 37, D2 = 3, N = D0 * D1 * D2 };
    double *f64 = malloc(N * sizeof(double));
    unsigned char *f16be = malloc(N * 2);
    float *want = malloc(N * sizeof(float)), *got = malloc(N * sizeof(float));
    for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
            for (size_t k = 0; k < D2; k++) {
                double v = (double)i * 1000.0 + (double)j + (double)k / 8.0;
                f64[i + D0 * (j + D1 * k)] = v; /* Fortran: first index fastest */
                want[(i * D1 + j) * D2 + k] = (float)v;
            }
    for (size_t i = 0; i < N; i++) { /* half bits i mod 0x7c00: finite, all exponents */
        uint16_t h = (uint16_t)(i % 0x7c00);
        f16be[2 * i] = (unsigned char)(h >> 8);
        f16be[2 * i + 1] = (unsigned char)(h & 0xff);
    }
    char *dir = tmpdir_make();
    char *path = path_join(dir, "big.npz");
    size_t shape[3] = {D0, D1, D2}, flat[1] = {N};
    struct npz_writer w;
    struct error err;
    assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
    assert_int_equal(npz_writer_add_raw(&w, "f64", "<f8", true, 3, shape, f64, N * 8, &err), 0);
    assert_int_equal(npz_writer_add_raw(&w, "f16", ">f2", false, 1, flat, f16be, N * 2, &err), 0);
    assert_int_equal(npz_writer_close(&w, &err), 0);
    struct npz z;
    assert_int_equal(npz_open(&z, path, &err), 0);
    assert_int_equal(npz_read_f32(&z, (size_t)npz_find(&z, "f64"), got, N, &err), 0);
    assert_memory_equal(got, want, N * sizeof(float));
    assert_int_equal(npz_read_f32(&z, (size_t)npz_find(&z, "f16"), got, N, &err), 0);
    for (size_t i = 0; i < N; i++)
        assert_true(got[i] == npy_half_to_float((uint16_t)(i % 0x7c00)));
    npz_close(&z);
    free(f64);
    free(f16be);
    free(want);
    free(got);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

/* The writer's members are byte-identical to np.save's output. */
static void test_writer_matches_np_save(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "cmp.npz");
    float a[6], v[5], s = -2.5f;
    for (int i = 0; i < 6; i++) a[i] = (float)i * 0.5f - 1.0f;
    for (int i = 0; i < 5; i++) v[i] = (float)i / 3.0f;
    size_t sh_a[2] = {2, 3}, sh_v[1] = {5}, sh_e[2] = {0, 4};
    struct npz_writer w;
    struct error err;
    assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "2x3", 2, sh_a, a, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "scalar", 0, NULL, &s, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "vec5", 1, sh_v, v, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "empty0x4", 2, sh_e, a, &err), 0);
    assert_int_equal(npz_writer_close(&w, &err), 0);
    int zerr = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
    assert_non_null(za);
    const char *names[] = {"2x3", "scalar", "vec5", "empty0x4"};
    for (int k = 0; k < 4; k++) {
        char rel[128], mname[64];
        snprintf(rel, sizeof rel, "npz/expect/np_save_%s.npy", names[k]);
        snprintf(mname, sizeof mname, "%s.npy", names[k]);
        size_t want_len;
        char *want = read_bin(fixture_path(rel), &want_len);
        assert_non_null(want);
        zip_file_t *zf = zip_fopen(za, mname, 0);
        assert_non_null(zf);
        char got[512];
        zip_int64_t n = zip_fread(zf, got, sizeof got);
        zip_fclose(zf);
        assert_int_equal(n, want_len);
        assert_memory_equal(got, want, want_len);
        free(want);
    }
    zip_discard(za);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

/* The same arrays give the same bytes (fixed timestamps), so outputs can be compared. */
static void test_writer_is_deterministic(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    float a[6] = {1, 2, 3, 4, 5, 6};
    size_t sh[2] = {3, 2};
    char *bytes[2];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        char *path = path_join(dir, k ? "b.npz" : "a.npz");
        struct npz_writer w;
        struct error err;
        assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
        assert_int_equal(npz_writer_add_f32(&w, "x", 2, sh, a, &err), 0);
        assert_int_equal(npz_writer_close(&w, &err), 0);
        bytes[k] = read_bin(path, &len[k]);
        free(path);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(bytes[0], bytes[1], len[0]);
    free(bytes[0]);
    free(bytes[1]);
    tmpdir_remove(dir);
    free(dir);
}

static size_t count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_writer_abort_and_failures_leave_nothing(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "out.npz");
    float a[4] = {1, 2, 3, 4};
    size_t sh[1] = {4};
    struct npz_writer w;
    struct error err;
    /* Aborted: no file at all. */
    assert_int_equal(npz_writer_open(&w, path, false, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "a", 1, sh, a, &err), 0);
    npz_writer_abort(&w);
    assert_int_equal(count_dir_entries(dir), 0);

    /* An existing file survives a failed write untouched. */
    write_text_file(path, "old");
    assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "a", 1, sh, a, &err), 0);
    assert_int_equal(npz_writer_add_f32(&w, "a", 1, sh, a, &err), -1); /* duplicate */
    assert_has(err.msg, "member 'a.npy'");
    assert_int_equal(npz_writer_add_f32(&w, "b", 1, sh, a, &err), -1); /* poisoned */
    assert_has(err.msg, "an earlier add failed");
    assert_int_equal(npz_writer_close(&w, &err), -1);
    assert_has(err.msg, path);
    char *txt = read_text_file(path, NULL);
    assert_string_equal(txt, "old");
    free(txt);
    assert_int_equal(count_dir_entries(dir), 1);

    /* Bad arguments. */
    assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
    assert_int_equal(npz_writer_add_raw(&w, "x", "<f4", false, 1, sh, a, 12, &err), -1);
    assert_has(err.msg, "12 bytes given, the shape needs 4 x 4");
    npz_writer_abort(&w);
    assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
    assert_int_equal(npz_writer_add_raw(&w, "x", "<f'4", false, 1, sh, a, 16, &err), -1);
    assert_has(err.msg, "unsupported descr");
    npz_writer_abort(&w);
    assert_int_equal(count_dir_entries(dir), 1);

    /* A folder that does not exist fails at open, naming the path. */
    char *bad = path_join(dir, "missing/out.npz");
    assert_int_equal(npz_writer_open(&w, bad, true, &err), -1);
    assert_has(err.msg, bad);
    free(bad);

    /* No members: an empty zip, which the reader refuses as "not an npz". */
    assert_int_equal(npz_writer_open(&w, path, true, &err), 0);
    assert_int_equal(npz_writer_close(&w, &err), 0);
    size_t len;
    char *bytes = read_bin(path, &len);
    assert_int_equal(len, 22);
    free(bytes);
    struct npz z;
    assert_int_equal(npz_open(&z, path, &err), -1);
    assert_has(err.msg, "not an npz");
    assert_int_equal(count_dir_entries(dir), 1);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

/* Fails the n-th allocation for n = 0, 1, ... until open + read of every member succeeds
 * without an injected failure; each failed run must return -1 (ASan: and free everything). */
static void test_alloc_failures_open_read(void **state)
{
    (void)state;
    const char *files[] = {"npz/fortran.npz", "npz/unsupported_dtypes.npz"};
    for (size_t f = 0; f < 2; f++) {
        char *path = fixture_dup(files[f]);
        size_t len;
        char *data = read_bin(path, &len);
        for (int use_buffer = 0; use_buffer < 2; use_buffer++) {
            long n = 0;
            for (;; n++) {
                struct npz z;
                struct error err;
                alloc_fail_after(n);
                int rc = use_buffer ? npz_open_buffer(&z, data, len, path, &err)
                                    : npz_open(&z, path, &err);
                bool all_ok = rc == 0;
                if (rc == 0) {
                    for (size_t i = 0; i < z.n_members; i++) {
                        if (!z.members[i].ok) continue;
                        float *buf = malloc(z.members[i].count * sizeof(float) + 1);
                        if (npz_read_f32(&z, i, buf, z.members[i].count, &err) != 0) {
                            assert_has(err.msg, "cannot allocate");
                            all_ok = false;
                        }
                        free(buf);
                    }
                    npz_close(&z);
                } else {
                    assert_has(err.msg, "cannot allocate");
                }
                alloc_fail_after(-1);
                if (all_ok) break;
                assert_true(n < 1000);
            }
            assert_true(n > 3); /* the walk did hit allocations */
        }
        free(data);
        free(path);
    }
}

static void test_alloc_failures_writer(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "w.npz");
    float a[6] = {1, 2, 3, 4, 5, 6};
    size_t sh[2] = {2, 3};
    long n = 0;
    for (;; n++) {
        struct npz_writer w;
        struct error err;
        alloc_fail_after(n);
        int rc = npz_writer_open(&w, path, true, &err);
        if (rc == 0) rc = npz_writer_add_f32(&w, "a", 2, sh, a, &err);
        if (rc == 0) rc = npz_writer_add_f32(&w, "b", 2, sh, a, &err);
        if (rc == 0) {
            rc = npz_writer_close(&w, &err);
        } else {
            assert_has(err.msg, "cannot allocate");
            npz_writer_abort(&w);
        }
        alloc_fail_after(-1);
        if (rc == 0) break;
        /* No temporary is left; the target exists only if the failure came after the rename
         * (syncing the folder). */
        assert_int_equal(count_dir_entries(dir), access(path, F_OK) == 0 ? 1 : 0);
        assert_true(n < 100);
    }
    assert_true(n >= 4);
    assert_int_equal(count_dir_entries(dir), 1);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_fixtures_match_numpy),
        cmocka_unit_test(test_member_metadata),
        cmocka_unit_test(test_half_conversion),
        cmocka_unit_test(test_unsupported_dtypes_listed),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_archives),
        cmocka_unit_test(test_crc_mismatch_is_read_error),
        cmocka_unit_test(test_short_stream_is_truncated_member),
        cmocka_unit_test(test_read_count_and_index_checked),
        cmocka_unit_test(test_open_buffer_and_every_truncation),
        cmocka_unit_test(test_writer_roundtrip_stored),
        cmocka_unit_test(test_writer_roundtrip_compressed),
        cmocka_unit_test(test_large_fortran_and_big_endian_members),
        cmocka_unit_test(test_writer_matches_np_save),
        cmocka_unit_test(test_writer_is_deterministic),
        cmocka_unit_test(test_writer_abort_and_failures_leave_nothing),
        cmocka_unit_test(test_alloc_failures_open_read),
        cmocka_unit_test(test_alloc_failures_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
