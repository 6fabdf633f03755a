/* trainer.c — the training loop of `signstgcn train` (see trainer.h).
 *
 * Set-up: dataset (SPEC §1) → video split (--splits-json, else 90/10 by video with the seed)
 * → classes (binary mapping or the byte-sorted labels of labelled training windows, or
 * --classes) → training and validation windows (labelled, with a class) → signers (real ids
 * from the signers file, or K-means pseudo-signers on the signer statistics, SPEC §5) →
 * class weights (binary: [1, n_neg/n_pos]) → graph and model.
 *
 * Randomness comes from four generators derived from --seed, each with its own job so that
 * changing one use never shifts another: `split` (90/10 split, --max-samples), `init`
 * (weights), `shuffle` (the order of training windows, one permutation per epoch) and
 * `dropout` (masks). The loop's position (epoch, batch, running sums, history, best value)
 * and the generators at the start of the epoch and now are all saved in last.safetensors,
 * so resuming mid-epoch replays the same permutation and continues bit-identically.
 *
 * Data-parallel (hooks->dist with several ranks, docs/architecture.md): every rank loads the
 * whole dataset and draws the same permutation; a global batch of B windows is split into
 * contiguous shards (dist_shard), each rank filling and augmenting its shard with the draws
 * of the windows' places in the run, so nothing random depends on the number of ranks. The
 * model synchronises what couples the batch (model_shard), the trained gradients are summed
 * with one all-reduce over the table's trained range, and every rank takes the same Adam
 * step. Rank 0 alone evaluates (its results are broadcast, so early stopping and the best
 * epoch agree), fits K-means and writes every file; a stop asked of any rank is summed with
 * the step's accuracy count, so all ranks stop after the same step.
 */
#include "train/trainer.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/dist.h"
#include "core/dir_lock.h"
#include "core/input_file.h"
#include "core/mem.h"
#include "core/error.h"
#include "core/rng.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/features.h"
#include "data/splits.h"
#include "data/windows.h"
#include "graph/graph.h"
#include "graph/layout.h"
#include "io/csv.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "model/adam.h"
#include "train/kmeans.h"
#include "train/metrics.h"
#include "train/thread_gov.h"
#include "viz/plot.h"

static volatile sig_atomic_t stop_requested;

const char *const trainer_output_files[] = {"last.safetensors", "best.safetensors", "metrics.csv",
                                            "training_curves.png", DIR_LOCK_NAME, NULL};

