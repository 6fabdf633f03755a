/* tsne.c — t-SNE (van der Maaten & Hinton, 2008) to 2-d, exact and Barnes-Hut
 * (van der Maaten, 2014), following scikit-learn 1.2's sklearn.manifold.TSNE.
 *
 * Conventions taken from scikit-learn (sklearn/manifold/_t_sne.py, _utils.pyx,
 * _barnes_hut_tsne.pyx, _quad_tree.pyx):
 *   - input affinities on squared Euclidean distances; per point, a binary search on the
 *     precision beta (start 1, doubling/halving until bracketed, then bisection; at most 100
 *     steps, |entropy − log(perplexity)| <= 1e-5, sums floored at 1e-8) gives the
 *     conditional p_j|i; P = (P_c + P_cᵀ) / sum. Exact: over all other points, and P is
 *     floored at DBL_EPSILON. Barnes-Hut: over the k = min(n−1, ⌊3·perplexity + 1⌋) nearest
 *     neighbours (exact search, ties to the lower index), P sparse (CSR).
 *   - Student-t with one degree of freedom; gradient 4 Σ_j (p_ij − q_ij) q_ij Z (y_i − y_j).
 *   - optimisation: early exaggeration 12 on P for the first 250 iterations with momentum 0.5,
 *     then momentum 0.8 up to 1000 iterations in all; learning rate "auto"
 *     max(n / exaggeration / 4, 50); per-coordinate gains (+0.2 when the gradient's sign
 *     flips against the update, ×0.8 otherwise, floor 0.01); every 50 iterations, stop when
 *     the KL divergence has not improved for more than 300 iterations (250 in the first
 *     stage) or the gradient norm is <= 1e-7. Momentum and gains restart at each stage.
 *   - initialisation: the top-2 PCA projection (viz/pca.c, exact where scikit-learn uses a
 *     randomized SVD) divided by the standard deviation of its first column and
 *     multiplied by 1e-4 — scikit-learn's init="pca", the default from 1.4 (1.2 warns and
 *     uses "random"); TSNE_INIT_RANDOM draws 1e-4 · N(0, 1) from the project's generator.
 *   - Barnes-Hut repulsion: a quadtree over the embedding rebuilt every iteration; a cell
 *     is summarised by its centre of mass when it is a leaf or when
 *     (cell width)² / |y_i − centre|² < theta² (theta 0.5). The point's own contribution
 *     is left out of Z (its leaf counts size − 1), as the exact sum does.
 *
 * Precision and determinism: everything in double (scikit-learn's Barnes-Hut path runs in
 * float32). Loops over points run under OpenMP with each thread writing only its own rows;
 * every sum that crosses points (Z, the KL divergence, the gradient norm) is added in point
 * order afterwards, and no BLAS is called here, so this file's result is the same for any
 * number of threads; the PCA initialisation's LAPACK eigensolver (viz/pca.c) can change the
 * last bits with OpenBLAS's thread count, so a PCA-initialised run is deterministic for a
 * thread count. Loops run in parallel only from 512 points (exact) or 1,000 (Barnes-Hut).
 *
 * Method: TSNE_AUTO runs the exact gradient up to exact_max_n = 1,000 points (a lower KL
 * at about 2.6× Barnes-Hut's time there, growing as n²) and Barnes-Hut above, where
 * scikit-learn defaults to Barnes-Hut at every size. Barnes-Hut's neighbour search is exact
 * brute force, O(n² d): about 2.6·10¹⁰ flops for 20,000 windows of 64 features.
 *
 * Not done: more than 2 output dimensions, metrics other than Euclidean, approximate
 * neighbour search, angle/degrees-of-freedom options, verbose progress.
 */
#include "viz/tsne.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rng.h"
#include "viz/pca.h"

#define TSNE_ITER_CHECK 50
#define TSNE_MIN_GAIN 0.01
#define TSNE_BS_STEPS 100
#define TSNE_BS_TOL 1e-5
#define TSNE_EPS_SUM 1e-8
#define TSNE_TREE_MAX_DEPTH 60
/* Below these sizes a parallel region costs more than it saves (an iteration takes well
 * under a millisecond), and on a loaded machine every barrier waits for a descheduled
 * thread: the 300-point exact run took 0.5 s on one thread and 3.9 s on two busy cores. */
