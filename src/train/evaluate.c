/* evaluate.c — a checkpoint measured on a split of a dataset (see evaluate.h).
 *
 * Set-up follows predict: the configuration comes from the checkpoint, the model is rebuilt
 * from it (trainer_build_model) and its tensors loaded; the dataset is read with the stored
 * data options, the groundtruth being required (SPEC §1.3).
 *
 * Classes. Binary: the checkpoint's --signing-labels (windows_binary_map), so every labelled
 * window has a class. Multi-class: a label is class k when it equals the stored class name k
 * exactly. Unused outputs (--num-classes larger than the classes) are stored under their
 * decimal index (SPEC §6); the trailing outputs whose name is their own index are taken as
 * unused and match no label.
 *
 * Class weights (binary, unless training ran with --no-class-weights). The checkpoint does
 * not store them, so they are recomputed as training computed them: the checkpoint's
 * training videos (its --splits-json train list, or, without one, the 90/10 split replayed
 * with its seed — only when --data is the folder it was trained on), the first --max-files
 * videos, --max-samples drawn with the same generator, w = [1, n_neg/n_pos]. When that is
 * impossible (the split file is gone, another folder, no training window found) the loss is
 * unweighted and weights_note says why.
 *
 * Signers. Real ids from the signers file when there is one; else, for a checkpoint trained
 * with pseudo-signers, the cluster of each window from the stored centroids as SPEC §5 does
 * for videos that are not training videos: `--pseudo-by video` assigns every window of a
 * video by the mean statistics of all its windows, `window` each window by its own.
 *
 * Probe. A multinomial L2 logistic regression (C = 1, standardised features, train/logreg.h)
 * predicts the signer from Z (the GRU output, frozen) of the evaluated windows that have a
 * signer, 5-fold cross-validated over a shuffle of the windows with seed 0. Windows of one
 * video overlap and share its signer, and folds split videos, so the probe measures how much
 * signer identity Z carries, generously; chance is the majority signer's share.
 */
#include "train/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/splits.h"
#include "data/windows.h"
#include "graph/graph.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "train/kmeans.h"
#include "train/logreg.h"
#include "train/infer.h"
#include "train/trainer.h"

void eval_result_free(struct eval_result *r)
{
    if (!r) return;
    for (size_t k = 0; r->classes && k < r->num_classes; k++) free(r->classes[k]);
    free(r->classes);
    free(r->cm);
    for (size_t v = 0; r->videos && v < r->n_videos; v++) free(r->videos[v].name);
    free(r->videos);
    for (size_t s = 0; r->signers && s < r->n_signers; s++) free(r->signers[s].name);
    free(r->signers);
    free(r->signers_path);
    memset(r, 0, sizeof *r);
}

/* label id → class (-1: none). */
static int map_classes(const struct train_config *tc, const struct train_derived *d,
                       const struct dataset *ds, int32_t *class_of_label, struct error *err)
{
    size_t nl = groundtruth_num_labels(&ds->gt);
    if (tc->data.binary) {
        const char **names = sg_calloc(nl ? nl : 1, sizeof *names, "labels", err);
        if (!names) return -1;
        for (size_t i = 0; i < nl; i++) names[i] = groundtruth_label_name(&ds->gt, (int32_t)i);
        struct name_list sl;
        if (name_list_parse(&sl, tc->data.signing_labels, "signing_labels", false, err)) {
            free(names);
            return -1;
        }
        windows_binary_map(&sl, names, nl, class_of_label);
        name_list_free(&sl);
        free(names);
        return 0;
    }
    size_t used = d->num_classes;
    for (; used > 0; used--) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", used - 1);
        if (strcmp(d->classes[used - 1], buf)) break;
    }
    for (size_t i = 0; i < nl; i++) {
        const char *name = groundtruth_label_name(&ds->gt, (int32_t)i);
        class_of_label[i] = -1;
        for (size_t k = 0; k < used; k++)
            if (!strcmp(name, d->classes[k])) {
                class_of_label[i] = (int32_t)k;
                break;
            }
    }
    return 0;
}