void trainer_request_stop(void) { stop_requested = 1; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void info(const struct trainer_hooks *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void info(const struct trainer_hooks *h, const char *fmt, ...)
{
    if (!h || !h->info) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    h->info(h->ctx, buf);
}

/* ---- the model a configuration describes ------------------------------------------------- */

static int config_layout(const struct train_config *cfg, const struct train_derived *d,
                         struct joint_layout *layout, struct error *err)
{
    const struct data_config *dc = &cfg->data;
    size_t face = d->face_points_in_file                  ? d->face_points_in_file
                  : d->skeleton == SKELETON_OPENPOSE ? 70
                                                     : 478;
    if (joint_layout_init_skeleton(layout, d->skeleton, dc->include_pose, dc->include_hands,
                                   dc->include_face, dc->face_points, face, err))
        return -1;
    if (layout->num_joints != d->num_joints)
        return error_set(err, "the joint layout has %zu joints, the configuration %zu",
                         layout->num_joints, d->num_joints);
    return 0;
}

int trainer_feature_parents(const struct train_config *cfg, const struct train_derived *d,
                            int32_t **parent, struct error *err)
{
    *parent = NULL;
    if (cfg->features == FEATURE_JOINTS) return 0;
    struct joint_layout layout;
    if (config_layout(cfg, d, &layout, err)) return -1;
    int32_t *p = sg_malloc(d->num_joints, sizeof *p, "bone stream", err);
    if (!p) return -1;
    if (graph_parents(cfg->graph, &layout, p, err)) {
        free(p);
        return -1;
    }
    *parent = p;
    return 0;
}

int trainer_build_model(const struct train_config *cfg, const struct train_derived *d,
                        struct graph *g, struct model *m, struct error *err)
{
    const struct data_config *dc = &cfg->data;
    struct joint_layout layout;
    if (config_layout(cfg, d, &layout, err)) return -1;
    if (graph_build(g, cfg->graph, &layout, cfg->partition, err)) return -1;
    struct model_config mc = {.num_joints = d->num_joints, .coords = dc->coords,
                              .in_channels = dc->coords * features_count(cfg->features),
                              .num_classes = d->num_classes, .num_signers = d->num_signers,
                              .signer_head = d->num_signers > 0 && !cfg->use_mi_minimization,
                              .use_mi = cfg->use_mi_minimization,
                              .mi_hidden = cfg->mi_hidden_dim,
                              .attn = cfg->use_film_attention ? ATTN_FILM : ATTN_BIAS_AWARE,
                              .dropout = 0.1f};
    model_dims_spec(&mc.dims);
    if (model_init(m, &mc, g, err)) {
        graph_free(g);
        return -1;
    }
    return 0;
}

/* ---- set-up ------------------------------------------------------------------------------- */

struct run {
    const struct train_config *cfg;
    const struct trainer_hooks *hooks;
    struct dataset ds;
    struct train_derived d;
    int32_t *class_of_label;   /* label id → class, -1 not a class */
    bool *is_val_video;
    size_t *train_idx, n_train; /* window indices */
    size_t *val_idx, n_val;
    int *signer_of_window;     /* per dataset window, -1 unknown */
    float class_w[2];
    bool use_class_w;
    struct graph g;
    struct model m;
    struct rng rng_split, rng_init, rng_shuffle, rng_dropout;
    /* augmentation: every window's draw is a function of (aug_key, its index in the run) */
    bool augment_on;
    uint64_t aug_key;
    struct augment_parts aug_parts;
    /* input streams: x (B,T,J,C) → xf (B,T,J,C·streams); NULL with joints alone */
    int32_t *parent;
    float *xf;
    /* batch buffers */
    size_t B, T, S, J, C;
    float *x, *stats, *probs;
    int32_t *lab;
    int *y, *sig;
    size_t *perm;
    /* data-parallel: the ranks, and the whole batch's labels (B) */
    struct dist *dist;
    bool sharded, root;
    int *y_all, *sig_all;
};

static int choose_split(struct run *r, struct error *err)
{
    const struct train_config *c = r->cfg;
    size_t nv = r->ds.n_videos;
    r->is_val_video = sg_calloc(nv, sizeof(bool), "split", err);
    if (!r->is_val_video) return -1;
    if (c->splits_json[0]) {
        struct splits_lists sl;
        if (splits_json_read(c->splits_json, &sl, err)) return -1;
        bool *in_train = sg_calloc(nv, sizeof(bool), "split", err);
        if (!in_train) {
            splits_lists_free(&sl);
            return -1;
        }
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < sl.n[s]; i++) {
                size_t v = 0;
                while (v < nv && strcmp(r->ds.videos[v].id, sl.videos[s][i])) v++;
                if (v == nv) {
                    /* with --max-files a listed video may simply not be loaded */
                    if (!c->max_files)
                        warn_emit(r->hooks->warn, "%s: video '%s' of the %s split has no npz "
                                  "in '%s'", c->splits_json, sl.videos[s][i], split_name(s),
                                  c->data_dir);
                    continue;
                }
                if (s == 0) in_train[v] = true;
                else r->is_val_video[v] = true;
            }
        splits_lists_free(&sl);
        /* videos in neither train nor val (e.g. test) are not used for training */
        for (size_t v = 0; v < nv; v++)
            if (!in_train[v] && !r->is_val_video[v]) r->ds.videos[v].n_windows = 0;
        free(in_train);
        return 0;
    }
    /* the videos in use (--max-files keeps the first ones), split 90/10 */
    size_t n_use = c->max_files && c->max_files < nv ? c->max_files : nv;
    size_t n_val = n_use >= 2 ? (size_t)floor(0.1 * (double)n_use + 0.5) : 0;
    if (n_use >= 2 && n_val == 0) n_val = 1;
    size_t *order = sg_malloc(n_use ? n_use : 1, sizeof *order, "split", err);
    if (!order) return -1;
    for (size_t v = 0; v < n_use; v++) order[v] = v;
    rng_shuffle(&r->rng_split, order, n_use, sizeof *order);
    for (size_t i = 0; i < n_val; i++) r->is_val_video[order[i]] = true;
    free(order);
    return 0;
}

static int map_classes(struct run *r, struct error *err)
{
    const struct train_config *c = r->cfg;
    const struct dataset *ds = &r->ds;
    size_t nl = groundtruth_num_labels(&ds->gt);
    const char **names = sg_calloc(nl ? nl : 1, sizeof *names, "labels", err);
    r->class_of_label = sg_calloc(nl ? nl : 1, sizeof(int32_t), "labels", err);
    if (!names || !r->class_of_label) {
        free(names);
        return -1;
    }
    for (size_t i = 0; i < nl; i++) names[i] = groundtruth_label_name(&ds->gt, (int32_t)i);
    int rc = 0;
    if (c->data.binary) {
        struct name_list sl;
        if (name_list_parse(&sl, c->data.signing_labels, "--signing-labels", false, err)) {
            free(names);
            return -1;
        }
        windows_binary_map(&sl, names, nl, r->class_of_label);
        name_list_free(&sl);
        r->d.num_classes = 2;
        r->d.classes = sg_calloc(2, sizeof(char *), "classes", err);
        if (!r->d.classes || !(r->d.classes[0] = sg_strdup("not_signing", err)) ||
            !(r->d.classes[1] = sg_strdup("signing", err)))
            rc = -1;
        free(names);
        return rc;
    }
    struct class_list cl;
    if (c->classes[0]) {
        rc = class_list_from_names(&cl, c->classes, err);
    } else {
        bool *used = sg_calloc(nl ? nl : 1, sizeof(bool), "labels", err);
        if (!used) {
            free(names);
            return -1;
        }
        for (size_t v = 0; v < ds->n_videos; v++) {
            if (r->is_val_video[v]) continue;
            const struct data_video *dv = &ds->videos[v];
            for (size_t w = 0; w < dv->n_windows; w++) {
                int32_t l = ds->windows[dv->first_window + w].label;
                if (l >= 0) used[l] = true;
            }
        }
        rc = class_list_from_labels(&cl, names, nl, used, err);
        free(used);
    }
    if (rc == 0 && class_list_set_outputs(&cl, c->num_classes, r->hooks->warn, err)) {
        class_list_free(&cl);
        rc = -1;
    }
    if (rc == 0) {
        class_list_map(&cl, names, nl, r->class_of_label);
        r->d.num_classes = cl.num_outputs;
        r->d.classes = sg_calloc(cl.num_outputs, sizeof(char *), "classes", err);
        for (size_t k = 0; r->d.classes && k < cl.num_outputs; k++) {
            char buf[64];
            if (!(r->d.classes[k] = sg_strdup(class_list_output_name(&cl, k, buf, sizeof buf), err)))
                rc = -1;
        }
        if (!r->d.classes) rc = -1;
        class_list_free(&cl);
    }
    free(names);
    return rc;
}

static int select_windows(struct run *r, struct error *err)
{
    const struct dataset *ds = &r->ds;
    r->train_idx = sg_malloc(ds->n_windows ? ds->n_windows : 1, sizeof(size_t), "windows", err);
    r->val_idx = sg_malloc(ds->n_windows ? ds->n_windows : 1, sizeof(size_t), "windows", err);
    if (!r->train_idx || !r->val_idx) return -1;
    size_t unlabelled = 0, not_class = 0;
    for (size_t v = 0; v < ds->n_videos; v++) {
        const struct data_video *dv = &ds->videos[v];
        for (size_t w = 0; w < dv->n_windows; w++) {
            size_t i = dv->first_window + w;
            int32_t l = ds->windows[i].label;
            if (l < 0) {
                unlabelled++;
                continue;
            }
            if (r->class_of_label[l] < 0) {
                not_class++;
                continue;
            }
            if (r->is_val_video[v]) r->val_idx[r->n_val++] = i;
            else r->train_idx[r->n_train++] = i;
        }
    }
    if (r->cfg->max_samples && r->n_train > r->cfg->max_samples) {
        rng_shuffle(&r->rng_split, r->train_idx, r->n_train, sizeof(size_t));
        r->n_train = r->cfg->max_samples;
        /* keep dataset order: the epoch shuffle does the rest */
        for (size_t i = 1; i < r->n_train; i++)
            for (size_t k = i; k > 0 && r->train_idx[k - 1] > r->train_idx[k]; k--) {
                size_t t = r->train_idx[k];
                r->train_idx[k] = r->train_idx[k - 1];
                r->train_idx[k - 1] = t;
            }
    }
    size_t n_train_videos = 0, n_val_videos = 0;
    for (size_t v = 0; v < ds->n_videos; v++)
        if (ds->videos[v].n_windows) {
            if (r->is_val_video[v]) n_val_videos++;
            else n_train_videos++;
        }
    info(r->hooks, "data: %zu videos (%zu train, %zu val), %zu windows: %zu train, %zu val, "
         "%zu unlabelled, %zu whose label is not a class", ds->n_videos, n_train_videos,
         n_val_videos, ds->n_windows, r->n_train, r->n_val, unlabelled, not_class);
    if (r->n_train == 0)
        return error_set(err, "no labelled training windows in '%s'", r->cfg->data_dir);
    if (r->n_val == 0 && r->cfg->splits_json[0])
        return error_set(err, "the val split of '%s' has no labelled window in '%s' (%zu "
                         "validation videos loaded); list annotated videos that have an npz "
                         "under splits.val", r->cfg->splits_json, r->cfg->data_dir,
                         n_val_videos);
    if (r->n_val == 0)
        return error_set(err, "no labelled validation windows in '%s' (%zu videos)",
                         r->cfg->data_dir, ds->n_videos),
               error_hint(err, "give a splits file with --splits-json, or more videos");
    return 0;
}

/* Window statistics (n × S) of the given windows, in chunks through the batch filler. */
static int window_stats(struct run *r, const size_t *idx, size_t n, float *out,
                        struct error *err)
{
    (void)err;
    const size_t chunk = 256;
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        dataset_fill_batch(&r->ds, idx + i, k, NULL, out + i * r->S, NULL, NULL);
    }
    return 0;
}

