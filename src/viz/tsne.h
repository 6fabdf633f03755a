/* tsne.h — t-distributed stochastic neighbour embedding to 2-d (signstgcn embed
 * --reduce tsne), with scikit-learn's conventions (see tsne.c and docs/decisions.md).
 *
 * X is n rows of d features, row-major float; the embedding is n rows of 2 doubles. The
 * result depends only on the input, the configuration and (for random initialisation) the
 * seed: with PCA initialisation (the default) the seed is not used. It is deterministic for
 * a thread count; with random initialisation it is also the same for every thread count
 * (the PCA step's LAPACK eigensolver may change last bits with OpenBLAS's threads).
 */
#ifndef SG_VIZ_TSNE_H
#define SG_VIZ_TSNE_H

#include <stddef.h>
#include <stdint.h>

struct error;

enum tsne_method {
    TSNE_AUTO,       /* exact up to exact_max_n points, Barnes-Hut above */
    TSNE_EXACT,      /* O(n²) per iteration: dense P and Q */
    TSNE_BARNES_HUT, /* sparse P on 3·perplexity neighbours, quadtree with theta */
};

enum tsne_init {
    TSNE_INIT_PCA,    /* top-2 PCA projection scaled so column 0 has std 1e-4 (sklearn >= 1.4) */
    TSNE_INIT_RANDOM, /* 1e-4 · standard normal from the seed (sklearn's init='random') */
};

struct tsne_config {
    double perplexity;           /* 30 */
    double early_exaggeration;   /* 12 */
    double learning_rate;        /* <= 0: "auto" = max(n / early_exaggeration / 4, 50) */
    size_t max_iter;             /* 1000, the exploration iterations included */
    size_t exploration_iter;     /* 250: exaggerated P, momentum 0.5 */
    size_t iter_without_progress; /* 300 (checked every 50 iterations) */
    double min_grad_norm;        /* 1e-7 */
    double theta;                /* 0.5 (Barnes-Hut only) */
    enum tsne_method method;     /* TSNE_AUTO */
    size_t exact_max_n;          /* 1000: largest n that TSNE_AUTO runs exactly */
    enum tsne_init init;         /* TSNE_INIT_PCA */
    uint64_t seed;               /* 0 */
};

struct tsne_result {
    size_t iterations;   /* iterations run (max_iter unless it converged earlier) */
    double kl;           /* KL(P || Q) at the last iteration */
    int barnes_hut;      /* 1 when the Barnes-Hut path ran */
};

void tsne_config_default(struct tsne_config *c);

/* Embeds x (n×d, row-major) into y (n×2, row-major). result may be NULL.
 * Fails when n < 2, when perplexity is not in (0, n), on a bad configuration, a non-finite
 * input, PCA initialisation with d < 2, or when memory runs out. */
int tsne_embed(const float *x, size_t n, size_t d, const struct tsne_config *c, double *y,
               struct tsne_result *result, struct error *err);

#endif