#define TSNE_PAR_EXACT_MIN 512
#define TSNE_PAR_BH_MIN 1000

void tsne_config_default(struct tsne_config *c)
{
    c->perplexity = 30.0;
    c->early_exaggeration = 12.0;
    c->learning_rate = 0.0;
    c->max_iter = 1000;
    c->exploration_iter = 250;
    c->iter_without_progress = 300;
    c->min_grad_norm = 1e-7;
    c->theta = 0.5;
    c->method = TSNE_AUTO;
    c->exact_max_n = 1000;
    c->init = TSNE_INIT_PCA;
    c->seed = 0;
}

/* ---- input affinities ---------------------------------------------------------------- */

/* dist[0..m) squared distances to the other points -> p[0..m) the conditional p_j|i
 * (sklearn's _binary_search_perplexity for one row). */
static void conditional_p(const double *dist, size_t m, double desired_entropy, double *p)
{
    double beta = 1.0, beta_min = -INFINITY, beta_max = INFINITY;
    for (int step = 0; step < TSNE_BS_STEPS; step++) {
        double sum_p = 0.0;
        for (size_t j = 0; j < m; j++) {
            p[j] = exp(-dist[j] * beta);
            sum_p += p[j];
        }
        if (sum_p == 0.0) sum_p = TSNE_EPS_SUM;
        double sum_dp = 0.0;
        for (size_t j = 0; j < m; j++) {
            p[j] /= sum_p;
            sum_dp += dist[j] * p[j];
        }
        double entropy = log(sum_p) + beta * sum_dp;
        double diff = entropy - desired_entropy;
        if (fabs(diff) <= TSNE_BS_TOL) break;
        if (diff > 0) {
            beta_min = beta;
            beta = isinf(beta_max) ? beta * 2.0 : (beta + beta_max) / 2.0;
        } else {
            beta_max = beta;
            beta = isinf(beta_min) ? beta / 2.0 : (beta + beta_min) / 2.0;
        }
    }
}

/* Dense P (n×n, zero diagonal) for the exact method. */
static int exact_p(const double *x, size_t n, size_t d, double perplexity, double *p,
                   int par, struct error *err)
{
    double *dist = sg_malloc(n, n * sizeof(double), "tsne: distances", err);
    if (!dist) return -1;
    double desired = log(perplexity);
    long ln = (long)n;
#pragma omp parallel for schedule(static) if (par)
    for (long li = 0; li < ln; li++) {
        size_t i = (size_t)li;
        double *row = dist + i * n; /* the n-1 distances to the others, self left out */
        size_t m = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            double s = 0.0;
            for (size_t k = 0; k < d; k++) {
                double t = x[i * d + k] - x[j * d + k];
                s += t * t;
            }
            row[m++] = s;
        }
        double *pr = p + i * n;
        conditional_p(row, n - 1, desired, pr); /* pr[0..n-1): others, in order */
        for (size_t j = n - 1; j > i; j--) pr[j] = pr[j - 1];
        pr[i] = 0.0;
    }
    sg_free(dist);
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double v = p[i * n + j] + p[j * n + i];
            p[i * n + j] = p[j * n + i] = v;
            total += 2.0 * v;
        }
    if (total < DBL_EPSILON) total = DBL_EPSILON;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = p[i * n + j] / total;
            p[i * n + j] = i == j ? 0.0 : (v < DBL_EPSILON ? DBL_EPSILON : v);
        }
    return 0;
}

struct sparse_p {
    size_t *rowptr; /* n+1 */
    size_t *col;
    double *val;
};

struct knn_entry {
    size_t j;
    double v;
};

static int knn_entry_cmp(const void *a, const void *b)
{
    size_t x = ((const struct knn_entry *)a)->j, y = ((const struct knn_entry *)b)->j;
    return (x > y) - (x < y);
}

/* The k nearest neighbours of every point (squared distances): exact search, each row
 * computed by one thread with a sorted insertion (ties to the lower index). */