static int assign_signers(struct run *r, struct error *err)
{
    const struct train_config *c = r->cfg;
    struct dataset *ds = &r->ds;
    r->signer_of_window = sg_malloc(ds->n_windows ? ds->n_windows : 1, sizeof(int),
                                    "signers", err);
    if (!r->signer_of_window) return -1;
    for (size_t i = 0; i < ds->n_windows; i++) r->signer_of_window[i] = -1;
    if (c->signer_source == SIGNER_SOURCE_NONE) return 0;
    if (c->signer_source == SIGNER_SOURCE_REAL) {
        char *path = NULL;
        struct signers sg;
        if (signers_find(c->data_dir, c->data.signers[0] ? c->data.signers : NULL, &path, err))
            return -1;
        if (!path)
            return error_set(err, "--signer-source real needs a signers file: '%s/signers.txt' "
                             "does not exist", c->data_dir),
                   error_hint(err, "pass --signers FILE");
        int rc = signers_read(&sg, path, err);
        free(path);
        if (rc) return -1;
        /* distinct ids of the training videos, byte order */
        char **ids = sg_calloc(ds->n_videos ? ds->n_videos : 1, sizeof(char *), "signers", err);
        size_t n_ids = 0;
        const char **of_video = sg_calloc(ds->n_videos ? ds->n_videos : 1, sizeof(char *),
                                          "signers", err);
        if (!ids || !of_video) rc = -1;
        for (size_t v = 0; rc == 0 && v < ds->n_videos; v++) {
            if (r->is_val_video[v] || !ds->videos[v].n_windows) continue;
            const char *s = signers_lookup(&sg, ds->videos[v].id);
            if (!s) {
                rc = error_set(err, "%s: training video '%s' has no signer line", sg.path,
                               ds->videos[v].id);
                break;
            }
            of_video[v] = s;
            size_t k = 0;
            while (k < n_ids && strcmp(ids[k], s) < 0) k++;
            if (k < n_ids && !strcmp(ids[k], s)) continue;
            memmove(ids + k + 1, ids + k, (n_ids - k) * sizeof *ids);
            if (!(ids[k] = sg_strdup(s, err))) rc = -1;
            n_ids++;
        }
        for (size_t v = 0; rc == 0 && v < ds->n_videos; v++) {
            if (!of_video[v]) continue;
            int id = 0;
            while (strcmp(ids[id], of_video[v])) id++;
            const struct data_video *dv = &ds->videos[v];
            for (size_t w = 0; w < dv->n_windows; w++) r->signer_of_window[dv->first_window + w] = id;
        }
        free(of_video);
        signers_free(&sg);
        if (rc) {
            for (size_t k = 0; k < n_ids; k++) free(ids[k]);
            free(ids);
            return -1;
        }
        r->d.num_signers = n_ids;
        r->d.signers = ids;
        info(r->hooks, "signers: %zu real signers in the training videos", n_ids);
        return n_ids >= 2 ? 0 : error_set(err, "the training videos have %zu signer(s); the "
                                          "signer head needs at least 2", n_ids);
    }
    /* pseudo-signers: K-means on signer statistics (SPEC §5) */
    const size_t K = c->num_pseudo_signers, S = r->S;
    float *wstats = sg_malloc(ds->n_windows ? ds->n_windows : 1, S * sizeof(float), "stats", err);
    size_t *all = sg_malloc(ds->n_windows ? ds->n_windows : 1, sizeof(size_t), "stats", err);
    bool *is_train = sg_calloc(ds->n_windows ? ds->n_windows : 1, sizeof(bool), "stats", err);
    double *points = NULL, *video_point = NULL;
    int rc = -1;
    if (!wstats || !all || !is_train) goto out;
    for (size_t i = 0; i < ds->n_windows; i++) all[i] = i;
    window_stats(r, all, ds->n_windows, wstats, err);
    for (size_t i = 0; i < r->n_train; i++) is_train[r->train_idx[i]] = true;
    size_t n_points = 0;
    video_point = sg_calloc(ds->n_videos ? ds->n_videos : 1, S * sizeof(double), "pseudo", err);
    if (!video_point) goto out;
    if (c->pseudo_by == PSEUDO_BY_VIDEO) {
        /* each training video's point: mean over its labelled training windows; any other
         * video: mean over all its windows */
        points = sg_calloc(ds->n_videos ? ds->n_videos : 1, S * sizeof(double), "pseudo", err);
        if (!points) goto out;
        for (size_t v = 0; v < ds->n_videos; v++) {
            const struct data_video *dv = &ds->videos[v];
            size_t cnt = 0, cnt_all = 0;
            double *p = video_point + v * S;
            double tmp[2 * DATA_COORDS_MAX] = {0};
            for (size_t w = 0; w < dv->n_windows; w++) {
                size_t i = dv->first_window + w;
                for (size_t k = 0; k < S; k++) tmp[k] += (double)wstats[i * S + k];
                cnt_all++;
                if (!is_train[i]) continue;
                for (size_t k = 0; k < S; k++) p[k] += (double)wstats[i * S + k];
                cnt++;
            }
            if (cnt) {
                for (size_t k = 0; k < S; k++) p[k] /= (double)cnt;
                memcpy(points + n_points * S, p, S * sizeof(double));
                n_points++;
            } else if (cnt_all) {
                for (size_t k = 0; k < S; k++) p[k] = tmp[k] / (double)cnt_all;
            }
        }
    } else {
        points = sg_malloc(r->n_train ? r->n_train : 1, S * sizeof(double), "pseudo", err);
        if (!points) goto out;
        for (size_t i = 0; i < r->n_train; i++)
            for (size_t k = 0; k < S; k++)
                points[n_points * S + k] = (double)wstats[r->train_idx[i] * S + k];
        n_points = r->n_train;
    }
    if (n_points < K) {
        error_set(err, "--num-pseudo-signers %zu needs at least %zu %s, the training set has %zu",
                  K, K, c->pseudo_by == PSEUDO_BY_VIDEO ? "training videos" : "training windows",
                  n_points);
        goto out;
    }
    r->d.num_signers = K;
    r->d.pseudo_centroids = sg_malloc(K, S * sizeof(double), "pseudo", err);
    if (!r->d.pseudo_centroids) goto out;
    double *centroids = r->d.pseudo_centroids;
    double inertia = 0.0;
    if (r->root) { /* K-means once, on rank 0; the other ranks receive its centroids */
        struct kmeans_config kc;
        kmeans_config_default(&kc);
        kc.k = K;
        kc.seed = c->pseudo_seed;
        struct kmeans_result km;
        if (kmeans_fit(points, n_points, S, &kc, &km, err)) goto out;
        memcpy(centroids, km.centres, K * S * sizeof(double));
        inertia = km.inertia;
        kmeans_result_free(&km);
    }
    if (r->sharded) dist_bcast_f64(r->dist, centroids, K * S);
    for (size_t v = 0; v < ds->n_videos; v++) {
        const struct data_video *dv = &ds->videos[v];
        for (size_t w = 0; w < dv->n_windows; w++) {
            size_t i = dv->first_window + w;
            double pt[2 * DATA_COORDS_MAX];
            for (size_t k = 0; k < S; k++)
                pt[k] = c->pseudo_by == PSEUDO_BY_VIDEO ? video_point[v * S + k]
                                                        : (double)wstats[i * S + k];
            r->signer_of_window[i] = (int)kmeans_assign(centroids, K, S, pt);
        }
    }
    info(r->hooks, "pseudo-signers: K-means with K=%zu on %zu %s points, inertia %.6g", K,
         n_points, pseudo_by_name(c->pseudo_by), inertia);
    rc = 0;
out:
    free(wstats);
    free(all);
    free(is_train);
    free(points);
    free(video_point);
    return rc;
}

