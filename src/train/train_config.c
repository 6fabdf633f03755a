/* train_config.c — defaults, names and the JSON form of the training configuration (see
 * train_config.h). JSON goes through cJSON; numbers that must survive exactly (seeds) are
 * limited to 2^53 by the CLI. */
#include "train/train_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/json_utf8.h"
#include "io/safetensors.h"

void train_config_default(struct train_config *c)
{
    memset(c, 0, sizeof *c);
    data_config_default(&c->data);
    strcpy(c->out_dir, "runs/train");
    c->graph = GRAPH_AUTO;
    c->partition = PARTITION_SPATIAL;
    c->mi_hidden_dim = 128;
    c->mi_weight = 0.1;
    c->class_weights = true;
    c->num_pseudo_signers = 8;
    c->pseudo_by = PSEUDO_BY_VIDEO;
    c->signer_loss_weight = 0.5;
    c->lambda_grl = 0.5;
    c->grl_schedule = GRL_CONSTANT;
    c->supcon_weight = 0.1;
    c->supcon_temp = 0.07;
    c->batch = 32;
    c->epochs = 10;
    c->lr = 1e-3;
    c->best_metric = BEST_ACC;
    c->augment = AUGMENT_NONE;
    c->features = FEATURE_JOINTS;
    augment_preset_values(AUGMENT_NONE, &c->aug);
}

static const char *const source_names[] = {"none", "pseudo", "real"};
static const char *const pseudo_by_names[] = {"video", "window"};
static const char *const grl_names[] = {"constant", "dann"};
static const char *const best_names[] = {"acc", "loss", "pr_auc", "f1"};
static const char *const lr_names[] = {"constant", "cosine"};

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (s && !strcmp(s, names[i])) return i;
    return -1;
}

const char *signer_source_name(enum signer_source s) { return source_names[s]; }
int signer_source_parse(const char *s) { return parse_name(s, source_names, 3); }
const char *pseudo_by_name(enum pseudo_by p) { return pseudo_by_names[p]; }
int pseudo_by_parse(const char *s) { return parse_name(s, pseudo_by_names, 2); }
const char *grl_schedule_name(enum grl_schedule g) { return grl_names[g]; }
int grl_schedule_parse(const char *s) { return parse_name(s, grl_names, 2); }
const char *best_metric_name(enum best_metric b) { return best_names[b]; }
int best_metric_parse(const char *s) { return parse_name(s, best_names, 4); }
const char *lr_schedule_name(enum lr_schedule s) { return lr_names[s]; }
int lr_schedule_parse(const char *s) { return parse_name(s, lr_names, 2); }

double lr_at_step(enum lr_schedule s, double lr, double step, double warmup, double total)
{
    if (step < warmup) return lr * (step + 1.0) / warmup;
    if (s == LR_CONSTANT || total <= warmup) return lr;
    double p = (step - warmup) / (total - warmup);
    if (p > 1.0) p = 1.0;
    return lr * 0.5 * (1.0 + cos(3.14159265358979323846 * p));
}

void train_derived_free(struct train_derived *d)
{
    if (d->classes)
        for (size_t i = 0; i < d->num_classes; i++) free(d->classes[i]);
    if (d->signers)
        for (size_t i = 0; i < d->num_signers; i++) free(d->signers[i]);
    free(d->classes);
    free(d->signers);
    free(d->pseudo_centroids);
    memset(d, 0, sizeof *d);
}

/* ---- to JSON ------------------------------------------------------------------------------ */

static cJSON *string_list(const char *comma_text)
{
    cJSON *a = cJSON_CreateArray();
    const char *p = comma_text;
    while (a && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t')) p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        if (n) {
            char *item = malloc(n + 1);
            if (!item) break;
            memcpy(item, p, n);
            item[n] = '\0';
            cJSON_AddItemToArray(a, cJSON_CreateString(item));
            free(item);
        }
        if (!e) break;
        p = e + 1;
    }
    return a;
}