static void knn(const double *x, size_t n, size_t d, size_t k, size_t *nn, double *nd, int par)
{
    long ln = (long)n;
#pragma omp parallel for schedule(dynamic, 16) if (par)
    for (long li = 0; li < ln; li++) {
        size_t i = (size_t)li;
        size_t *bj = nn + i * k;
        double *bd = nd + i * k;
        const double *xi = x + i * d;
        for (size_t t = 0; t < k; t++) {
            bd[t] = INFINITY;
            bj[t] = n;
        }
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            const double *xj = x + j * d;
            double v = 0.0;
            for (size_t t = 0; t < d; t++) {
                double u = xi[t] - xj[t];
                v += u * u;
            }
            if (!(v < bd[k - 1])) continue;
            size_t t = k - 1;
            while (t > 0 && v < bd[t - 1]) {
                bd[t] = bd[t - 1];
                bj[t] = bj[t - 1];
                t--;
            }
            bd[t] = v;
            bj[t] = j;
        }
    }
}

/* Sparse symmetric P from the k-nearest-neighbour conditional probabilities. */
static int sparse_p_build(const double *x, size_t n, size_t d, size_t k, double perplexity,
                          int par, struct sparse_p *sp, struct error *err)
{
    int rc = -1;
    size_t nk;
    if (!size_mul(n, k, &nk)) return error_set(err, "tsne: %zu x %zu neighbours overflow", n, k);
    size_t *nn = sg_malloc(nk, sizeof *nn, "tsne: neighbours", err);
    double *nd = sg_malloc(nk, sizeof *nd, "tsne: neighbour distances", err);
    double *pc = sg_malloc(nk, sizeof *pc, "tsne: conditional P", err);
    size_t *count = sg_calloc(n + 1, sizeof *count, "tsne: row counts", err);
    struct knn_entry *e = sg_malloc(nk, 2 * sizeof *e, "tsne: P entries", err);
    sp->rowptr = NULL;
    sp->col = NULL;
    sp->val = NULL;
    if (!nn || !nd || !pc || !count || !e) goto done;
    knn(x, n, d, k, nn, nd, par);
    double desired = log(perplexity);
    long ln = (long)n;
#pragma omp parallel for schedule(static) if (par)
    for (long li = 0; li < ln; li++)
        conditional_p(nd + (size_t)li * k, k, desired, pc + (size_t)li * k);

    /* P + Pᵀ: every (i, j, p_j|i) goes to row i and row j */
    for (size_t t = 0; t < nk; t++) {
        count[t / k + 1]++;
        count[nn[t] + 1]++;
    }
    for (size_t i = 0; i < n; i++) count[i + 1] += count[i];
    size_t *fill = sg_malloc(n, sizeof *fill, "tsne: row fill", err);
    if (!fill) goto done;
    memcpy(fill, count, n * sizeof *fill);
    for (size_t t = 0; t < nk; t++) {
        size_t i = t / k, j = nn[t];
        e[fill[i]++] = (struct knn_entry){j, pc[t]};
        e[fill[j]++] = (struct knn_entry){i, pc[t]};
    }
    sg_free(fill);
    sp->rowptr = sg_malloc(n + 1, sizeof *sp->rowptr, "tsne: P rows", err);
    sp->col = sg_malloc(nk, 2 * sizeof *sp->col, "tsne: P columns", err);
    sp->val = sg_malloc(nk, 2 * sizeof *sp->val, "tsne: P values", err);
    if (!sp->rowptr || !sp->col || !sp->val) goto done;
    size_t out = 0;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        sp->rowptr[i] = out;
        struct knn_entry *r = e + count[i];
        size_t m = count[i + 1] - count[i];
        qsort(r, m, sizeof *r, knn_entry_cmp);
        for (size_t t = 0; t < m; t++) {
            if (out > sp->rowptr[i] && sp->col[out - 1] == r[t].j) {
                sp->val[out - 1] += r[t].v;
            } else {
                sp->col[out] = r[t].j;
                sp->val[out] = r[t].v;
                out++;
            }
        }
        for (size_t t = sp->rowptr[i]; t < out; t++) total += sp->val[t];
    }
    sp->rowptr[n] = out;
    if (total < DBL_EPSILON) total = DBL_EPSILON;
    for (size_t t = 0; t < out; t++) sp->val[t] /= total;
    rc = 0;
done:
    if (rc) {
        sg_free(sp->rowptr);
        sg_free(sp->col);
        sg_free(sp->val);
        sp->rowptr = NULL;
        sp->col = NULL;
        sp->val = NULL;
    }
    sg_free(nn);
    sg_free(nd);
    sg_free(pc);
    sg_free(count);
    sg_free(e);
    return rc;
}

/* ---- quadtree ------------------------------------------------------------------------- */