static void class_weights(struct run *r)
{
    r->use_class_w = false;
    if (!r->cfg->data.binary || !r->cfg->class_weights) return;
    size_t pos = 0;
    for (size_t i = 0; i < r->n_train; i++)
        pos += r->class_of_label[r->ds.windows[r->train_idx[i]].label] == 1;
    size_t neg = r->n_train - pos;
    if (!pos || !neg) {
        warn_emit(r->hooks->warn, "class weights off: the training windows have %zu signing "
                  "and %zu not-signing windows", pos, neg);
        return;
    }
    r->use_class_w = true;
    r->class_w[0] = 1.0f;
    r->class_w[1] = (float)((double)neg / (double)pos);
    info(r->hooks, "class weights: [1, %.6g] (%zu not-signing / %zu signing windows)",
         (double)r->class_w[1], neg, pos);
}

/* ---- batches and evaluation ------------------------------------------------------------ */

static void fill(struct run *r, const size_t *idx, size_t n)
{
    dataset_fill_batch(&r->ds, idx, n, r->x, r->stats, r->lab, r->class_of_label);
    for (size_t b = 0; b < n; b++) {
        r->y[b] = r->lab[b];
        r->sig[b] = r->signer_of_window[idx[b]];
    }
}

/* The model's input for n filled windows: x itself, or its streams. */
static const float *model_input(struct run *r, size_t n)
{
    if (!r->xf) return r->x;
    features_apply(r->x, n, r->T, r->J, r->C, r->cfg->features, r->parent, r->xf);
    return r->xf;
}

/* A training batch: fill, then augment each window with the draw of its place in the run
 * (`first` = epoch × training windows + the batch's position in the epoch's order). Only
 * training batches are augmented, never validation. */
static void fill_train(struct run *r, const size_t *idx, size_t n, uint64_t first)
{
    fill(r, idx, n);
    if (!r->augment_on) return;
    const size_t F = r->T * r->J * r->C;
    for (size_t b = 0; b < n; b++) {
        const struct data_window *w = &r->ds.windows[idx[b]];
        struct augment_draw d;
        augment_draw_make(&r->cfg->aug, r->aug_key, first + b, &d);
        augment_fill_window(&r->ds, w->video, w->start, &r->cfg->aug, &r->aug_parts, &d,
                            r->x + b * F);
    }
}

static int argmax(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (v[k] > v[best]) best = k;
    return (int)best;
}

/* softmax of logits (n) into p; returns log p[y] (double). */
static double softmax_row(const float *logits, size_t n, float *p, int y)
{
    double mx = logits[0];
    for (size_t k = 1; k < n; k++)
        if ((double)logits[k] > mx) mx = (double)logits[k];
    double s = 0;
    for (size_t k = 0; k < n; k++) s += exp((double)logits[k] - mx);
    for (size_t k = 0; k < n; k++) p[k] = (float)(exp((double)logits[k] - mx) / s);
    return y >= 0 ? (double)logits[y] - mx - log(s) : 0.0;
}

static int evaluate(struct run *r, double *v, struct error *err)
{
    const size_t NC = r->d.num_classes, n = r->n_val;
    float *probs = sg_malloc(n, NC * sizeof(float), "evaluation", err);
    int *yt = sg_malloc(n, sizeof(int), "evaluation", err), *yp = sg_malloc(n, sizeof(int), "evaluation", err);
    int rc = -1;
    if (!probs || !yt || !yp) goto out;
    double wsum = 0, lsum = 0;
    /* in a data-parallel run rank 0 evaluates in batches of its training shard, so that its
     * activation arena stays the size of a shard, not of the global batch */
    size_t EB = r->B;
    if (r->sharded) dist_shard(r->B, r->dist->size - 1, r->dist->size, &(size_t){0}, &EB);
    for (size_t i = 0; i < n; i += EB) {
        size_t k = n - i < EB ? n - i : EB;
        fill(r, r->val_idx + i, k);
        if (model_reserve(&r->m, k, r->T, err)) goto out;
        struct model_inputs in = {.B = k, .T = r->T, .x = model_input(r, k), .stats = r->stats};
        model_forward(&r->m, &in, false, NULL);
        for (size_t b = 0; b < k; b++) {
            double lp = softmax_row(r->m.act.logits + b * NC, NC, probs + (i + b) * NC, r->y[b]);
            double w = r->use_class_w ? (double)r->class_w[r->y[b]] : 1.0;
            lsum -= w * lp;
            wsum += w;
            yt[i + b] = r->y[b];
            yp[i + b] = argmax(probs + (i + b) * NC, NC);
        }
    }
    struct metrics mt;
    if (metrics_compute(yt, yp, probs, n, NC, r->cfg->data.binary, &mt, err)) goto out;
    v[HIST_VAL_LOSS] = wsum > 0 ? lsum / wsum : (double)NAN;
    v[HIST_VAL_ACC] = mt.acc;
    v[HIST_VAL_PR_AUC] = mt.pr_auc;
    v[HIST_VAL_F1] = mt.f1;
    v[HIST_VAL_BALANCED_ACC] = mt.balanced_acc;
    rc = 0;
out:
    free(probs);
    free(yt);
    free(yp);
    return rc;
}

/* ---- outputs ------------------------------------------------------------------------------- */

static const char *const hist_names[HIST_COLS] = {
    "train_loss", "train_acc", "val_loss", "val_acc", "val_pr_auc", "val_f1",
    "val_balanced_acc", "lambda_grl", "seconds"};

static int write_csv(const char *dir, const double *hist, size_t epochs, struct error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    struct atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    fprintf(af.fp, "epoch");
    for (int c = 0; c < HIST_COLS; c++) {
        csv_sep(af.fp);
        csv_write_field(af.fp, hist_names[c]);
    }
    fprintf(af.fp, "\n");
    for (size_t e = 0; e < epochs; e++) {
        fprintf(af.fp, "%zu", e + 1);
        for (int c = 0; c < HIST_COLS; c++) fprintf(af.fp, ",%.9g", hist[e * HIST_COLS + c]);
        fprintf(af.fp, "\n");
    }
    return atomic_file_commit(&af, err);
}

/* training_curves.png: the loss per epoch (train and val) beside the chosen metric —
 * accuracy for --best-metric acc or loss (train and val), else the validation F1 or PR-AUC. */