char *train_config_to_json(const struct train_config *c, const struct train_derived *d,
                           struct error *err)
{
    const struct data_config *dc = &c->data;
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        error_set(err, "train_config_to_json: out of memory");
        return NULL;
    }
    cJSON_AddStringToObject(o, "data", c->data_dir);
    cJSON_AddStringToObject(o, "groundtruth", dc->groundtruth);
    cJSON_AddStringToObject(o, "signers_file", dc->signers);
    cJSON_AddStringToObject(o, "splits_json", c->splits_json);
    cJSON_AddStringToObject(o, "out", c->out_dir);
    cJSON_AddNumberToObject(o, "window", (double)dc->window);
    cJSON_AddNumberToObject(o, "stride", (double)dc->stride);
    cJSON_AddNumberToObject(o, "coords", (double)dc->coords);
    cJSON_AddBoolToObject(o, "include_pose", dc->include_pose);
    cJSON_AddBoolToObject(o, "include_hands", dc->include_hands);
    cJSON_AddBoolToObject(o, "include_face", dc->include_face);
    cJSON_AddStringToObject(o, "face_points", face_points_name(dc->face_points));
    cJSON_AddStringToObject(o, "normalize", data_normalize_name(dc->normalize));
    cJSON_AddBoolToObject(o, "zero_is_missing", dc->zero_is_missing);
    cJSON_AddStringToObject(o, "label_fill", label_fill_name(dc->label_fill));
    cJSON_AddBoolToObject(o, "binary", dc->binary);
    cJSON_AddItemToObject(o, "signing_labels", string_list(dc->signing_labels));
    cJSON_AddNumberToObject(o, "person", (double)dc->person);
    cJSON_AddStringToObject(o, "graph", graph_kind_name(c->graph));
    cJSON_AddStringToObject(o, "partition", partition_name(c->partition));
    cJSON_AddBoolToObject(o, "use_film_attention", c->use_film_attention);
    cJSON_AddBoolToObject(o, "use_mi_minimization", c->use_mi_minimization);
    cJSON_AddNumberToObject(o, "mi_hidden_dim", (double)c->mi_hidden_dim);
    cJSON_AddNumberToObject(o, "mi_weight", c->mi_weight);
    cJSON_AddNumberToObject(o, "num_classes", (double)d->num_classes);
    cJSON_AddBoolToObject(o, "class_weights", c->class_weights);
    cJSON_AddBoolToObject(o, "use_pseudo_signers", c->signer_source == SIGNER_SOURCE_PSEUDO);
    cJSON_AddNumberToObject(o, "num_pseudo_signers", (double)c->num_pseudo_signers);
    cJSON_AddNumberToObject(o, "pseudo_seed", (double)c->pseudo_seed);
    cJSON_AddStringToObject(o, "pseudo_by", pseudo_by_name(c->pseudo_by));
    cJSON_AddNumberToObject(o, "signer_loss_weight", c->signer_loss_weight);
    cJSON_AddNumberToObject(o, "lambda_grl", c->lambda_grl);
    cJSON_AddStringToObject(o, "grl_schedule", grl_schedule_name(c->grl_schedule));
    cJSON_AddBoolToObject(o, "use_supcon", c->use_supcon);
    cJSON_AddNumberToObject(o, "supcon_weight", c->supcon_weight);
    cJSON_AddNumberToObject(o, "supcon_temp", c->supcon_temp);
    cJSON_AddNumberToObject(o, "batch", (double)c->batch);
    cJSON_AddNumberToObject(o, "epochs", (double)c->epochs);
    cJSON_AddNumberToObject(o, "lr", c->lr);
    cJSON_AddNumberToObject(o, "weight_decay", c->weight_decay);
    cJSON_AddNumberToObject(o, "clip_grad", c->clip_grad);
    cJSON_AddNumberToObject(o, "max_files", (double)c->max_files);
    cJSON_AddNumberToObject(o, "max_samples", (double)c->max_samples);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    cJSON_AddNumberToObject(o, "threads", (double)c->threads);
    cJSON_AddBoolToObject(o, "fixed_threads", c->fixed_threads);
    cJSON_AddBoolToObject(o, "save_best", c->save_best);
    cJSON_AddStringToObject(o, "best_metric", best_metric_name(c->best_metric));
    cJSON_AddBoolToObject(o, "log_csv", c->log_csv);
    cJSON_AddBoolToObject(o, "resume", c->resume);
    cJSON_AddStringToObject(o, "augment", augment_preset_name(c->augment));
    cJSON_AddNumberToObject(o, "aug_rotate", c->aug.rotate);
    cJSON_AddNumberToObject(o, "aug_scale", c->aug.scale);
    cJSON_AddNumberToObject(o, "aug_shear", c->aug.shear);
    cJSON_AddNumberToObject(o, "aug_translate", c->aug.translate);
    cJSON_AddNumberToObject(o, "aug_jitter", c->aug.jitter);
    cJSON_AddNumberToObject(o, "aug_mirror", c->aug.mirror);
    cJSON *sp = cJSON_AddArrayToObject(o, "aug_speed");
    if (sp) {
        cJSON_AddItemToArray(sp, cJSON_CreateNumber(c->aug.speed_lo));
        cJSON_AddItemToArray(sp, cJSON_CreateNumber(c->aug.speed_hi));
    }
    cJSON_AddNumberToObject(o, "aug_frame_drop", c->aug.frame_drop);
    cJSON_AddNumberToObject(o, "aug_hand_drop", c->aug.hand_drop);
    cJSON_AddNumberToObject(o, "aug_face_drop", c->aug.face_drop);
    char fbuf[64];
    cJSON_AddItemToObject(o, "features", string_list(features_name(c->features, fbuf,
                                                                   sizeof fbuf)));
    cJSON_AddStringToObject(o, "lr_schedule", lr_schedule_name(c->lr_schedule));
    cJSON_AddNumberToObject(o, "warmup_epochs", c->warmup_epochs);
    cJSON_AddNumberToObject(o, "label_smoothing", c->label_smoothing);
    cJSON_AddNumberToObject(o, "patience", (double)c->patience);
    /* derived from the data */
    cJSON *cls = cJSON_AddArrayToObject(o, "classes");
    for (size_t i = 0; cls && i < d->num_classes; i++)
        cJSON_AddItemToArray(cls, cJSON_CreateString(d->classes[i]));
    cJSON_AddNumberToObject(o, "num_joints", (double)d->num_joints);
    cJSON_AddStringToObject(o, "skeleton", skeleton_name(d->skeleton));
    cJSON_AddNumberToObject(o, "face_points_in_file", (double)d->face_points_in_file);
    cJSON_AddStringToObject(o, "signer_source", signer_source_name(c->signer_source));
    cJSON_AddNumberToObject(o, "num_signers", (double)d->num_signers);
    cJSON *sg = cJSON_AddArrayToObject(o, "signers");
    for (size_t i = 0; sg && d->signers && i < d->num_signers; i++)
        cJSON_AddItemToArray(sg, cJSON_CreateString(d->signers[i]));
    cJSON *pc = cJSON_AddArrayToObject(o, "pseudo_centroids");
    for (size_t i = 0; pc && d->pseudo_centroids && i < d->num_signers; i++) {
        cJSON *row = cJSON_CreateArray();
        for (size_t k = 0; row && k < d->stats_size; k++)
            cJSON_AddItemToArray(row,
                                 cJSON_CreateNumber(d->pseudo_centroids[i * d->stats_size + k]));
        cJSON_AddItemToArray(pc, row);
    }
    /* the configuration goes into a checkpoint's JSON header: UTF-8 only (io/json_utf8.h) */
    if (json_check_utf8(o, "checkpoint configuration", err)) {
        cJSON_Delete(o);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) error_set(err, "train_config_to_json: out of memory");
    return s;
}