struct qnode {
    double cx, cy, hw;   /* cell centre and half width */
    double mx, my;       /* centre of mass */
    size_t size;         /* points below */
    long child[4];       /* -1: none */
    int leaf;
};

struct qtree {
    struct qnode *node;
    size_t n_nodes, cap;
    size_t *perm, *tmp;  /* point order, scratch for partitioning */
    size_t *leaf_of;     /* the leaf that holds each point */
};

static long qtree_build_node(struct qtree *t, const double *y, size_t lo, size_t hi, double cx,
                             double cy, double hw, int depth, struct error *err)
{
    if (t->n_nodes == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        if (sg_realloc((void **)&t->node, cap, sizeof *t->node, "tsne: quadtree", err))
            return -1;
        t->cap = cap;
    }
    long id = (long)t->n_nodes++;
    struct qnode *q = &t->node[id];
    q->cx = cx;
    q->cy = cy;
    q->hw = hw;
    q->size = hi - lo;
    double sx = 0.0, sy = 0.0;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t a = lo; a < hi; a++) {
        const double *p = y + 2 * t->perm[a];
        sx += p[0];
        sy += p[1];
        x0 = fmin(x0, p[0]);
        x1 = fmax(x1, p[0]);
        y0 = fmin(y0, p[1]);
        y1 = fmax(y1, p[1]);
    }
    q->mx = sx / (double)(hi - lo);
    q->my = sy / (double)(hi - lo);
    for (int c = 0; c < 4; c++) q->child[c] = -1;
    q->leaf = hi - lo == 1 || (x0 == x1 && y0 == y1) || depth >= TSNE_TREE_MAX_DEPTH;
    if (q->leaf) {
        for (size_t a = lo; a < hi; a++) t->leaf_of[t->perm[a]] = (size_t)id;
        return id;
    }
    /* partition into quadrants 0 (x<cx,y<cy) 1 (x>=cx,y<cy) 2 (x<cx,y>=cy) 3 (x>=cx,y>=cy) */
    size_t cnt[4] = {0, 0, 0, 0};
    for (size_t a = lo; a < hi; a++) {
        const double *p = y + 2 * t->perm[a];
        cnt[(p[0] >= cx) + 2 * (p[1] >= cy)]++;
    }
    size_t start[4], pos[4];
    start[0] = lo;
    for (int c = 1; c < 4; c++) start[c] = start[c - 1] + cnt[c - 1];
    memcpy(pos, start, sizeof pos);
    for (size_t a = lo; a < hi; a++) {
        const double *p = y + 2 * t->perm[a];
        t->tmp[pos[(p[0] >= cx) + 2 * (p[1] >= cy)]++] = t->perm[a];
    }
    memcpy(t->perm + lo, t->tmp + lo, (hi - lo) * sizeof *t->perm);
    double h = hw / 2.0;
    for (int c = 0; c < 4; c++) {
        if (!cnt[c]) continue;
        long ch = qtree_build_node(t, y, start[c], start[c] + cnt[c], cx + ((c & 1) ? h : -h),
                                   cy + ((c & 2) ? h : -h), h, depth + 1, err);
        if (ch < 0) return -1;
        t->node[id].child[c] = ch; /* t->node may have moved */
    }
    return id;
}

static int qtree_build(struct qtree *t, const double *y, size_t n, struct error *err)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        t->perm[i] = i;
        x0 = fmin(x0, y[2 * i]);
        x1 = fmax(x1, y[2 * i]);
        y0 = fmin(y0, y[2 * i + 1]);
        y1 = fmax(y1, y[2 * i + 1]);
    }
    double hw = fmax(x1 - x0, y1 - y0) / 2.0;
    hw = hw * (1.0 + 1e-3) + 1e-12; /* every point strictly inside */
    t->n_nodes = 0;
    return qtree_build_node(t, y, 0, n, (x0 + x1) / 2.0, (y0 + y1) / 2.0, hw, 0, err) < 0 ? -1
                                                                                         : 0;
}

