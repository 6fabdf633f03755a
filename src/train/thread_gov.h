/* thread_gov.h — training's thread count chosen step by step from measured speed.
 *
 * No result depends on the thread count (every kernel's work is cut by the shapes alone), so
 * the count is a pure speed choice, and the best one changes with what else the machine runs.
 * On a quiet machine all N threads win. With another process busy on one of the cores, every
 * parallel region's join waits for the thread that shares that core, and one thread on the
 * free core is faster than N.
 *
 * The governor runs at N threads and keeps the best speed (median of the last few steps) it
 * has seen there, and how much of the N threads' time the process actually ran (CPU seconds
 * over N × wall seconds: near 1 alone, 0.75 when one of two threads shares its core). When
 * the speed falls well below that best, or the threads ran much less than they were given,
 * it tries one thread for a few steps and keeps whichever count was faster; at one thread it
 * tries N again now and then.
 * Each probe that does not switch doubles the wait before the next one, so a lasting state
 * costs little. A quiet machine never probes. The trainer calls thread_gov_begin before a step
 * and thread_gov_end after it with the step's wall and process CPU seconds and its windows.
 */
#ifndef SG_TRAIN_THREAD_GOV_H
#define SG_TRAIN_THREAD_GOV_H

#include <stdbool.h>
#include <stddef.h>

enum { THREAD_GOV_WIN = 5, THREAD_GOV_PROBE = 3 };

struct thread_gov {
    int max, cur;                       /* the configured count; the count in use */
    bool probing;
    double best_max;                    /* best median windows/s seen at max threads */
    double recent[THREAD_GOV_WIN];      /* the last steps' windows/s at cur (ring) */
    double util[THREAD_GOV_WIN];        /* and their CPU / (cur × wall) */
    size_t nrecent;
    double probe[THREAD_GOV_PROBE];     /* the probe's steps */
    double probe_util[THREAD_GOV_PROBE];
    size_t nprobe;
    double ref;                         /* the median before the probe */
    size_t since, wait;                 /* steps since the last probe; steps before the next */
    size_t probes, switches, steps_at_one, steps; /* for the run's summary */
};

/* max_threads <= 1 leaves the governor idle (it never changes the count). */
void thread_gov_init(struct thread_gov *g, int max_threads);
/* Sets OpenMP's thread count for the next step. */
void thread_gov_begin(struct thread_gov *g);
/* The step just run took `seconds` of wall-clock time and `cpu_seconds` of the process's CPU
 * time (CLOCK_PROCESS_CPUTIME_ID) for `windows` windows. */
void thread_gov_end(struct thread_gov *g, double seconds, double cpu_seconds, double windows);

#endif