static int write_curves(const struct train_config *cfg, const double *hist, size_t epochs,
                        struct error *err)
{
    double *x = sg_malloc(epochs ? epochs : 1, 5 * sizeof(double), "curves", err);
    if (!x) return -1;
    double *tl = x + epochs, *vl = tl + epochs, *ta = vl + epochs, *vm = ta + epochs;
    const bool acc = cfg->best_metric == BEST_ACC || cfg->best_metric == BEST_LOSS;
    const int col = acc ? HIST_VAL_ACC
                        : cfg->best_metric == BEST_F1 ? HIST_VAL_F1 : HIST_VAL_PR_AUC;
    for (size_t e = 0; e < epochs; e++) {
        const double *h = hist + e * HIST_COLS;
        x[e] = (double)(e + 1);
        tl[e] = h[HIST_TRAIN_LOSS];
        vl[e] = h[HIST_VAL_LOSS];
        ta[e] = h[HIST_TRAIN_ACC];
        vm[e] = h[col];
    }
    const char *mname = acc ? "accuracy" : best_metric_name(cfg->best_metric);
    struct plot_series loss[2] = {{"train", x, tl, epochs}, {"val", x, vl, epochs}};
    struct plot_series met[2] = {{"train", x, ta, epochs}, {"val", x, vm, epochs}};
    struct plot_panel panels[2] = {
        {.title = "loss", .xlabel = "epoch", .ylabel = "loss", .series = loss, .n_series = 2},
        {.title = mname, .xlabel = "epoch", .ylabel = mname, .series = acc ? met : met + 1,
         .n_series = acc ? 2 : 1},
    };
    char path[TRAIN_PATH_MAX + 32], title[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/training_curves.png", cfg->out_dir);
    snprintf(title, sizeof title, "signstgcn train: %s", cfg->data_dir);
    struct plot_lines_spec spec = {.title = title, .panels = panels, .n_panels = 2};
    int rc = plot_lines(path, &spec, err);
    free(x);
    return rc;
}

static double metric_of(const double *v, enum best_metric b)
{
    switch (b) {
    case BEST_LOSS: return v[HIST_VAL_LOSS];
    case BEST_PR_AUC: return v[HIST_VAL_PR_AUC];
    case BEST_F1: return v[HIST_VAL_F1];
    case BEST_ACC: default: return v[HIST_VAL_ACC];
    }
}

static bool better(double value, double best, bool have_best, enum best_metric b)
{
    if (isnan(value)) return false;
    if (!have_best || isnan(best)) return true;
    return b == BEST_LOSS ? value < best : value > best;
}

/* Epochs since the best --best-metric value of the history (0: the last epoch was best). */
static size_t epochs_since_best(const double *hist, size_t epochs, enum best_metric b)
{
    double best = 0;
    bool have = false;
    size_t at = 0;
    for (size_t e = 0; e < epochs; e++) {
        double v = metric_of(hist + e * HIST_COLS, b);
        if (better(v, best, have, b)) {
            best = v;
            have = true;
            at = e;
        }
    }
    return epochs ? epochs - 1 - at : 0;
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The loop's position, saved in last.safetensors. */
struct loop_state {
    size_t epoch;          /* completed epochs */
    size_t batch;          /* batches done in the epoch in progress */
    double loss_sum, correct, seen;
    double best;
    bool have_best;
    double *hist;          /* epochs × HIST_COLS */
    struct rng shuffle_at_epoch_start;
    int64_t step, mi_step;
};

static int save_last(struct run *r, struct loop_state *ls, const char *config_json,
                     struct error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/last.safetensors", r->cfg->out_dir);
    size_t nh = ls->epoch * HIST_COLS;
    uint64_t pos[2] = {ls->epoch, ls->batch};
    uint64_t sums[3] = {dbits(ls->loss_sum), dbits(ls->correct), dbits(ls->seen)};
    uint64_t best[2] = {dbits(ls->best), ls->have_best};
    uint64_t *hist = sg_malloc(nh ? nh : 1, sizeof(uint64_t), "history", err);
    if (!hist) return -1;
    for (size_t i = 0; i < nh; i++) hist[i] = dbits(ls->hist[i]);
    struct checkpoint_state st = {.optim_step = ls->step, .mi_optim_step = ls->mi_step,
                                  .n_rngs = 4,
                                  .rng_names = {"shuffle_epoch", "shuffle", "dropout", "init"},
                                  .n_extra = 4};
    st.rngs[0] = ls->shuffle_at_epoch_start;
    st.rngs[1] = r->rng_shuffle;
    st.rngs[2] = r->rng_dropout;
    st.rngs[3] = r->rng_init;
    st.extra[0] = (struct checkpoint_extra){"position", pos, 2};
    st.extra[1] = (struct checkpoint_extra){"sums", sums, 3};
    st.extra[2] = (struct checkpoint_extra){"best", best, 2};
    st.extra[3] = (struct checkpoint_extra){"history", hist, nh};
    double mv = ls->epoch ? metric_of(ls->hist + (ls->epoch - 1) * HIST_COLS, r->cfg->best_metric)
                          : (double)NAN;
    struct checkpoint_meta meta = {.config = config_json,
                                   .epoch = (long)(ls->batch ? ls->epoch + 1 : ls->epoch),
                                   .metric = best_metric_name(r->cfg->best_metric),
                                   .metric_value = mv};
    int rc = checkpoint_save(&r->m, path, &meta, &st, err);
    free(hist);
    return rc;
}

static int load_last(struct run *r, struct loop_state *ls, const char *config_json,
                     struct error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/last.safetensors", r->cfg->out_dir);
    struct checkpoint_state st = {.n_rngs = 4,
                                  .rng_names = {"shuffle_epoch", "shuffle", "dropout", "init"},
                                  .n_extra = 4};
    st.extra[0].name = "position";
    st.extra[1].name = "sums";
    st.extra[2].name = "best";
    st.extra[3].name = "history";
    char *stored = NULL;
    int rc = checkpoint_load(&r->m, path, &st, &stored, err);
    if (rc == 0) {
        /* the run must be the same one: every option but epochs, threads and resume */
        struct train_config a, b;
        struct train_derived da, db;
        if (train_config_from_json(stored, path, &a, &da, err) ||
            train_config_from_json(config_json, "this run", &b, &db, err)) {
            rc = -1;
        } else {
            a.epochs = b.epochs;
            a.threads = b.threads;
            a.fixed_threads = b.fixed_threads;
            a.resume = b.resume;
            char *ja = train_config_to_json(&a, &da, err), *jb = train_config_to_json(&b, &db, err);
            if (!ja || !jb) rc = -1;
            else if (strcmp(ja, jb)) {
                rc = error_set(err, "--resume: '%s' was written by a run with other options or "
                               "data", path);
                error_hint(err, "resume with the flags of the original run (only --epochs and "
                           "--threads may change)");
            }
            free(ja);
            free(jb);
            train_derived_free(&da);
            train_derived_free(&db);
        }
    }
    if (rc == 0) {
        if (st.extra[0].n != 2 || st.extra[1].n != 3 || st.extra[2].n != 2 ||
            st.extra[3].n != st.extra[0].data[0] * HIST_COLS) {
            rc = error_set(err, "checkpoint_load: '%s': the loop state is inconsistent", path);
        } else {
            ls->epoch = st.extra[0].data[0];
            ls->batch = st.extra[0].data[1];
            ls->loss_sum = bitsd(st.extra[1].data[0]);
            ls->correct = bitsd(st.extra[1].data[1]);
            ls->seen = bitsd(st.extra[1].data[2]);
            ls->best = bitsd(st.extra[2].data[0]);
            ls->have_best = st.extra[2].data[1] != 0;
            /* the history holds max(done, --epochs) rows: a resumed run may train longer */
            size_t rows = ls->epoch > r->cfg->epochs ? ls->epoch : r->cfg->epochs;
            double *h = sg_calloc(rows ? rows : 1, HIST_COLS * sizeof(double), "history", err);
            if (!h) {
                rc = -1;
            } else {
                free(ls->hist);
                ls->hist = h;
                for (size_t i = 0; i < st.extra[3].n; i++) h[i] = bitsd(st.extra[3].data[i]);
            }
            ls->shuffle_at_epoch_start = st.rngs[0];
            r->rng_shuffle = st.rngs[1];
            r->rng_dropout = st.rngs[2];
            r->rng_init = st.rngs[3];
            ls->step = st.optim_step;
            ls->mi_step = st.mi_optim_step;
        }
    }
    for (size_t x = 0; x < st.n_extra; x++) free(st.extra[x].data);
    free(stored);
    return rc;
}

static int save_best(struct run *r, const char *config_json, size_t epoch, double value,
                     struct error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/best.safetensors", r->cfg->out_dir);
    struct checkpoint_meta meta = {.config = config_json, .epoch = (long)epoch,
                                   .metric = best_metric_name(r->cfg->best_metric),
                                   .metric_value = value};
    return checkpoint_save(&r->m, path, &meta, NULL, err);
}

/* The first prefix of `path` (a folder path) that does not exist, into buf; false when the
 * whole path exists. */
static bool first_missing(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    size_t n = strlen(buf);
    struct stat st;
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (stat(buf, &st) != 0) return true;
        buf[i] = c;
    }
    return false;
}

/* A run that fails leaves no trace in folders it created: its lock file and the folders from
 * `path` up to `top` go if they are empty (rmdir refuses otherwise). */
static void remove_created(const char *path, const char *top)
{
    char buf[TRAIN_PATH_MAX + 32];
    snprintf(buf, sizeof buf, "%s/%s", path, DIR_LOCK_NAME);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s", path);
    const size_t keep = strlen(top);
    for (;;) {
        size_t n = strlen(buf);
        while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
        if (n < keep || rmdir(buf) != 0) break;
        char *slash = strrchr(buf, '/');
        if (!slash || (size_t)(slash - buf) < keep) break;
        *slash = '\0';
    }
}

/* ---- the run ----------------------------------------------------------------------------- */

static void run_free(struct run *r)
{
    dataset_free(&r->ds);
    train_derived_free(&r->d);
    free(r->class_of_label);
    free(r->is_val_video);
    free(r->train_idx);
    free(r->val_idx);
    free(r->signer_of_window);
    model_free(&r->m);
    graph_free(&r->g);
    augment_parts_free(&r->aug_parts);
    free(r->parent);
    free(r->xf);
    free(r->x);
    free(r->stats);
    free(r->probs);
    free(r->lab);
    free(r->y);
    free(r->sig);
    free(r->perm);
    free(r->y_all);
    free(r->sig_all);
}

int trainer_run(const struct train_config *cfg, const struct trainer_hooks *hooks,
                struct error *err)
{
    struct run rr;
    struct run *r = &rr;
    memset(r, 0, sizeof *r);
    r->cfg = cfg;
    r->hooks = hooks;
    r->dist = hooks->dist;
    r->sharded = r->dist && r->dist->size > 1;
    r->root = !r->dist || r->dist->rank == 0;
    stop_requested = 0;
    char *config_json = NULL;
    struct loop_state ls = {0};
    int status = TRAINER_FAILED;
    struct dir_lock lock = {-1};
    char created[TRAIN_PATH_MAX];
    bool created_top = false;
    struct thread_gov gov;
    thread_gov_init(&gov, 1); /* idle until the steps start */

