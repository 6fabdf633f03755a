/* test_thread_gov.c — the training thread governor (train/thread_gov.h) against a simulated
 * machine whose speed at N threads and at one thread, and the share of their time N threads
 * ran (1 alone, 0.75 with a core shared), the test sets phase by phase, with a few per cent
 * of deterministic noise:
 *  - quiet (N threads twice as fast): it never probes and stays at N;
 *  - then a busy core (N threads at 0.78× one thread, as measured): it switches to one thread
 *    within a couple of dozen steps and runs at least 90% of the phase there;
 *  - then quiet again: it returns to N threads and stays;
 *  - a busy core from the first step (no faster past to compare with): the running share
 *    alone finds it;
 *  - slower but N still faster than one: its probes thin out, under 6% of the steps at one;
 *  - a maximum of one thread, or --fixed-threads (the trainer passes 1): never changes. */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "train/thread_gov.h"
#include "testutil.h"

struct sim {
    struct thread_gov g;
    uint64_t noise;
};

/* ±3% of multiplicative noise from a fixed linear congruential sequence */
static double jitter(struct sim *s)
{
    s->noise = s->noise * 6364136223846793005ull + 1442695040888963407ull;
    return 1.0 + 0.06 * ((double)(s->noise >> 11) / 9007199254740992.0 - 0.5);
}

/* Runs `steps` steps of 32 windows at rate_max windows/s at g.max threads (running `util` of
 * their time) and rate_one at one thread; returns how many of them ran at one thread. */
static size_t run_u(struct sim *s, size_t steps, double rate_max, double rate_one, double util)
{
    size_t at_one = 0;
    for (size_t i = 0; i < steps; i++) {
        thread_gov_begin(&s->g);
        assert_int_equal(omp_get_max_threads(), s->g.cur);
        const double rate = (s->g.cur == 1 ? rate_one : rate_max) * jitter(s);
        at_one += s->g.cur == 1;
        const double wall = 32.0 / rate;
        thread_gov_end(&s->g, wall, wall * (s->g.cur == 1 ? 1.0 : util * s->g.cur), 32.0);
    }
    return at_one;
}

/* quiet when N threads are at least 1.5× one, else a core shared */
static size_t run(struct sim *s, size_t steps, double rate_max, double rate_one)
{
    return run_u(s, steps, rate_max, rate_one, rate_max >= 1.5 * rate_one ? 0.97 : 0.75);
}

static void test_phases(void **state)
{
    (void)state;
    struct sim s = {.noise = 1};
    thread_gov_init(&s.g, 2);
    /* quiet: never a probe */
    assert_int_equal(run(&s, 300, 61.0, 33.0), 0);
    assert_int_equal(s.g.probes, 0);
    assert_int_equal(s.g.cur, 2);
    /* a busy core: one thread wins */
    size_t first = 0;
    for (size_t i = 0; i < 40 && !first; i++)
        if (run(&s, 1, 25.8, 33.0)) first = i + 1;
    assert_true(first > 0 && first <= 25);
    const size_t busy = 400, at_one = run(&s, busy, 25.8, 33.0);
    assert_true(at_one >= busy * 9 / 10);
    assert_true(s.g.cur == 1 || s.g.probing); /* at one, or trying N again */
    /* quiet again: back to two threads for good */
    run(&s, 300, 61.0, 33.0);
    assert_int_equal(s.g.cur, 2);
    const size_t probes = s.g.probes;
    assert_int_equal(run(&s, 300, 61.0, 33.0), 0);
    assert_int_equal(s.g.probes, probes);
}

static void test_busy_from_the_start(void **state)
{
    (void)state;
    struct sim s = {.noise = 5};
    thread_gov_init(&s.g, 2);
    const size_t at_one = run(&s, 300, 25.8, 33.0);
    assert_true(at_one >= 270);
    assert_true(s.g.switches >= 1);
}

static void test_slower_but_still_faster(void **state)
{
    (void)state;
    struct sim s = {.noise = 7};
    thread_gov_init(&s.g, 2);
    run(&s, 50, 61.0, 33.0);
    /* both slower, two threads still ahead: probes happen, but rarely and briefly */
    const size_t steps = 1000, at_one = run_u(&s, steps, 40.0, 30.0, 0.75);
    assert_true(s.g.probes >= 1);
    assert_true(at_one < steps * 6 / 100);
    assert_int_equal(s.g.switches, 0);
    assert_int_equal(s.g.cur, 2);
}

static void test_idle(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    struct sim s = {.noise = 3};
    thread_gov_init(&s.g, 1);
    for (int i = 0; i < 200; i++) {
        thread_gov_begin(&s.g);
        assert_int_equal(omp_get_max_threads(), 2); /* not touched */
        thread_gov_end(&s.g, i % 2 ? 1.0 : 0.1, 0.05, 32.0);
    }
    assert_int_equal(s.g.probes, 0);
    assert_int_equal(s.g.steps, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_busy_from_the_start),
        cmocka_unit_test(test_slower_but_still_faster),
        cmocka_unit_test(test_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