/* ---- from JSON ---------------------------------------------------------------------------- */

struct reader {
    const cJSON *o;
    const char *what;
    struct error *err;
    int failed;
};

static const cJSON *item(struct reader *r, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->o, key);
    if (!v && !r->failed) {
        error_set(r->err, "%s: configuration has no '%s'", r->what, key);
        r->failed = 1;
    }
    return v;
}

static double num(struct reader *r, const char *key, double lo, double hi)
{
    const cJSON *v = item(r, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) {
        if (!r->failed)
            error_set(r->err, "%s: configuration '%s' is not a number in [%g, %g]", r->what, key,
                      lo, hi);
        r->failed = 1;
        return 0;
    }
    return v->valuedouble;
}

static bool flag(struct reader *r, const char *key)
{
    const cJSON *v = item(r, key);
    if (v && !cJSON_IsBool(v)) {
        if (!r->failed) error_set(r->err, "%s: configuration '%s' is not a boolean", r->what, key);
        r->failed = 1;
    }
    return v && cJSON_IsTrue(v);
}

static void str(struct reader *r, const char *key, char *dst, size_t cap)
{
    const cJSON *v = item(r, key);
    if (!v) return;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        if (!r->failed) error_set(r->err, "%s: configuration '%s' is not a string", r->what, key);
        r->failed = 1;
        return;
    }
    strcpy(dst, v->valuestring);
}