    struct rng base;
    rng_seed(&base, cfg->seed);
    rng_split(&base, &r->rng_split);
    rng_split(&base, &r->rng_init);
    rng_split(&base, &r->rng_shuffle);
    rng_split(&base, &r->rng_dropout);
    {
        /* a fifth generator, split after the four older ones so that they are unchanged */
        struct rng rng_aug;
        rng_split(&base, &rng_aug);
        r->aug_key = rng_u64(&rng_aug);
    }
    r->augment_on = !augment_is_off(&cfg->aug);
    if (augment_check(&cfg->aug, err)) goto out;
    if (cfg->aug.mirror > 0 && cfg->data.include_face) {
        error_set(err, "--aug-mirror cannot mirror the face: its left/right point pairs are not "
                  "in the topology");
        error_hint(err, "leave --include-face out, or set --aug-mirror 0");
        goto out;
    }

    if (cfg->use_mi_minimization && cfg->signer_source == SIGNER_SOURCE_NONE) {
        error_set(err, "--use-mi-minimization needs a signer source");
        error_hint(err, "add --use-pseudo-signers or --signer-source real");
        goto out;
    }
    /* the output folder first: a second run into it, or a folder that cannot be made, fails
     * before the data is loaded rather than after an epoch */
    /* (rank 0's alone in a data-parallel run: it writes every file) */
    if (r->root) {
        created_top = first_missing(cfg->out_dir, created, sizeof created);
        if (dir_make_all(cfg->out_dir, err) ||
            dir_lock_acquire(&lock, cfg->out_dir, "--out", err))
            goto out;
    }
    if (dataset_load(&r->ds, cfg->data_dir, &cfg->data, true, hooks->warn, err)) goto out;
    if (cfg->max_files && r->ds.n_videos > cfg->max_files) {
        /* the first --max-files videos in byte order; the others' windows are not used */
        for (size_t v = cfg->max_files; v < r->ds.n_videos; v++) r->ds.videos[v].n_windows = 0;
    }
    r->J = r->ds.layout.joints;
    r->C = r->ds.layout.coords;
    r->S = 2 * r->C;
    r->T = cfg->data.window;
    r->B = cfg->batch;
    if (augment_parts_init(&r->aug_parts, r->ds.layout.skeleton, r->C, r->ds.layout.part_offset,
                           r->ds.layout.part_joints, err))
        goto out;
    if (choose_split(r, err) || map_classes(r, err) || select_windows(r, err) ||
        assign_signers(r, err))
        goto out;
    class_weights(r);
    {
        /* every epoch's validation builds an NC x NC confusion matrix: a --num-classes the
         * machine cannot hold fails now, not after the first epoch */
        const size_t NC = r->d.num_classes;
        size_t cm;
        if (!size_mul(NC, NC, &cm) || !size_mul(cm, sizeof(size_t), &cm)) cm = SIZE_MAX;
        if (cm >= MEM_CHECK_MIN && cm > mem_available()) {
            char need[32], have[32];
            error_set(err, "--num-classes %zu: the validation confusion matrix (%zu x %zu) "
                      "needs %s, more than the %s of memory available; lower --num-classes",
                      NC, NC, NC, format_bytes(cm, need, sizeof need),
                      format_bytes(mem_available(), have, sizeof have));
            goto out;
        }
    }
    if (r->B > r->n_train) {
        /* a batch larger than the training set is one batch of all of it: the same step,
         * without an activation arena sized for windows that do not exist */
        info(hooks, "batch: --batch %zu is more than the %zu training windows; batches of %zu",
             r->B, r->n_train, r->n_train);
        r->B = r->n_train;
    }
    r->d.num_joints = r->J;
    r->d.skeleton = r->ds.layout.skeleton;
    r->d.face_points_in_file = r->ds.layout.face_in_file              ? r->ds.layout.face_in_file
                               : r->d.skeleton == SKELETON_OPENPOSE ? 70
                                                                    : 478;
    r->d.stats_size = r->S;
    const enum graph_kind graph = cfg->graph == GRAPH_AUTO
                                      ? graph_kind_of_skeleton(r->d.skeleton)
                                      : cfg->graph;
    if (graph != GRAPH_CHAIN && graph != graph_kind_of_skeleton(r->d.skeleton)) {
        error_set(err, "--graph %s needs %s landmarks, but '%s' holds %s's (%s)",
                  graph_kind_name(graph), graph == GRAPH_OPENPOSE ? "OpenPose" : "MediaPipe",
                  cfg->data_dir, skeleton_name(r->d.skeleton),
                  skeleton_info(r->d.skeleton)->description);
        error_hint(err, "leave --graph out (auto) to use the data's skeleton");
        goto out;
    }
    if (trainer_build_model(cfg, &r->d, &r->g, &r->m, err)) goto out;
    model_init_weights(&r->m, &r->rng_init);
    {
        /* the stored configuration names the files actually used (SPEC §6: resolved values) */
        struct train_config resolved = *cfg;
        resolved.graph = graph; /* auto is stored as the skeleton it chose */
        snprintf(resolved.data.groundtruth, sizeof resolved.data.groundtruth, "%s",
                 r->ds.groundtruth_path ? r->ds.groundtruth_path : "");
        char *sp = NULL;
        if (signers_find(cfg->data_dir, cfg->data.signers[0] ? cfg->data.signers : NULL, &sp,
                         err))
            goto out;
        snprintf(resolved.data.signers, sizeof resolved.data.signers, "%s", sp ? sp : "");
        free(sp);
        config_json = train_config_to_json(&resolved, &r->d, err);
        if (!config_json) goto out;
    }
    info(hooks, "config: %s", config_json);
    info(hooks, "model: J=%zu C=%zu classes=%zu signers=%zu parameters=%zu", r->J, r->C,
         r->d.num_classes, r->d.num_signers, params_count(&r->m.pt, PARAM_TRAINED));