/* Repulsion on point i: neg = Σ_cells size q² Z² (y_i − centre), returns Σ size q Z. */
static double qtree_repulse(const struct qtree *t, const double *y, size_t i, double theta2,
                            double neg[2])
{
    long stack[4 * TSNE_TREE_MAX_DEPTH + 8];
    size_t top = 0;
    double yi0 = y[2 * i], yi1 = y[2 * i + 1], sq = 0.0, n0 = 0.0, n1 = 0.0;
    stack[top++] = 0;
    while (top) {
        const struct qnode *q = &t->node[stack[--top]];
        double dx = yi0 - q->mx, dy = yi1 - q->my, d2 = dx * dx + dy * dy;
        double w = 2.0 * q->hw;
        if (q->leaf || w * w < theta2 * d2) {
            double size = (double)q->size;
            if (q->leaf && t->leaf_of[i] == (size_t)(q - t->node)) size -= 1.0;
            if (size <= 0.0) continue;
            double qz = 1.0 / (1.0 + d2);
            sq += size * qz;
            double mult = size * qz * qz;
            n0 += mult * dx;
            n1 += mult * dy;
            continue;
        }
        for (int c = 3; c >= 0; c--)
            if (q->child[c] >= 0) stack[top++] = q->child[c];
    }
    neg[0] = n0;
    neg[1] = n1;
    return sq;
}

/* ---- objective ------------------------------------------------------------------------ */

struct tsne_state {
    size_t n;
    int bh;
    int par;             /* run the loops over points in parallel */
    double theta;
    double *p;           /* exact: n×n */
    double *w;           /* exact: n×n Student-t kernel */
    struct sparse_p sp;  /* Barnes-Hut */
    struct qtree tree;
    double *rowsum;      /* per point: Σ_j q_ij Z (sum_Q contributions) */
    double *rowkl;       /* per point: KL terms */
    double *neg;         /* Barnes-Hut: n×2 repulsion */
};

/* grad (n×2) = ∂KL/∂y for P·ex; returns the KL divergence when want_kl (else 0). */
static int objective(struct tsne_state *s, const double *y, double ex, int want_kl,
                     double *grad, double *kl, struct error *err)
{
    size_t n = s->n;
    long ln = (long)n;
    double z = 0.0;
    if (!s->bh) {
#pragma omp parallel for schedule(static) if (s->par)
        for (long li = 0; li < ln; li++) {
            size_t i = (size_t)li;
            double *wr = s->w + i * n, sum = 0.0;
            for (size_t j = 0; j < n; j++) {
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                wr[j] = j == i ? 0.0 : 1.0 / (1.0 + dx * dx + dy * dy);
                sum += wr[j];
            }
            s->rowsum[i] = sum;
        }
        for (size_t i = 0; i < n; i++) z += s->rowsum[i];
        double inv_z = 1.0 / z;
#pragma omp parallel for schedule(static) if (s->par)
        for (long li = 0; li < ln; li++) {
            size_t i = (size_t)li;
            const double *wr = s->w + i * n, *pr = s->p + i * n;
            double g0 = 0.0, g1 = 0.0, c = 0.0;
            for (size_t j = 0; j < n; j++) {
                if (j == i) continue;
                double pij = ex * pr[j], qij = wr[j] * inv_z;
                double m = (pij - qij) * wr[j];
                g0 += m * (y[2 * i] - y[2 * j]);
                g1 += m * (y[2 * i + 1] - y[2 * j + 1]);
                if (want_kl) c += pij * log(pij / (qij > DBL_EPSILON ? qij : DBL_EPSILON));
            }
            grad[2 * i] = 4.0 * g0;
            grad[2 * i + 1] = 4.0 * g1;
            s->rowkl[i] = c;
        }
    } else {
        if (qtree_build(&s->tree, y, n, err)) return -1;
        double theta2 = s->theta * s->theta;
#pragma omp parallel for schedule(dynamic, 64) if (s->par)
        for (long li = 0; li < ln; li++) {
            size_t i = (size_t)li;
            s->rowsum[i] = qtree_repulse(&s->tree, y, i, theta2, s->neg + 2 * i);
        }
        for (size_t i = 0; i < n; i++) z += s->rowsum[i];
        double inv_z = 1.0 / z;
        const size_t *rp = s->sp.rowptr, *col = s->sp.col;
        const double *val = s->sp.val;
#pragma omp parallel for schedule(static) if (s->par)
        for (long li = 0; li < ln; li++) {
            size_t i = (size_t)li;
            double g0 = 0.0, g1 = 0.0, c = 0.0;
            for (size_t t = rp[i]; t < rp[i + 1]; t++) {
                size_t j = col[t];
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double qz = 1.0 / (1.0 + dx * dx + dy * dy), pij = ex * val[t];
                g0 += pij * qz * dx;
                g1 += pij * qz * dy;
                if (want_kl) {
                    double qij = qz * inv_z;
                    c += pij * log((pij > DBL_EPSILON ? pij : DBL_EPSILON) /
                                   (qij > DBL_EPSILON ? qij : DBL_EPSILON));
                }
            }
            grad[2 * i] = 4.0 * (g0 - s->neg[2 * i] * inv_z);
            grad[2 * i + 1] = 4.0 * (g1 - s->neg[2 * i + 1] * inv_z);
            s->rowkl[i] = c;
        }
    }
    double c = 0.0;
    if (want_kl)
        for (size_t i = 0; i < n; i++) c += s->rowkl[i];
    *kl = c;
    return 0;
}

