/* thread_gov.c — see thread_gov.h.
 *
 * Constants, by measurement on the 2-core development machine (docs/performance.md): with a
 * busy process on one core, 2 threads ran at 0.77–0.85× of 1 thread; a quiet machine's
 * step-to-step spread is a few per cent, and two threads alone ran 0.95–1.0 of their
 * time (libgomp's waiting threads spin, which counts as running), against about 0.75 with one
 * core shared. So a median below 80% of the best seen at N threads, or a median running
 * share below 0.85 (the only sign when the other process was there from the first step),
 * starts a probe, a probe must beat the median before it by 3% to switch, and the waits
 * between probes (10 steps at N threads, 40 at one, doubling after each probe that does not
 * switch, up to 640 at N and 160 at one) keep a probe's cost under a few per cent of the
 * steps. At one thread nothing signals that the other core has become free (one thread's
 * speed does not change), so only a probe finds out: its cap is lower.
 */
#include "train/thread_gov.h"

#include <omp.h>
#include <string.h>

#define GOV_SLOW 0.8
#define GOV_UTIL 0.85
#define GOV_GAIN 1.03
enum { GOV_WAIT_MAX = 10, GOV_WAIT_ONE = 40, GOV_CAP_MAX = 640, GOV_CAP_ONE = 160 };

static double median(const double *v, size_t n)
{
    double s[THREAD_GOV_WIN > THREAD_GOV_PROBE ? THREAD_GOV_WIN : THREAD_GOV_PROBE];
    memcpy(s, v, n * sizeof *s);
    for (size_t i = 1; i < n; i++) /* insertion sort of at most five values */
        for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
            const double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

void thread_gov_init(struct thread_gov *g, int max_threads)
{
    memset(g, 0, sizeof *g);
    g->max = g->cur = max_threads > 1 ? max_threads : 1;
    g->wait = GOV_WAIT_MAX;
}

void thread_gov_begin(struct thread_gov *g)
{
    if (g->max > 1) omp_set_num_threads(g->cur);
}

static void start_probe(struct thread_gov *g)
{
    g->ref = median(g->recent, g->nrecent < THREAD_GOV_WIN ? g->nrecent : THREAD_GOV_WIN);
    g->probing = true;
    g->nprobe = 0;
    g->cur = g->cur == g->max ? 1 : g->max;
    g->probes++;
}

void thread_gov_end(struct thread_gov *g, double seconds, double cpu_seconds, double windows)
{
    g->steps++;
    if (g->cur == 1) g->steps_at_one++;
    if (g->max <= 1 || !(seconds > 0.0) || !(windows > 0.0)) return;
    const double rate = windows / seconds;
    if (g->probing) {
        g->probe_util[g->nprobe] = cpu_seconds / ((double)g->cur * seconds);
        g->probe[g->nprobe++] = rate;
        if (g->nprobe < THREAD_GOV_PROBE) return;
        const double m = median(g->probe, THREAD_GOV_PROBE);
        g->probing = false;
        g->since = 0;
        if (m > g->ref * GOV_GAIN) { /* keep the probed count; its steps are the recent ones */
            g->switches++;
            memcpy(g->recent, g->probe, sizeof g->probe);
            memcpy(g->util, g->probe_util, sizeof g->probe_util);
            g->nrecent = THREAD_GOV_PROBE;
            if (g->cur == g->max && m > g->best_max) g->best_max = m;
            g->wait = g->cur == g->max ? GOV_WAIT_MAX : GOV_WAIT_ONE;
        } else { /* back to the count before, and wait twice as long before trying again */
            g->cur = g->cur == g->max ? 1 : g->max;
            const size_t cap = g->cur == g->max ? GOV_CAP_MAX : GOV_CAP_ONE;
            g->wait = 2 * g->wait < cap ? 2 * g->wait : cap;
        }
        return;
    }
    g->recent[g->nrecent % THREAD_GOV_WIN] = rate;
    g->util[g->nrecent % THREAD_GOV_WIN] = cpu_seconds / ((double)g->cur * seconds);
    g->nrecent++;
    g->since++;
    const size_t n = g->nrecent < THREAD_GOV_WIN ? g->nrecent : THREAD_GOV_WIN;
    if (n < 3) return;
    const double m = median(g->recent, n);
    if (g->cur == g->max) {
        if (m > g->best_max) g->best_max = m;
        const bool slow = m < GOV_SLOW * g->best_max || median(g->util, n) < GOV_UTIL;
        if (slow && g->since >= g->wait) start_probe(g);
    } else if (g->since >= g->wait) {
        start_probe(g);
    }
}