    const size_t B = r->B, n = r->n_train, NC = r->d.num_classes;
    r->x = sg_malloc(B * r->T * r->J, r->C * sizeof(float), "batch", err);
    r->stats = sg_malloc(B, r->S * sizeof(float), "batch", err);
    r->probs = sg_malloc(B, NC * sizeof(float), "batch", err);
    r->lab = sg_malloc(B, sizeof(int32_t), "batch", err);
    r->y = sg_malloc(B, sizeof(int), "batch", err);
    r->sig = sg_malloc(B, sizeof(int), "batch", err);
    r->perm = sg_malloc(n, sizeof(size_t), "batch", err);
    r->y_all = sg_malloc(B, sizeof(int), "batch", err);
    r->sig_all = sg_malloc(B, sizeof(int), "batch", err);
    if (cfg->features != FEATURE_JOINTS) {
        if (trainer_feature_parents(cfg, &r->d, &r->parent, err)) goto out;
        r->xf = sg_malloc(B * r->T * r->J, r->C * features_count(cfg->features) * sizeof(float),
                          "batch", err);
        if (!r->xf) goto out;
    }
    ls.hist = sg_calloc(cfg->epochs ? cfg->epochs : 1, HIST_COLS * sizeof(double), "history", err);
    if (!r->x || !r->stats || !r->probs || !r->lab || !r->y || !r->sig || !r->perm || !ls.hist ||
        !r->y_all || !r->sig_all)
        goto out;
    if (r->sharded) {
        size_t f, kl;
        dist_shard(B, r->dist->size - 1, r->dist->size, &f, &kl); /* the largest shard */
        if (model_reserve_shard(&r->m, kl, B, r->T, err)) goto out;
        info(hooks, "data-parallel: %d ranks, batches of %zu windows split %zu..%zu per rank, "
             "%zu trained parameters summed per step", r->dist->size, B, B / r->dist->size,
             kl, params_count(&r->m.pt, PARAM_TRAINED));
    } else if (model_reserve(&r->m, B, r->T, err)) {
        goto out;
    }