static int named(struct reader *r, const char *key, int (*parse)(const char *))
{
    char buf[64] = "";
    str(r, key, buf, sizeof buf);
    if (r->failed) return 0;
    int v = parse(buf);
    if (v < 0) {
        error_set(r->err, "%s: configuration '%s' has an unknown value '%s'", r->what, key, buf);
        r->failed = 1;
        return 0;
    }
    return v;
}

static int parse_face_points(const char *s) { return face_points_parse(s); }
static int parse_normalize(const char *s) { return data_normalize_parse(s); }
static int parse_graph(const char *s) { return graph_kind_parse(s); }
static int parse_partition(const char *s) { return partition_parse(s); }
static int parse_label_fill(const char *s)
{
    enum label_fill f;
    return label_fill_parse(s, &f, NULL) == 0 ? (int)f : -1;
}

static char **string_array(struct reader *r, const char *key, size_t *n)
{
    const cJSON *a = item(r, key);
    *n = 0;
    if (!a) return NULL;
    if (!cJSON_IsArray(a)) {
        error_set(r->err, "%s: configuration '%s' is not a list", r->what, key);
        r->failed = 1;
        return NULL;
    }
    size_t count = (size_t)cJSON_GetArraySize(a);
    char **out = sg_calloc(count ? count : 1, sizeof *out, "config", r->err);
    if (!out) {
        r->failed = 1;
        return NULL;
    }
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e) || !(out[i] = sg_strdup(e->valuestring, r->err))) {
            if (!r->failed)
                error_set(r->err, "%s: configuration '%s' holds a non-string", r->what, key);
            r->failed = 1;
            for (size_t k = 0; k < i; k++) free(out[k]);
            free(out);
            return NULL;
        }
        i++;
    }
    *n = count;
    return out;
}