static bool same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The training class weights, recomputed (see the header comment). */
static int class_weights(const struct train_config *tc, const struct dataset *ds,
                         const char *data_dir, const int32_t *class_of_label,
                         struct eval_result *r, struct error *err)
{
    r->weighted = false;
    if (!tc->data.binary) {
        snprintf(r->weights_note, sizeof r->weights_note, "multi-class: no class weights");
        return 0;
    }
    if (!tc->class_weights) {
        snprintf(r->weights_note, sizeof r->weights_note,
                 "trained with --no-class-weights: no class weights");
        return 0;
    }
    const size_t nv = ds->n_videos;
    bool *train = sg_calloc(nv ? nv : 1, sizeof(bool), "class weights", err);
    size_t *idx = sg_malloc(ds->n_windows ? ds->n_windows : 1, sizeof(size_t), "class weights", err);
    int rc = -1;
    if (!train || !idx) goto out;
    struct rng base, rs;
    rng_seed(&base, tc->seed);
    rng_split(&base, &rs);
    if (tc->splits_json[0]) {
        struct splits_lists sl;
        struct error e2;
        if (splits_json_read(tc->splits_json, &sl, &e2)) {
            snprintf(r->weights_note, sizeof r->weights_note,
                     "unweighted: the training split '%.150s' cannot be read", tc->splits_json);
            rc = 0;
            goto out;
        }
        for (size_t i = 0; i < sl.n[SPLIT_TRAIN]; i++) {
            long v = dataset_find_video(ds, sl.videos[SPLIT_TRAIN][i]);
            if (v >= 0) train[v] = true;
        }
        splits_lists_free(&sl);
    } else {
        if (!same_folder(tc->data_dir, data_dir)) {
            snprintf(r->weights_note, sizeof r->weights_note,
                     "unweighted: the checkpoint's 90/10 split belongs to '%.150s'", tc->data_dir);
            rc = 0;
            goto out;
        }
        size_t n_val = nv >= 2 ? (size_t)floor(0.1 * (double)nv + 0.5) : 0;
        if (nv >= 2 && n_val == 0) n_val = 1;
        size_t *order = sg_malloc(nv ? nv : 1, sizeof *order, "class weights", err);
        if (!order) goto out;
        for (size_t v = 0; v < nv; v++) order[v] = v;
        rng_shuffle(&rs, order, nv, sizeof *order);
        for (size_t v = 0; v < nv; v++) train[v] = true;
        for (size_t i = 0; i < n_val; i++) train[order[i]] = false;
        free(order);
    }
    if (tc->max_files)
        for (size_t v = tc->max_files; v < nv; v++) train[v] = false;
    size_t n = 0;
    for (size_t v = 0; v < nv; v++) {
        if (!train[v]) continue;
        const struct data_video *dv = &ds->videos[v];
        for (size_t w = 0; w < dv->n_windows; w++) {
            int32_t l = ds->windows[dv->first_window + w].label;
            if (l >= 0 && class_of_label[l] >= 0) idx[n++] = dv->first_window + w;
        }
    }
    if (tc->max_samples && n > tc->max_samples) {
        rng_shuffle(&rs, idx, n, sizeof(size_t));
        n = tc->max_samples;
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) pos += class_of_label[ds->windows[idx[i]].label] == 1;
    if (!pos || pos == n) {
        snprintf(r->weights_note, sizeof r->weights_note,
                 "unweighted: the training windows found here have %zu signing and %zu "
                 "not-signing windows", pos, n - pos);
        rc = 0;
        goto out;
    }
    r->weighted = true;
    r->class_w1 = (double)(float)((double)(n - pos) / (double)pos);
    snprintf(r->weights_note, sizeof r->weights_note,
             "class weights [1, %.6g] recomputed from the %zu training windows of the "
             "checkpoint's split (%zu not-signing / %zu signing)", r->class_w1, n, n - pos, pos);
    rc = 0;
out:
    free(train);
    free(idx);
    return rc;
}

static int group_find_or_add(struct eval_result *r, const char *name, struct error *err)
{
    size_t k = 0;
    while (k < r->n_signers && strcmp(r->signers[k].name, name) < 0) k++;
    if (k < r->n_signers && !strcmp(r->signers[k].name, name)) return (int)k;
    struct eval_group *g = realloc(r->signers, (r->n_signers + 1) * sizeof *g);
    if (!g) return error_set(err, "out of memory (signers)");
    r->signers = g;
    memmove(g + k + 1, g + k, (r->n_signers - k) * sizeof *g);
    g[k] = (struct eval_group){0};
    if (!(g[k].name = sg_strdup(name, err))) {
        memmove(g + k, g + k + 1, (r->n_signers - k) * sizeof *g);
        return -1;
    }
    r->n_signers++;
    return (int)k;
}