    ls.shuffle_at_epoch_start = r->rng_shuffle;
    if (cfg->resume) {
        /* history may hold more epochs than this run's --epochs: allocate for both */
        char path[TRAIN_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/last.safetensors", cfg->out_dir);
        struct stat sb;
        if (stat(path, &sb) != 0) {
            error_set(err, "--resume: '%s' does not exist", path);
            goto out;
        }
        if (load_last(r, &ls, config_json, err)) goto out;
        info(hooks, "resumed from %s: %zu epochs done%s", path, ls.epoch,
             ls.batch ? ", mid-epoch" : "");
    }

    struct adam_config opt, mi_opt;
    adam_config_default(&opt);
    opt.lr = cfg->lr;
    opt.weight_decay = cfg->weight_decay;
    adam_config_default(&mi_opt);
    mi_opt.lr = cfg->lr;
    const size_t n_batches = (n + B - 1) / B;
    const int64_t first_step = ls.step;
    const double total_steps = (double)(cfg->epochs * n_batches);
    const double warmup_steps = floor(cfg->warmup_epochs * (double)n_batches + 0.5);
    int *signer_arg = r->d.num_signers ? r->sig : NULL;
    /* the thread count, step by step (not with ranks: a step's time there includes the others') */
    const int max_threads = omp_get_max_threads();
    thread_gov_init(&gov, cfg->fixed_threads || r->sharded ? 1 : max_threads);
    for (; ls.epoch < cfg->epochs; ls.epoch++) {
        if (cfg->patience && ls.batch == 0 &&
            epochs_since_best(ls.hist, ls.epoch, cfg->best_metric) >= cfg->patience) {
            info(hooks, "early stop: no better %s in the last %zu epochs (--patience %zu)",
                 best_metric_name(cfg->best_metric), cfg->patience, cfg->patience);
            break;
        }
        double t0 = now_s();
        /* the epoch's permutation from the generator state at its start */
        r->rng_shuffle = ls.shuffle_at_epoch_start;
        for (size_t i = 0; i < n; i++) r->perm[i] = r->train_idx[i];
        rng_shuffle(&r->rng_shuffle, r->perm, n, sizeof(size_t));
        if (ls.batch == 0) ls.loss_sum = ls.correct = ls.seen = 0;
        const size_t first_batch = ls.batch;
        double lambda = cfg->lambda_grl;
        for (size_t b = ls.batch; b < n_batches; b++) {
            size_t lo = b * B, k = n - lo < B ? n - lo : B;
            /* this rank's shard [f, f + kl) of the batch (all of it alone) */
            size_t f = 0, kl = k;
            struct model_shard shard = {0};
            if (r->sharded) {
                dist_shard(k, r->dist->rank, r->dist->size, &f, &kl);
                for (size_t i = 0; i < k; i++) {
                    const size_t wi = r->perm[lo + i];
                    r->y_all[i] = r->class_of_label[r->ds.windows[wi].label];
                    r->sig_all[i] = r->signer_of_window[wi];
                }
                shard = (struct model_shard){.dist = r->dist, .B_all = k, .first = f,
                                             .y_all = r->y_all,
                                             .signer_all = signer_arg ? r->sig_all : NULL};
            }
            fill_train(r, r->perm + lo + f, kl, (uint64_t)ls.epoch * n + lo + f);
            if (r->sharded ? model_reserve_shard(&r->m, kl, k, r->T, err)
                           : model_reserve(&r->m, k, r->T, err))
                goto out;
            struct model_inputs in = {.B = kl, .T = r->T, .x = model_input(r, kl),
                                      .stats = r->stats,
                                      .y = r->y, .signer = signer_arg,
                                      .shard = r->sharded ? &shard : NULL};
            lambda = cfg->grl_schedule == GRL_DANN && total_steps > 0
                         ? cfg->lambda_grl *
                               (2.0 / (1.0 + exp(-10.0 * (double)ls.step / total_steps)) - 1.0)
                         : cfg->lambda_grl;
            struct model_loss_config lc = {
                .class_weights = r->use_class_w ? r->class_w : NULL,
                .signer_loss_weight = (float)cfg->signer_loss_weight,
                .lambda_grl = (float)lambda, .supcon = cfg->use_supcon,
                .supcon_weight = (float)cfg->supcon_weight,
                .supcon_temp = (float)cfg->supcon_temp, .mi_weight = (float)cfg->mi_weight,
                .mi_adam = &mi_opt, .mi_step = ls.mi_step + 1,
                .label_smoothing = cfg->label_smoothing};
            thread_gov_begin(&gov);
            const double step_t0 = now_s(), step_c0 = cpu_s();
            model_forward(&r->m, &in, true, &r->rng_dropout);
            struct model_losses L;
            model_backward(&r->m, &in, &lc, &L);
            if (cfg->use_mi_minimization) ls.mi_step++;
            /* the whole batch's gradient: one all-reduce over the trained range */
            if (r->sharded)
                dist_sum_f32(r->dist, r->m.pt.grad + r->m.pt.kind_begin[PARAM_TRAINED],
                             r->m.pt.kind_end[PARAM_TRAINED] - r->m.pt.kind_begin[PARAM_TRAINED]);
            grad_clip(r->m.pt.grad, r->m.pt.kind_begin[PARAM_TRAINED],
                      r->m.pt.kind_end[PARAM_TRAINED], cfg->clip_grad);
            /* the step's learning rate from its 0-based index over the whole run (so a resumed
             * run continues the schedule exactly) */
            opt.lr = lr_at_step(cfg->lr_schedule, cfg->lr, (double)ls.step, warmup_steps,
                                total_steps);
            ls.step++;
            adam_step(r->m.pt.data, r->m.pt.grad, r->m.pt.m, r->m.pt.v,
                      r->m.pt.kind_begin[PARAM_TRAINED], r->m.pt.kind_end[PARAM_TRAINED], &opt,
                      ls.step);
            thread_gov_end(&gov, now_s() - step_t0, cpu_s() - step_c0, (double)k);
            ls.loss_sum += L.total * (double)k;
            double correct = 0.0;
            for (size_t i = 0; i < kl; i++)
                correct += argmax(r->m.act.logits + i * NC, NC) == r->y[i];
            ls.seen += (double)k;
            ls.batch = b + 1;
            if (hooks->progress) {
                double el = now_s() - t0;
                hooks->progress(hooks->ctx, ls.epoch + 1, cfg->epochs, b + 1, n_batches,
                                (double)(b + 1 - first_batch) * (double)B / (el + 1e-9),
                                ls.loss_sum / ls.seen, el);
            }
            bool stop = stop_requested != 0;
            if (r->sharded) {
                /* the batch's count, and whether any rank was asked to stop */
                double v2[2] = {correct, stop ? 1.0 : 0.0};
                dist_sum_f64(r->dist, v2, 2);
                correct = v2[0];
                stop = v2[1] > 0.0;
            }
            ls.correct += correct;
            if (stop && b + 1 < n_batches) {
                if (r->root && save_last(r, &ls, config_json, err)) goto out;
                /* the others end only once the checkpoint is written: mpirun takes a rank
                 * that exits 130 for a failure and kills the rest a second later */
                if (r->sharded) dist_barrier(r->dist);
                info(hooks, "interrupted in epoch %zu after batch %zu of %zu: %s/last.safetensors "
                     "written; continue with --resume", ls.epoch + 1, b + 1, n_batches,
                     cfg->out_dir);
                status = TRAINER_INTERRUPTED;
                goto out;
            }
        }
        double *v = ls.hist + ls.epoch * HIST_COLS;
        v[HIST_TRAIN_LOSS] = ls.loss_sum / ls.seen;
        v[HIST_TRAIN_ACC] = ls.correct / ls.seen;
        if (r->root && evaluate(r, v, err)) goto out;
        v[HIST_LAMBDA] = lambda;
        v[HIST_SECONDS] = now_s() - t0;
        if (r->sharded) /* rank 0's validation: every rank then takes the same decisions */
            dist_bcast_f64(r->dist, v, HIST_COLS);
        double mv = metric_of(v, cfg->best_metric);
        bool is_best = better(mv, ls.best, ls.have_best, cfg->best_metric);
        if (is_best) {
            ls.best = mv;
            ls.have_best = true;
            if (r->root && cfg->save_best && save_best(r, config_json, ls.epoch + 1, mv, err))
                goto out;
        }
        ls.batch = 0;
        ls.shuffle_at_epoch_start = r->rng_shuffle;
        ls.epoch++;
        if (r->root && save_last(r, &ls, config_json, err)) goto out;
        if (r->root && cfg->log_csv && write_csv(cfg->out_dir, ls.hist, ls.epoch, err)) goto out;
        ls.epoch--;
        if (hooks->epoch_done) {
            struct epoch_result er = {.epoch = ls.epoch + 1, .epochs = cfg->epochs, .best = is_best};
            memcpy(er.v, v, sizeof er.v);
            hooks->epoch_done(hooks->ctx, &er);
        }
        bool stop = stop_requested != 0;
        if (r->sharded) {
            double v1 = stop ? 1.0 : 0.0;
            dist_sum_f64(r->dist, &v1, 1);
            stop = v1 > 0.0;
        }
        if (stop && ls.epoch + 1 < cfg->epochs) {
            ls.epoch++;
            info(hooks, "interrupted after epoch %zu: continue with --resume", ls.epoch);
            status = TRAINER_INTERRUPTED;
            goto out;
        }
    }
    if (r->root && write_curves(cfg, ls.hist, ls.epoch, err)) goto out;
    if (r->sharded) {
        const double steps = (double)ls.step - (double)first_step;
        info(hooks, "data-parallel: gradient all-reduce %.0f bytes per step, %.3f ms per step "
             "on rank 0 (%.0f steps)", steps > 0 ? r->dist->comm_bytes / steps : 0.0,
             steps > 0 ? 1e3 * r->dist->comm_s / steps : 0.0, steps);
    }
    if (gov.switches)
        info(hooks, "threads: one thread measured faster than %d (a core busy with another "
             "process?) and ran %zu of the %zu steps; --fixed-threads keeps %d", gov.max,
             gov.steps_at_one, gov.steps, gov.max);
    status = TRAINER_OK;
out:
    if (gov.max > 1) omp_set_num_threads(gov.max);
    free(config_json);
    free(ls.hist);
    run_free(r);
    if (status == TRAINER_FAILED && created_top && lock.fd >= 0)
        remove_created(cfg->out_dir, created);
    dir_lock_release(&lock);
    return status;
}