int train_config_from_json(const char *json, const char *what, struct train_config *c,
                           struct train_derived *d, struct error *err)
{
    train_config_default(c);
    memset(d, 0, sizeof *d);
    cJSON *o = cJSON_Parse(json ? json : "");
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return error_set(err, "%s: the 'config' metadata is not a JSON object", what);
    }
    struct reader r = {o, what, err, 0};
    struct data_config *dc = &c->data;
    str(&r, "data", c->data_dir, sizeof c->data_dir);
    str(&r, "groundtruth", dc->groundtruth, sizeof dc->groundtruth);
    str(&r, "signers_file", dc->signers, sizeof dc->signers);
    str(&r, "splits_json", c->splits_json, sizeof c->splits_json);
    str(&r, "out", c->out_dir, sizeof c->out_dir);
    dc->window = (size_t)num(&r, "window", 1, 1e9);
    dc->stride = (size_t)num(&r, "stride", 1, 1e9);
    dc->coords = (size_t)num(&r, "coords", 1, DATA_COORDS_MAX);
    dc->include_pose = flag(&r, "include_pose");
    dc->include_hands = flag(&r, "include_hands");
    dc->include_face = flag(&r, "include_face");
    dc->face_points = (enum face_points)named(&r, "face_points", parse_face_points);
    dc->normalize = (enum data_normalize)named(&r, "normalize", parse_normalize);
    dc->zero_is_missing = flag(&r, "zero_is_missing");
    dc->label_fill = (enum label_fill)named(&r, "label_fill", parse_label_fill);
    dc->binary = flag(&r, "binary");
    size_t nl = 0;
    char **labels = string_array(&r, "signing_labels", &nl);
    dc->signing_labels[0] = '\0';
    for (size_t i = 0; labels && i < nl; i++) {
        size_t used = strlen(dc->signing_labels);
        snprintf(dc->signing_labels + used, sizeof dc->signing_labels - used, "%s%s",
                 i ? "," : "", labels[i]);
        free(labels[i]);
    }
    free(labels);
    /* keys added with the .pose/OpenPose readers: optional, older checkpoints lack them */
    if (cJSON_GetObjectItemCaseSensitive(o, "person"))
        dc->person = (size_t)num(&r, "person", 0, 65535);
    c->graph = (enum graph_kind)named(&r, "graph", parse_graph);
    c->partition = (enum partition)named(&r, "partition", parse_partition);
    c->use_film_attention = flag(&r, "use_film_attention");
    c->use_mi_minimization = flag(&r, "use_mi_minimization");
    c->mi_hidden_dim = (size_t)num(&r, "mi_hidden_dim", 1, 1e6);
    c->mi_weight = num(&r, "mi_weight", -1e9, 1e9);
    c->class_weights = flag(&r, "class_weights");
    c->signer_source = (enum signer_source)named(&r, "signer_source", signer_source_parse);
    c->num_pseudo_signers = (size_t)num(&r, "num_pseudo_signers", 0, 1e6);
    c->pseudo_seed = (uint64_t)num(&r, "pseudo_seed", 0, 9007199254740992.0);
    c->pseudo_by = (enum pseudo_by)named(&r, "pseudo_by", pseudo_by_parse);
    c->signer_loss_weight = num(&r, "signer_loss_weight", -1e9, 1e9);
    c->lambda_grl = num(&r, "lambda_grl", -1e9, 1e9);
    c->grl_schedule = (enum grl_schedule)named(&r, "grl_schedule", grl_schedule_parse);
    c->use_supcon = flag(&r, "use_supcon");
    c->supcon_weight = num(&r, "supcon_weight", -1e9, 1e9);
    c->supcon_temp = num(&r, "supcon_temp", 1e-12, 1e9);
    c->batch = (size_t)num(&r, "batch", 1, 1e9);
    c->epochs = (size_t)num(&r, "epochs", 0, 1e9);
    c->lr = num(&r, "lr", 0, 1e9);
    c->weight_decay = num(&r, "weight_decay", 0, 1e9);
    c->clip_grad = num(&r, "clip_grad", 0, 1e30);
    c->max_files = (size_t)num(&r, "max_files", 0, 1e12);
    c->max_samples = (size_t)num(&r, "max_samples", 0, 1e12);
    c->seed = (uint64_t)num(&r, "seed", 0, 9007199254740992.0);
    c->threads = (int)num(&r, "threads", 0, 4096);
    c->fixed_threads = flag(&r, "fixed_threads");
    c->save_best = flag(&r, "save_best");
    c->best_metric = (enum best_metric)named(&r, "best_metric", best_metric_parse);
    c->log_csv = flag(&r, "log_csv");
    c->resume = flag(&r, "resume");
    /* keys added with augmentation: optional, a checkpoint without them trained
     * with none */
    if (cJSON_GetObjectItemCaseSensitive(o, "augment"))
        c->augment = (enum augment_preset)named(&r, "augment", augment_preset_parse);
    const struct {
        const char *key;
        double *dst;
        double hi;
    } aug_keys[] = {{"aug_rotate", &c->aug.rotate, 180},   {"aug_scale", &c->aug.scale, 1},
                    {"aug_shear", &c->aug.shear, 1},       {"aug_translate", &c->aug.translate, 10},
                    {"aug_jitter", &c->aug.jitter, 1},     {"aug_mirror", &c->aug.mirror, 1},
                    {"aug_frame_drop", &c->aug.frame_drop, 1},
                    {"aug_hand_drop", &c->aug.hand_drop, 1},
                    {"aug_face_drop", &c->aug.face_drop, 1}};
    for (size_t k = 0; k < sizeof aug_keys / sizeof aug_keys[0]; k++)
        if (cJSON_GetObjectItemCaseSensitive(o, aug_keys[k].key))
            *aug_keys[k].dst = num(&r, aug_keys[k].key, 0, aug_keys[k].hi);
    if (cJSON_GetObjectItemCaseSensitive(o, "features") && !r.failed) {
        size_t nf = 0;
        char **fl = string_array(&r, "features", &nf);
        char buf[64] = "";
        for (size_t i = 0; fl && i < nf; i++) {
            size_t used = strlen(buf);
            snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", fl[i]);
            free(fl[i]);
        }
        free(fl);
        int mask = r.failed ? -1 : features_parse(buf);
        if (!r.failed && mask < 0) {
            error_set(err, "%s: configuration 'features' has an unknown stream in '%s'", what,
                      buf);
            r.failed = 1;
        }
        if (mask > 0) c->features = (unsigned)mask;
    }
    /* schedule keys: optional, older checkpoints trained without them */
    if (cJSON_GetObjectItemCaseSensitive(o, "lr_schedule"))
        c->lr_schedule = (enum lr_schedule)named(&r, "lr_schedule", lr_schedule_parse);
    if (cJSON_GetObjectItemCaseSensitive(o, "warmup_epochs"))
        c->warmup_epochs = num(&r, "warmup_epochs", 0, 1e9);
    if (cJSON_GetObjectItemCaseSensitive(o, "label_smoothing"))
        c->label_smoothing = num(&r, "label_smoothing", 0, 0.999);
    if (cJSON_GetObjectItemCaseSensitive(o, "patience"))
        c->patience = (size_t)num(&r, "patience", 0, 1e9);
    const cJSON *speed = cJSON_GetObjectItemCaseSensitive(o, "aug_speed");
    if (speed && !r.failed) {
        const cJSON *lo = cJSON_GetArrayItem(speed, 0), *hi = cJSON_GetArrayItem(speed, 1);
        if (!cJSON_IsArray(speed) || cJSON_GetArraySize(speed) != 2 || !cJSON_IsNumber(lo) ||
            !cJSON_IsNumber(hi) || !(lo->valuedouble > 0 && lo->valuedouble <= hi->valuedouble &&
                                     hi->valuedouble <= 4)) {
            error_set(err, "%s: configuration 'aug_speed' is not [lo, hi] with 0 < lo <= hi <= 4",
                      what);
            r.failed = 1;
        } else {
            c->aug.speed_lo = lo->valuedouble;
            c->aug.speed_hi = hi->valuedouble;
        }
    }
    d->classes = string_array(&r, "classes", &d->num_classes);
    size_t nc = (size_t)num(&r, "num_classes", 1, 1e6);
    c->num_classes = nc;
    if (!r.failed && nc != d->num_classes) {
        error_set(err, "%s: configuration has %zu class names for num_classes %zu", what,
                  d->num_classes, nc);
        r.failed = 1;
    }
    d->num_joints = (size_t)num(&r, "num_joints", 1, 1e6);
    d->skeleton = SKELETON_MEDIAPIPE;
    if (cJSON_GetObjectItemCaseSensitive(o, "skeleton"))
        d->skeleton = (enum skeleton)named(&r, "skeleton", skeleton_parse);
    d->face_points_in_file = (size_t)num(&r, "face_points_in_file", 0, 1e6);
    d->num_signers = (size_t)num(&r, "num_signers", 0, 1e6);
    d->stats_size = 2 * dc->coords;
    size_t ns = 0;
    d->signers = string_array(&r, "signers", &ns);
    if (!r.failed && ns == 0) {
        free(d->signers);
        d->signers = NULL;
    } else if (!r.failed && ns != d->num_signers) {
        error_set(err, "%s: configuration lists %zu signers for num_signers %zu", what, ns,
                  d->num_signers);
        r.failed = 1;
    }
    const cJSON *pc = item(&r, "pseudo_centroids");
    if (!r.failed && cJSON_IsArray(pc) && cJSON_GetArraySize(pc) > 0) {
        size_t rows = (size_t)cJSON_GetArraySize(pc);
        if (rows != d->num_signers) {
            error_set(err, "%s: configuration has %zu pseudo centroids for %zu signers", what,
                      rows, d->num_signers);
            r.failed = 1;
        } else {
            d->pseudo_centroids = sg_calloc(rows * d->stats_size, sizeof(double), "config", err);
            size_t i = 0;
            const cJSON *row;
            cJSON_ArrayForEach(row, pc) {
                if (!d->pseudo_centroids || !cJSON_IsArray(row) ||
                    (size_t)cJSON_GetArraySize(row) != d->stats_size) {
                    if (!r.failed)
                        error_set(err, "%s: a pseudo centroid does not have %zu numbers", what,
                                  d->stats_size);
                    r.failed = 1;
                    break;
                }
                size_t k = 0;
                const cJSON *v;
                cJSON_ArrayForEach(v, row) d->pseudo_centroids[i * d->stats_size + k++] =
                    cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
                i++;
            }
        }
    }
    cJSON_Delete(o);
    if (r.failed) {
        train_derived_free(d);
        return -1;
    }
    return 0;
}