/* signer group of every evaluated window (-1 unknown), or none at all. */
static int assign_signers(const struct eval_options *o, const struct train_config *tc,
                          const struct train_derived *d, const struct dataset *ds,
                          const size_t *idx, size_t n, int *signer, struct eval_result *r,
                          struct error *err)
{
    for (size_t i = 0; i < n; i++) signer[i] = -1;
    char *path = NULL;
    if (signers_find(o->data, o->signers, &path, err)) return -1;
    if (path) {
        struct signers sg;
        int rc = signers_read(&sg, path, err);
        if (rc) {
            free(path);
            return -1;
        }
        r->signer_kind = EVAL_SIGNERS_REAL;
        r->signers_path = path;
        /* the groups first (byte order), then each window's index */
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const char *s = signers_lookup(&sg, ds->videos[ds->windows[idx[i]].video].id);
            if (s && group_find_or_add(r, s, err) < 0) rc = -1;
        }
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const char *s = signers_lookup(&sg, ds->videos[ds->windows[idx[i]].video].id);
            if (!s) {
                r->signer_unknown++;
                continue;
            }
            size_t k = 0;
            while (strcmp(r->signers[k].name, s)) k++;
            signer[i] = (int)k;
        }
        signers_free(&sg);
        return rc;
    }
    if (!d->pseudo_centroids || !d->num_signers) return 0;
    r->signer_kind = EVAL_SIGNERS_PSEUDO;
    const size_t K = d->num_signers, S = d->stats_size;
    if (S != 2 * tc->data.coords)
        return error_set(err, "%s: pseudo_centroids have %zu columns, expected %zu (2 x coords)",
                         o->ckpt, S, 2 * tc->data.coords);
    r->signers = sg_calloc(K, sizeof *r->signers, "signers", err);
    if (!r->signers) return -1;
    r->n_signers = K;
    for (size_t k = 0; k < K; k++) {
        char buf[48];
        snprintf(buf, sizeof buf, "pseudo_%zu", k);
        if (!(r->signers[k].name = sg_strdup(buf, err))) return -1;
    }
    float *st = sg_malloc(ds->n_windows ? ds->n_windows : 1, S * sizeof(float), "signers", err);
    size_t *all = sg_malloc(ds->n_windows ? ds->n_windows : 1, sizeof(size_t), "signers", err);
    int rc = -1;
    if (!st || !all) goto out;
    for (size_t i = 0; i < ds->n_windows; i++) all[i] = i;
    for (size_t i = 0; i < ds->n_windows; i += 256) {
        size_t k = ds->n_windows - i < 256 ? ds->n_windows - i : 256;
        dataset_fill_batch(ds, all + i, k, NULL, st + i * S, NULL, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        const struct data_window *win = &ds->windows[idx[i]];
        double pt[2 * DATA_COORDS_MAX] = {0};
        if (tc->pseudo_by == PSEUDO_BY_WINDOW) {
            for (size_t q = 0; q < S; q++) pt[q] = (double)st[idx[i] * S + q];
        } else {
            const struct data_video *dv = &ds->videos[win->video];
            for (size_t w = 0; w < dv->n_windows; w++)
                for (size_t q = 0; q < S; q++) pt[q] += (double)st[(dv->first_window + w) * S + q];
            for (size_t q = 0; q < S; q++) pt[q] /= (double)dv->n_windows;
        }
        signer[i] = (int)kmeans_assign(d->pseudo_centroids, K, S, pt);
    }
    rc = 0;
out:
    free(st);
    free(all);
    return rc;
}

/* Fills the probe fields; a probe that cannot run leaves probe_note, never an error. */
static void run_probe(const float *Z, size_t zd, const int *signer, size_t n,
                      struct eval_result *r)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += signer[i] >= 0;
    r->probe_windows = m;
    size_t *count = calloc(r->n_signers ? r->n_signers : 1, sizeof(size_t));
    float *x = malloc((m ? m : 1) * zd * sizeof(float));
    int *y = malloc((m ? m : 1) * sizeof(int));
    if (!count || !x || !y) {
        snprintf(r->probe_note, sizeof r->probe_note, "out of memory");
        goto out;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (signer[i] < 0) continue;
        memcpy(x + at * zd, Z + i * zd, zd * sizeof(float));
        y[at++] = signer[i];
        count[signer[i]]++;
    }
    size_t most = 0;
    for (size_t k = 0; k < r->n_signers; k++) {
        r->probe_classes += count[k] > 0;
        if (count[k] > most) most = count[k];
    }
    r->probe_chance = m ? (double)most / (double)m : (double)NAN;
    if (r->probe_classes < 2) {
        snprintf(r->probe_note, sizeof r->probe_note,
                 "the evaluated windows have %zu signer(s); the probe needs at least 2",
                 r->probe_classes);
        goto out;
    }
    if (m < EVAL_PROBE_FOLDS) {
        snprintf(r->probe_note, sizeof r->probe_note,
                 "%zu windows with a signer; %d-fold cross-validation needs at least %d", m,
                 EVAL_PROBE_FOLDS, EVAL_PROBE_FOLDS);
        goto out;
    }
    struct logreg_config lc;
    logreg_config_default(&lc);
    struct error e;
    if (logreg_cross_val_accuracy(x, m, zd, y, r->n_signers, EVAL_PROBE_FOLDS, EVAL_PROBE_SEED,
                                  &lc, &r->probe_acc, r->probe_fold_acc, &e)) {
        snprintf(r->probe_note, sizeof r->probe_note, "%.200s", e.msg);
        goto out;
    }
    r->probe_done = true;