/* One stage of sklearn's _gradient_descent: iterations [it, n_iter). Returns the last
 * iteration index run in *last and the last KL divergence computed in *kl. */
static int descend(struct tsne_state *s, double *y, size_t it, size_t n_iter, double momentum,
                   double lr, size_t without_progress, double min_grad_norm, double ex,
                   double *update, double *gains, double *grad, size_t *last, double *kl,
                   struct error *err)
{
    size_t m = 2 * s->n;
    for (size_t t = 0; t < m; t++) {
        update[t] = 0.0;
        gains[t] = 1.0;
    }
    double best = DBL_MAX;
    size_t best_iter = it, i = it;
    for (; i < n_iter; i++) {
        int check = (i + 1) % TSNE_ITER_CHECK == 0;
        double error = 0.0;
        if (objective(s, y, ex, check || i + 1 == n_iter, grad, &error, err)) return -1;
        if (check || i + 1 == n_iter) *kl = error;
        double norm2 = 0.0;
        for (size_t t = 0; t < m; t++) {
            if (update[t] * grad[t] < 0.0)
                gains[t] += 0.2;
            else
                gains[t] *= 0.8;
            if (gains[t] < TSNE_MIN_GAIN) gains[t] = TSNE_MIN_GAIN;
            grad[t] *= gains[t];
            update[t] = momentum * update[t] - lr * grad[t];
            y[t] += update[t];
            norm2 += grad[t] * grad[t];
        }
        if (check) {
            if (error < best) {
                best = error;
                best_iter = i;
            } else if (i - best_iter > without_progress) {
                break;
            }
            if (sqrt(norm2) <= min_grad_norm) break;
        }
    }
    *last = i < n_iter ? i : n_iter - 1;
    return 0;
}

static int init_embedding(const float *x, size_t n, size_t d, const struct tsne_config *c,
                          double *y, struct error *err)
{
    if (c->init == TSNE_INIT_RANDOM) {
        struct rng r;
        rng_seed(&r, c->seed);
        for (size_t t = 0; t < 2 * n; t++) y[t] = 1e-4 * rng_normal(&r);
        return 0;
    }
    if (d < 2) {
        error_set(err, "tsne_embed: PCA initialisation needs at least 2 features (got %zu)", d);
        return error_hint(err, "use random initialisation");
    }
    if (pca_project(x, n, d, 2, y, NULL, NULL, err)) return error_prefix(err, "tsne_embed");
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++) mean += y[2 * i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) var += (y[2 * i] - mean) * (y[2 * i] - mean);
    double sd = sqrt(var / (double)n);
    if (sd > 0.0)
        for (size_t t = 0; t < 2 * n; t++) y[t] = y[t] / sd * 1e-4;
    return 0;
}

int tsne_embed(const float *x, size_t n, size_t d, const struct tsne_config *c, double *y,
               struct tsne_result *result, struct error *err)
{
    if (n < 2 || d == 0)
        return error_set(err, "tsne_embed: need at least 2 points of 1 or more features "
                              "(got %zu x %zu)", n, d);
    if (!(c->perplexity > 0.0) || !(c->perplexity < (double)n)) {
        error_set(err, "tsne_embed: perplexity %g must be in (0, %zu), the number of points",
                  c->perplexity, n);
        return error_hint(err, "lower --perplexity (5 to 50 is usual)");
    }
    if (!(c->early_exaggeration >= 1.0) || !(c->theta >= 0.0) || c->max_iter == 0 ||
        !isfinite(c->learning_rate) || !isfinite(c->theta))
        return error_set(err, "tsne_embed: bad configuration (early exaggeration %g, theta %g, "
                              "learning rate %g, %zu iterations)", c->early_exaggeration,
                         c->theta, c->learning_rate, c->max_iter);
    size_t nd;
    if (!size_mul(n, d, &nd)) return error_set(err, "tsne_embed: %zu x %zu overflows", n, d);
    for (size_t t = 0; t < nd; t++)
        if (!isfinite(x[t]))
            return error_set(err, "tsne_embed: value %zu (row %zu, column %zu) is not finite",
                             t, t / d, t % d);