static bool is_derived_key(const char *k)
{
    static const char *const derived[] = {"num_joints", "skeleton", "face_points_in_file",
                                           "num_signers", "signers", "pseudo_centroids",
                                           "use_pseudo_signers", "classes", "num_classes",
                                           "resume"};
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (!strcmp(k, derived[i])) return true;
    return false;
}

int train_config_apply_json(const char *json, const char *what, bool strict,
                            struct train_config *c, struct error *err)
{
    cJSON *in = cJSON_Parse(json ? json : "");
    if (!in || !cJSON_IsObject(in)) {
        cJSON_Delete(in);
        return error_set(err, "%s: not a JSON object", what);
    }
    /* c as a full stored configuration, with placeholder derived values */
    char *cls0 = "x";
    struct train_derived d = {.num_classes = 1, .classes = &cls0, .num_joints = 1,
                              .face_points_in_file = 478, .stats_size = 2 * c->data.coords};
    char *base_text = train_config_to_json(c, &d, err);
    cJSON *base = base_text ? cJSON_Parse(base_text) : NULL;
    free(base_text);
    if (!base) {
        cJSON_Delete(in);
        return base_text ? error_set(err, "%s: out of memory", what) : -1;
    }
    int rc = 0;
    const cJSON *item_in;
    cJSON_ArrayForEach(item_in, in) {
        const char *k = item_in->string;
        if (!cJSON_GetObjectItemCaseSensitive(base, k)) {
            if (strict) {
                rc = error_set(err, "%s: '%s' is not a configuration key", what, k);
                error_hint(err, "the keys are those of a checkpoint's stored configuration "
                           "(train's long options, '-' as '_')");
                break;
            }
            continue;
        }
        if (is_derived_key(k)) continue;
        cJSON_ReplaceItemInObjectCaseSensitive(base, k, cJSON_Duplicate(item_in, true));
    }
    if (rc == 0) {
        char *merged = cJSON_PrintUnformatted(base);
        struct train_config nc;
        struct train_derived nd;
        if (!merged) rc = error_set(err, "%s: out of memory", what);
        else if (train_config_from_json(merged, what, &nc, &nd, err)) rc = -1;
        free(merged);
        if (rc == 0) {
            train_derived_free(&nd);
            nc.resume = false;
            /* the stored num_classes and classes are derived values: c's options stay unless
             * the object's class list says otherwise (below) */
            nc.num_classes = c->num_classes;
            memcpy(nc.classes, c->classes, sizeof nc.classes);
            /* the stored class list of a multi-class run as --classes / --num-classes */
            const cJSON *cl = cJSON_GetObjectItemCaseSensitive(in, "classes");
            const cJSON *ncl = cJSON_GetObjectItemCaseSensitive(in, "num_classes");
            if (!nc.data.binary && cJSON_IsArray(cl) && cJSON_GetArraySize(cl) > 0) {
                size_t used = 0;
                nc.classes[0] = '\0';
                const cJSON *e;
                cJSON_ArrayForEach(e, cl) {
                    if (!cJSON_IsString(e)) {
                        rc = error_set(err, "%s: 'classes' holds a non-string", what);
                        break;
                    }
                    size_t len = strlen(nc.classes);
                    if (len + strlen(e->valuestring) + 2 > sizeof nc.classes) {
                        rc = error_set(err, "%s: 'classes' is too long", what);
                        break;
                    }
                    snprintf(nc.classes + len, sizeof nc.classes - len, "%s%s", len ? "," : "",
                             e->valuestring);
                    used++;
                }
                /* unused outputs are named by their index: drop them, num_classes keeps them */
                for (;;) {
                    char *last = strrchr(nc.classes, ',');
                    const char *name = last ? last + 1 : nc.classes;
                    size_t count = 1;
                    for (const char *p = nc.classes; *p; p++) count += *p == ',';
                    char idx[32];
                    snprintf(idx, sizeof idx, "%zu", count - 1);
                    if (!last || strcmp(name, idx)) break;
                    *last = '\0';
                }
                if (cJSON_IsNumber(ncl) && ncl->valuedouble >= 1 && ncl->valuedouble <= 1e6)
                    nc.num_classes = (size_t)ncl->valuedouble;
            } else if (cJSON_IsNumber(ncl) && ncl->valuedouble >= 1 && ncl->valuedouble <= 1e6) {
                nc.num_classes = nc.data.binary ? 0 : (size_t)ncl->valuedouble;
            }
            if (rc == 0) *c = nc;
        }
    }
    cJSON_Delete(base);
    cJSON_Delete(in);
    return rc;
}

int train_config_from_checkpoint(const char *path, struct train_config *c,
                                 struct train_derived *d, struct error *err)
{
    memset(d, 0, sizeof *d);
    struct safetensors st;
    if (safetensors_open(&st, path, err)) return -1;
    int rc = train_config_from_json(safetensors_meta_get(&st, "config"), path, c, d, err);
    safetensors_free(&st);
    return rc;
}