out:
    free(count);
    free(x);
    free(y);
}

int eval_run(const struct eval_options *o, const struct warn_sink *warn, struct eval_result *r,
             struct error *err)
{
    memset(r, 0, sizeof *r);
    struct infer inf;
    if (infer_open(&inf, o->ckpt, o->batch ? o->batch : 64, err)) return -1;
    struct dataset ds;
    memset(&ds, 0, sizeof ds);
    int32_t *class_of_label = NULL;
    bool *selected = NULL;
    size_t *idx = NULL;
    float *probs = NULL, *logits = NULL, *Z = NULL;
    int32_t *lab = NULL;
    int *yt = NULL, *yp = NULL, *signer = NULL;
    int rc = -1;
    struct data_config dc;
    infer_data_config(&inf, o->groundtruth, &dc);
    if (dataset_load(&ds, o->data, &dc, true, warn, err)) goto out;
    if (ds.layout.joints != inf.d.num_joints) {
        error_set(err, "'%s' gives %zu joints per frame, the checkpoint's model takes %zu",
                  o->data, ds.layout.joints, inf.d.num_joints);
        error_hint(err, "the face member must have the same number of points (%zu)",
                   inf.d.face_points_in_file);
        goto out;
    }
    r->binary = inf.tc.data.binary;
    r->num_classes = inf.d.num_classes;
    r->classes = sg_calloc(inf.d.num_classes, sizeof(char *), "classes", err);
    if (!r->classes) goto out;
    for (size_t k = 0; k < inf.d.num_classes; k++)
        if (!(r->classes[k] = sg_strdup(inf.d.classes[k], err))) goto out;
    size_t nl = groundtruth_num_labels(&ds.gt);
    class_of_label = sg_malloc(nl ? nl : 1, sizeof(int32_t), "labels", err);
    selected = sg_calloc(ds.n_videos ? ds.n_videos : 1, sizeof(bool), "split", err);
    if (!class_of_label || !selected) goto out;
    if (map_classes(&inf.tc, &inf.d, &ds, class_of_label, err)) goto out;
    /* the split's videos */
    if (o->splits_json) {
        struct splits_lists sl;
        if (splits_json_read(o->splits_json, &sl, err)) goto out;
        if (o->split == SPLIT_TEST && !sl.has_test) {
            splits_lists_free(&sl);
            error_set(err, "%s: has no test split (only train and val)", o->splits_json);
            goto out;
        }
        for (size_t i = 0; i < sl.n[o->split]; i++) {
            long v = dataset_find_video(&ds, sl.videos[o->split][i]);
            if (v < 0) {
                r->videos_missing++;
                warn_emit(warn, "%s: video '%s' of the %s split has no npz in '%s'",
                          o->splits_json, sl.videos[o->split][i], split_name(o->split), o->data);
                continue;
            }
            selected[v] = true;
        }
        splits_lists_free(&sl);
    } else {
        for (size_t v = 0; v < ds.n_videos; v++) selected[v] = true;
    }
    /* the evaluated windows: labelled, with a class, in video then start order */
    idx = sg_malloc(ds.n_windows ? ds.n_windows : 1, sizeof(size_t), "windows", err);
    if (!idx) goto out;
    size_t n = 0;
    for (size_t v = 0; v < ds.n_videos; v++) {
        if (!selected[v]) continue;
        r->videos_selected++;
        const struct data_video *dv = &ds.videos[v];
        for (size_t w = 0; w < dv->n_windows; w++) {
            int32_t l = ds.windows[dv->first_window + w].label;
            if (l < 0) r->unlabelled++;
            else if (class_of_label[l] < 0) r->not_class++;
            else idx[n++] = dv->first_window + w;
        }
    }
    r->windows = n;
    if (n == 0) {
        char what[64];
        if (o->splits_json) snprintf(what, sizeof what, "the %s split's", split_name(o->split));
        else snprintf(what, sizeof what, "the dataset's");
        error_set(err, "'%s': %s %zu video(s) have no labelled window whose label "
                  "is a class (%zu unlabelled, %zu with another label)", o->data, what,
                  r->videos_selected, r->unlabelled, r->not_class);
        if (o->splits_json) error_hint(err, "choose another --split of '%s'", o->splits_json);
        goto out;
    }
    if (class_weights(&inf.tc, &ds, o->data, class_of_label, r, err)) goto out;
    /* forward, evaluation mode */
    const size_t NC = inf.d.num_classes, ZD = 2 * inf.m.cfg.dims.gru;
    lab = sg_malloc(n, sizeof(int32_t), "evaluation", err);
    probs = sg_malloc(n, NC * sizeof(float), "evaluation", err);
    logits = sg_malloc(n, NC * sizeof(float), "evaluation", err);
    Z = sg_malloc(n, ZD * sizeof(float), "evaluation", err);
    yt = sg_malloc(n, sizeof(int), "evaluation", err);
    yp = sg_malloc(n, sizeof(int), "evaluation", err);
    signer = sg_malloc(n, sizeof(int), "evaluation", err);
    r->cm = sg_calloc(NC * NC, sizeof(size_t), "evaluation", err);
    if (!lab || !probs || !logits || !Z || !yt || !yp || !signer || !r->cm) goto out;
    struct infer_out io = {.probs = probs, .logits = logits, .Z = Z};
    if (infer_windows(&inf, &ds, idx, n, &io, err)) goto out;
    dataset_fill_batch(&ds, idx, n, NULL, NULL, lab, class_of_label);
    double lsum = 0, wsum = 0;
    for (size_t i = 0; i < n; i++) {
        const float *lg = logits + i * NC;
        double mx = (double)lg[0], s = 0;
        size_t best = 0;
        for (size_t q = 1; q < NC; q++) {
            if ((double)lg[q] > mx) mx = (double)lg[q];
            if (lg[q] > lg[best]) best = q;
        }
        for (size_t q = 0; q < NC; q++) s += exp((double)lg[q] - mx);
        int y = lab[i];
        double w = r->weighted ? (y == 1 ? r->class_w1 : 1.0) : 1.0;
        lsum -= w * ((double)lg[y] - mx - log(s));
        wsum += w;
        yt[i] = y;
        yp[i] = (int)best;
    }
    r->loss = lsum / wsum;
    if (metrics_compute(yt, yp, probs, n, NC, r->binary, &r->m, err) ||
        metrics_confusion(yt, yp, n, NC, r->cm, err))
        goto out;
    /* per video */
    r->videos = sg_calloc(r->videos_selected, sizeof *r->videos, "evaluation", err);
    if (!r->videos) goto out;
    for (size_t i = 0; i < n; i++) {
        const char *id = ds.videos[ds.windows[idx[i]].video].id;
        if (!r->n_videos || strcmp(r->videos[r->n_videos - 1].name, id)) {
            if (!(r->videos[r->n_videos].name = sg_strdup(id, err))) goto out;
            r->n_videos++;
        }
        r->videos[r->n_videos - 1].windows++;
        r->videos[r->n_videos - 1].correct += yt[i] == yp[i];
    }
    /* per signer, and the probe */
    if (assign_signers(o, &inf.tc, &inf.d, &ds, idx, n, signer, r, err)) goto out;
    for (size_t i = 0; i < n; i++)
        if (signer[i] >= 0) {
            r->signers[signer[i]].windows++;
            r->signers[signer[i]].correct += yt[i] == yp[i];
        }
    if (r->signer_kind == EVAL_SIGNERS_NONE)
        snprintf(r->probe_note, sizeof r->probe_note,
                 "no signers: no signers file and the checkpoint has no pseudo-signers");
    else
        run_probe(Z, ZD, signer, n, r);
    rc = 0;
out:
    free(class_of_label);
    free(selected);
    free(idx);
    free(lab);
    free(probs);
    free(logits);
    free(Z);
    free(yt);
    free(yp);
    free(signer);
    dataset_free(&ds);
    infer_close(&inf);
    if (rc) eval_result_free(r);
    return rc;
}
