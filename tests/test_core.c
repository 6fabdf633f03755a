/* test_core.c — the core helpers: generator, errors, overflow-checked allocation,
 * atomic files, and the CLI's exit codes for usage errors. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rng.h"
#include "testutil.h"

static void test_rng_deterministic(void **state)
{
    (void)state;
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) assert_int_equal(rng_u64(&a), rng_u64(&b));
    rng_seed(&b, 43);
    assert_true(rng_u64(&a) != rng_u64(&b));
}

static void test_rng_ranges(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 7);
    size_t hist[5] = {0};
    double sum = 0;
    for (int i = 0; i < 50000; i++) {
        uint64_t k = rng_below(&r, 5);
        assert_true(k < 5);
        hist[k]++;
        double u = rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += rng_normal(&r);
    }
    for (int k = 0; k < 5; k++) assert_in_range(hist[k], 9500, 10500);
    assert_true(sum / 50000 > -0.05 && sum / 50000 < 0.05);
}

static void test_rng_shuffle_is_permutation(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 1);
    int v[100];
    for (int i = 0; i < 100; i++) v[i] = i;
    rng_shuffle(&r, v, 100, sizeof v[0]);
    int seen[100] = {0}, moved = 0;
    for (int i = 0; i < 100; i++) {
        seen[v[i]]++;
        moved += v[i] != i;
    }
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 50);
}

static void test_error_format(void **state)
{
    (void)state;
    struct error err;
    assert_int_equal(error_set(&err, "npz_open: '%s': bad", "x.npz"), -1);
    error_hint(&err, "try %d", 3);
    error_prefix(&err, "load");
    assert_string_equal(err.msg, "load: npz_open: 'x.npz': bad\nhint: try 3");
}

static void test_alloc_overflow_and_injection(void **state)
{
    (void)state;
    struct error err;
    assert_null(sg_malloc(SIZE_MAX / 2, 4, "huge", &err));
    assert_non_null(strstr(err.msg, "huge"));
    alloc_fail_after(1);
    void *p = sg_malloc(4, 4, "first", &err);
    assert_non_null(p);
    assert_null(sg_calloc(4, 4, "second", &err));
    alloc_fail_after(-1);
    void *q = sg_aligned_calloc(3, 7, "aligned", &err);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 64, 0);
    sg_free(p);
    sg_free(q);
}

static void test_atomic_file(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "out.txt");
    struct error err;
    write_text_file(path, "old");
    struct atomic_file af;
    assert_int_equal(atomic_file_open(&af, path, &err), 0);
    fputs("new", af.fp);
    atomic_file_abort(&af); /* an aborted write leaves the old file whole */
    char *txt = read_text_file(path, NULL);
    assert_string_equal(txt, "old");
    free(txt);
    assert_int_equal(atomic_file_write_all(path, "new", 3, &err), 0);
    txt = read_text_file(path, NULL);
    assert_string_equal(txt, "new");
    free(txt);
    char *bad = path_join(dir, "missing/sub/out.txt");
    assert_int_equal(atomic_file_write_all(bad, "x", 1, &err), -1);
    assert_non_null(strstr(err.msg, "missing/sub/out.txt"));
    free(bad);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

static void test_cli_usage_exit_codes(void **state)
{
    (void)state;
    struct cli_result r = run_cli("no-such-command", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "unknown command"));
    cli_result_free(&r);
    r = run_cli("--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "commands:"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_rng_ranges),
        cmocka_unit_test(test_rng_shuffle_is_permutation),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_alloc_overflow_and_injection),
        cmocka_unit_test(test_atomic_file),
        cmocka_unit_test(test_cli_usage_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