    int bh = c->method == TSNE_BARNES_HUT || (c->method == TSNE_AUTO && n > c->exact_max_n);
    struct tsne_state s;
    memset(&s, 0, sizeof s);
    s.n = n;
    s.bh = bh;
    s.par = n >= (bh ? TSNE_PAR_BH_MIN : TSNE_PAR_EXACT_MIN);
    s.theta = c->theta;
    int rc = -1;
    double *xd = sg_malloc(nd, sizeof *xd, "tsne: data", err);
    double *buf = sg_malloc(n, 6 * sizeof(double), "tsne: optimiser state", err);
    s.rowsum = sg_malloc(n, sizeof(double), "tsne: row sums", err);
    s.rowkl = sg_malloc(n, sizeof(double), "tsne: row KL", err);
    if (!xd || !buf || !s.rowsum || !s.rowkl) goto done;
    for (size_t t = 0; t < nd; t++) xd[t] = (double)x[t];
    if (!bh) {
        s.p = sg_malloc(n, n * sizeof(double), "tsne: P", err);
        s.w = sg_malloc(n, n * sizeof(double), "tsne: Q kernel", err);
        if (!s.p || !s.w || exact_p(xd, n, d, c->perplexity, s.p, s.par, err)) goto done;
    } else {
        size_t k = (size_t)(3.0 * c->perplexity + 1.0);
        if (k > n - 1) k = n - 1;
        if (sparse_p_build(xd, n, d, k, c->perplexity, s.par, &s.sp, err)) goto done;
        s.neg = sg_malloc(n, 2 * sizeof(double), "tsne: repulsion", err);
        s.tree.perm = sg_malloc(n, sizeof(size_t), "tsne: quadtree order", err);
        s.tree.tmp = sg_malloc(n, sizeof(size_t), "tsne: quadtree scratch", err);
        s.tree.leaf_of = sg_malloc(n, sizeof(size_t), "tsne: quadtree leaves", err);
        if (!s.neg || !s.tree.perm || !s.tree.tmp || !s.tree.leaf_of) goto done;
    }
    if (init_embedding(x, n, d, c, y, err)) goto done;

    double lr = c->learning_rate > 0.0 ? c->learning_rate
                                       : fmax((double)n / c->early_exaggeration / 4.0, 50.0);
    double *update = buf, *gains = buf + 2 * n, *grad = buf + 4 * n;
    size_t explore = c->exploration_iter < c->max_iter ? c->exploration_iter : c->max_iter;
    size_t last = 0;
    double kl = 0.0;
    if (explore > 0 &&
        descend(&s, y, 0, explore, 0.5, lr, explore, c->min_grad_norm, c->early_exaggeration,
                update, gains, grad, &last, &kl, err))
        goto done;
    size_t next = explore > 0 ? last + 1 : 0;
    if (next < c->max_iter &&
        descend(&s, y, next, c->max_iter, 0.8, lr, c->iter_without_progress, c->min_grad_norm,
                1.0, update, gains, grad, &last, &kl, err))
        goto done;
    if (result) {
        result->iterations = last + 1;
        result->kl = kl;
        result->barnes_hut = bh;
    }
    rc = 0;
done:
    sg_free(xd);
    sg_free(buf);
    sg_free(s.rowsum);
    sg_free(s.rowkl);
    sg_free(s.p);
    sg_free(s.w);
    sg_free(s.sp.rowptr);
    sg_free(s.sp.col);
    sg_free(s.sp.val);
    sg_free(s.neg);
    sg_free(s.tree.node);
    sg_free(s.tree.perm);
    sg_free(s.tree.tmp);
    sg_free(s.tree.leaf_of);
    return rc;
}
