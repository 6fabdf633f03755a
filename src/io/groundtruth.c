/* groundtruth.c — parsing the groundtruth file and the signers file (SPEC §1.3).
 *
 * Both files are line-oriented text read whole into memory and treated as hostile: a line may
 * be megabytes long or hold NUL bytes, a frame index may overflow; every such case is an error
 * naming `file:line`, what was expected and a printable excerpt of the line — never a crash.
 * Lines end at '\n'; tokens are separated by blanks (space, tab, CR, VT, FF), so CRLF files
 * read like LF files. A line whose first non-blank byte is '#' and a blank line are skipped;
 * tokens after the ones a line needs are ignored.
 *
 * Groundtruth: `<video_id> <frame_idx> <label>`. Label names are interned through a small
 * open-addressing hash table (ids in order of first appearance); videos are gathered through a
 * second table, then sorted in byte order of their id so lookups are a binary search. Each
 * video's annotations are sorted by (frame, line order) and a later line for the same frame
 * replaces an earlier one. The frame index is kept as uint64_t; a value that does not fit is
 * an error (a frame that large can never be < T anyway, but a silently wrapped one could).
 *
 * Signers: `<video_id> <signer_id>`, the same rules, a later line for a video overriding an
 * earlier one.
 *
 * Not here: checking video ids against the npz files (the caller warns about ids without an
 * npz), choosing which labels are classes (data/windows.c).
 */
#include "io/groundtruth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/input_file.h"

/* ---- small string hash table (name → index) ---------------------------------------------- */

struct strmap {
    size_t cap;     /* power of two, 0 when empty */
    size_t n;
    const char **keys;
    size_t *vals;
};

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Finds key s[0..len); returns its slot, and *found. */
static size_t strmap_slot(const struct strmap *m, const char *s, size_t len, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash_bytes(s, len) & mask;
    for (;;) {
        const char *k = m->keys[i];
        if (!k) {
            *found = false;
            return i;
        }
        if (strncmp(k, s, len) == 0 && k[len] == '\0') {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int strmap_grow(struct strmap *m, struct error *err)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    if (ncap < m->cap) return error_set(err, "groundtruth: hash table too large");
    const char **nk = sg_calloc(ncap, sizeof *nk, "hash table", err);
    if (!nk) return -1;
    size_t *nv = sg_calloc(ncap, sizeof *nv, "hash table", err);
    if (!nv) {
        free(nk);
        return -1;
    }
    struct strmap nm = {ncap, m->n, nk, nv};
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        bool found;
        size_t s = strmap_slot(&nm, m->keys[i], strlen(m->keys[i]), &found);
        nk[s] = m->keys[i];
        nv[s] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    *m = nm;
    return 0;
}

static void strmap_free(struct strmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- lines and tokens -------------------------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

struct token {
    const char *s;
    size_t len;
};

/* Splits line[0..len) into up to `max` tokens; returns how many were found (at most max). */
static size_t tokenize(const char *line, size_t len, struct token *tok, size_t max)
{
    size_t n = 0, i = 0;
    while (n < max) {
        while (i < len && is_blank(line[i])) i++;
        if (i >= len) break;
        size_t b = i;
        while (i < len && !is_blank(line[i])) i++;
        tok[n].s = line + b;
        tok[n].len = i - b;
        n++;
    }
    return n;
}

/* A printable excerpt of at most ~80 bytes: control bytes and NUL become '?'. */
static void excerpt(const char *s, size_t len, char *buf, size_t cap)
{
    size_t lim = cap - 4, o = 0;
    for (size_t i = 0; i < len && o < lim; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' && i + 1 == len) break;
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (o == lim && len > lim) {
        buf[o++] = '.';
        buf[o++] = '.';
        buf[o++] = '.';
    }
    buf[o] = '\0';
}

struct line_iter {
    const char *text;
    size_t len, pos, lineno;
};

static bool next_line(struct line_iter *it, const char **line, size_t *llen)
{
    if (it->pos >= it->len) return false;
    const char *start = it->text + it->pos;
    const char *nl = memchr(start, '\n', it->len - it->pos);
    size_t l = nl ? (size_t)(nl - start) : it->len - it->pos;
    *line = start;
    *llen = l;
    it->pos += l + (nl ? 1 : 0);
    it->lineno++;
    return true;
}

/* Blank or comment line. */
static bool skip_line(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && is_blank(line[i])) i++;
    return i == len || line[i] == '#';
}

#define LINE_ERR(err, what, label, lineno, line, llen, ...)                                   \
    do {                                                                                      \
        char ex_[96], msg_[512];                                                              \
        excerpt(line, llen, ex_, sizeof ex_);                                                 \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                                             \
        error_set(err, "%s: '%s':%zu: %s (line: \"%s\")", what, label, lineno, msg_, ex_);    \
    } while (0)

static char *dup_token(struct token t, struct error *err)
{
    char *s = sg_malloc(t.len + 1, 1, "groundtruth string", err);
    if (!s) return NULL;
    memcpy(s, t.s, t.len);
    s[t.len] = '\0';
    return s;
}

/* ---- groundtruth ------------------------------------------------------------------------- */

int label_fill_parse(const char *s, enum label_fill *out, struct error *err)
{
    if (!strcmp(s, "none")) *out = LABEL_FILL_NONE;
    else if (!strcmp(s, "previous")) *out = LABEL_FILL_PREVIOUS;
    else return error_set(err, "--label-fill must be 'none' or 'previous', got '%s'", s);
    return 0;
}

const char *label_fill_name(enum label_fill f)
{
    return f == LABEL_FILL_PREVIOUS ? "previous" : "none";
}

struct ann_build {
    uint64_t frame;
    size_t seq;
    int32_t label;
};

struct video_build {
    char *id;
    size_t n, cap;
    struct ann_build *ann;
};

static int cmp_ann(const void *a, const void *b)
{
    const struct ann_build *x = a, *y = b;
    if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_video(const void *a, const void *b)
{
    return strcmp(((const struct gt_video *)a)->id, ((const struct gt_video *)b)->id);
}

/* Parses one frame token: digits only, fits uint64_t. */
static int parse_frame(struct token t, uint64_t *out)
{
    if (t.len == 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.s[i];
        if (c < '0' || c > '9') return -1;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v))
            return -2;
    }
    *out = v;
    return 0;
}

void groundtruth_free(struct groundtruth *gt)
{
    if (!gt) return;
    for (size_t i = 0; i < gt->n_labels; i++) free(gt->labels[i]);
    free(gt->labels);
    for (size_t i = 0; i < gt->n_videos; i++) {
        free(gt->videos[i].id);
        free(gt->videos[i].annotations);
    }
    free(gt->videos);
    free(gt->path);
    memset(gt, 0, sizeof *gt);
}

struct gt_builder {
    struct strmap labels_map, videos_map;
    char **labels;
    size_t n_labels, cap_labels;
    struct video_build *videos;
    size_t n_videos, cap_videos;
};

static void builder_free(struct gt_builder *b)
{
    strmap_free(&b->labels_map);
    strmap_free(&b->videos_map);
    for (size_t i = 0; i < b->n_labels; i++) free(b->labels[i]);
    free(b->labels);
    for (size_t i = 0; i < b->n_videos; i++) {
        free(b->videos[i].id);
        free(b->videos[i].ann);
    }
    free(b->videos);
}

static int intern_label(struct gt_builder *b, struct token t, int32_t *id, struct error *err)
{
    if (b->labels_map.cap == 0 && strmap_grow(&b->labels_map, err) != 0) return -1;
    bool found;
    size_t s = strmap_slot(&b->labels_map, t.s, t.len, &found);
    if (found) {
        *id = (int32_t)b->labels_map.vals[s];
        return 0;
    }
    if (b->n_labels >= INT32_MAX) return error_set(err, "groundtruth: too many labels");
    if (b->n_labels == b->cap_labels) {
        size_t nc = b->cap_labels ? b->cap_labels * 2 : 16;
        if (sg_realloc((void **)&b->labels, nc, sizeof *b->labels, "labels", err) != 0)
            return -1;
        b->cap_labels = nc;
    }
    char *name = dup_token(t, err);
    if (!name) return -1;
    if (2 * (b->labels_map.n + 1) > b->labels_map.cap) {
        if (strmap_grow(&b->labels_map, err) != 0) {
            free(name);
            return -1;
        }
        s = strmap_slot(&b->labels_map, t.s, t.len, &found);
    }
    b->labels[b->n_labels] = name;
    b->labels_map.keys[s] = name;
    b->labels_map.vals[s] = b->n_labels;
    b->labels_map.n++;
    *id = (int32_t)b->n_labels++;
    return 0;
}

static struct video_build *find_or_add_video(struct gt_builder *b, struct token t,
                                             struct error *err)
{
    if (b->videos_map.cap == 0 && strmap_grow(&b->videos_map, err) != 0) return NULL;
    bool found;
    size_t s = strmap_slot(&b->videos_map, t.s, t.len, &found);
    if (found) return &b->videos[b->videos_map.vals[s]];
    if (b->n_videos == b->cap_videos) {
        size_t nc = b->cap_videos ? b->cap_videos * 2 : 16;
        if (sg_realloc((void **)&b->videos, nc, sizeof *b->videos, "videos", err) != 0)
            return NULL;
        b->cap_videos = nc;
    }
    char *id = dup_token(t, err);
    if (!id) return NULL;
    if (2 * (b->videos_map.n + 1) > b->videos_map.cap) {
        if (strmap_grow(&b->videos_map, err) != 0) {
            free(id);
            return NULL;
        }
        s = strmap_slot(&b->videos_map, t.s, t.len, &found);
    }
    struct video_build *v = &b->videos[b->n_videos];
    memset(v, 0, sizeof *v);
    v->id = id;
    b->videos_map.keys[s] = id;
    b->videos_map.vals[s] = b->n_videos++;
    b->videos_map.n++;
    return v;
}

int groundtruth_parse(struct groundtruth *gt, const char *text, size_t len, const char *label,
                      struct error *err)
{
    memset(gt, 0, sizeof *gt);
    const char *W = "groundtruth";
    text_skip_bom(&text, &len);
    struct gt_builder b;
    memset(&b, 0, sizeof b);
    struct line_iter it = {text, len, 0, 0};
    const char *line;
    size_t llen, seq = 0;
    while (next_line(&it, &line, &llen)) {
        if (memchr(line, '\0', llen)) {
            LINE_ERR(err, W, label, it.lineno, line, llen, "the line holds a NUL byte");
            goto fail;
        }
        if (skip_line(line, llen)) continue;
        struct token tok[3];
        size_t nt = tokenize(line, llen, tok, 3);
        if (nt < 3) {
            LINE_ERR(err, W, label, it.lineno, line, llen,
                     "expected '<video_id> <frame_idx> <label>', found %zu field%s", nt,
                     nt == 1 ? "" : "s");
            goto fail;
        }
        uint64_t frame;
        int rc = parse_frame(tok[1], &frame);
        if (rc != 0) {
            char ex[96];
            excerpt(tok[1].s, tok[1].len, ex, sizeof ex);
            LINE_ERR(err, W, label, it.lineno, line, llen,
                     rc == -2 ? "frame index '%s' is too large"
                              : "frame index '%s' is not a non-negative integer",
                     ex);
            goto fail;
        }
        int32_t lid = -1;
        if (intern_label(&b, tok[2], &lid, err) != 0) goto fail;
        struct video_build *v = find_or_add_video(&b, tok[0], err);
        if (!v) goto fail;
        if (v->n == v->cap) {
            size_t nc = v->cap ? v->cap * 2 : 8;
            if (sg_realloc((void **)&v->ann, nc, sizeof *v->ann, "annotations", err) != 0)
                goto fail;
            v->cap = nc;
        }
        v->ann[v->n++] = (struct ann_build){frame, seq++, lid};
    }

    /* Finish: labels move over as they are; each video's annotations sorted, deduplicated. */
    gt->path = sg_strdup(label, err);
    if (!gt->path) goto fail;
    gt->videos = sg_calloc(b.n_videos, sizeof *gt->videos, "videos", err);
    if (!gt->videos) goto fail;
    for (size_t i = 0; i < b.n_videos; i++) {
        struct video_build *v = &b.videos[i];
        qsort(v->ann, v->n, sizeof *v->ann, cmp_ann);
        struct gt_annotation *a = sg_malloc(v->n, sizeof *a, "annotations", err);
        if (!a) goto fail;
        size_t k = 0;
        for (size_t j = 0; j < v->n; j++) {
            if (j + 1 < v->n && v->ann[j + 1].frame == v->ann[j].frame) continue; /* later wins */
            a[k++] = (struct gt_annotation){v->ann[j].frame, v->ann[j].label};
        }
        gt->videos[gt->n_videos++] = (struct gt_video){v->id, k, a};
        v->id = NULL;
    }
    qsort(gt->videos, gt->n_videos, sizeof *gt->videos, cmp_video);
    gt->labels = b.labels;
    gt->n_labels = b.n_labels;
    b.labels = NULL;
    b.n_labels = 0;
    builder_free(&b);
    return 0;
fail:
    builder_free(&b);
    groundtruth_free(gt);
    return -1;
}

int groundtruth_read(struct groundtruth *gt, const char *path, struct error *err)
{
    memset(gt, 0, sizeof *gt);
    char *buf;
    size_t len;
    if (input_file_read(path, "groundtruth", NULL, INPUT_TEXT_MAX, true, &buf, &len, err) != 0)
        return -1;
    int rc = groundtruth_parse(gt, buf, len, path, err);
    free(buf);
    return rc;
}

size_t groundtruth_num_labels(const struct groundtruth *gt)
{
    return gt->n_labels;
}

const char *groundtruth_label_name(const struct groundtruth *gt, int32_t id)
{
    if (id < 0 || (size_t)id >= gt->n_labels) return NULL;
    return gt->labels[id];
}

int32_t groundtruth_label_id(const struct groundtruth *gt, const char *name)
{
    for (size_t i = 0; i < gt->n_labels; i++)
        if (!strcmp(gt->labels[i], name)) return (int32_t)i;
    return -1;
}

size_t groundtruth_num_videos(const struct groundtruth *gt)
{
    return gt->n_videos;
}

const char *groundtruth_video_id(const struct groundtruth *gt, size_t i)
{
    return i < gt->n_videos ? gt->videos[i].id : NULL;
}

const struct gt_video *groundtruth_find_video(const struct groundtruth *gt,
                                              const char *video_id)
{
    size_t lo = 0, hi = gt->n_videos;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(gt->videos[mid].id, video_id);
        if (c == 0) return &gt->videos[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

size_t groundtruth_frame_labels(const struct groundtruth *gt, const char *video_id, size_t T,
                                enum label_fill fill, int32_t *out)
{
    for (size_t t = 0; t < T; t++) out[t] = -1;
    const struct gt_video *v = groundtruth_find_video(gt, video_id);
    if (!v) return 0;
    size_t used = 0;
    for (size_t i = 0; i < v->n_annotations; i++) {
        uint64_t f = v->annotations[i].frame;
        if (f >= T) break; /* sorted: the rest are beyond the end too */
        used++;
        size_t end = (size_t)f + 1;
        if (fill == LABEL_FILL_PREVIOUS) {
            end = T;
            if (i + 1 < v->n_annotations && v->annotations[i + 1].frame < T)
                end = (size_t)v->annotations[i + 1].frame;
        }
        for (size_t t = (size_t)f; t < end; t++) out[t] = v->annotations[i].label;
    }
    return used;
}

static bool is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An explicit path may also be a pipe (`--groundtruth <(grep … gt.txt)`): it must exist and
 * not be a folder (core/input_file.h); the defaults in the data folder are regular files. */

static char *join2(const char *dir, const char *name, struct error *err)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = sg_malloc(a + b + 2, 1, "path", err);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t o = a;
    if (a == 0 || dir[a - 1] != '/') p[o++] = '/';
    memcpy(p + o, name, b + 1);
    return p;
}

int groundtruth_find(const char *data_dir, const char *explicit_path, bool required, char **out,
                     struct error *err)
{
    *out = NULL;
    if (explicit_path) {
        if (input_file_check(explicit_path, "groundtruth", "--groundtruth", err)) return -1;
        *out = sg_strdup(explicit_path, err);
        return *out ? 0 : -1;
    }
    static const char *const names[] = {"groundtruth.txt", "groundtruth"};
    for (size_t i = 0; i < 2; i++) {
        char *p = join2(data_dir, names[i], err);
        if (!p) return -1;
        if (is_regular_file(p)) {
            *out = p;
            return 0;
        }
        free(p);
    }
    if (!required) return 0;
    error_set(err,
              "groundtruth: no groundtruth file in '%s' (looked for 'groundtruth.txt' and "
              "'groundtruth')",
              data_dir);
    return error_hint(err, "pass --groundtruth FILE");
}

/* ---- signers ----------------------------------------------------------------------------- */

static int cmp_signer(const void *a, const void *b)
{
    return strcmp(((const struct signer_entry *)a)->video,
                  ((const struct signer_entry *)b)->video);
}

void signers_free(struct signers *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->entries[i].video);
        free(s->entries[i].signer);
    }
    free(s->entries);
    free(s->path);
    memset(s, 0, sizeof *s);
}

int signers_parse(struct signers *s, const char *text, size_t len, const char *label,
                  struct error *err)
{
    memset(s, 0, sizeof *s);
    const char *W = "signers";
    text_skip_bom(&text, &len);
    struct strmap map;
    memset(&map, 0, sizeof map);
    size_t cap = 0;
    struct line_iter it = {text, len, 0, 0};
    const char *line;
    size_t llen;
    while (next_line(&it, &line, &llen)) {
        if (memchr(line, '\0', llen)) {
            LINE_ERR(err, W, label, it.lineno, line, llen, "the line holds a NUL byte");
            goto fail;
        }
        if (skip_line(line, llen)) continue;
        struct token tok[2];
        size_t nt = tokenize(line, llen, tok, 2);
        if (nt < 2) {
            LINE_ERR(err, W, label, it.lineno, line, llen,
                     "expected '<video_id> <signer_id>', found 1 field");
            goto fail;
        }
        char *signer = dup_token(tok[1], err);
        if (!signer) goto fail;
        if (map.cap == 0 && strmap_grow(&map, err) != 0) {
            free(signer);
            goto fail;
        }
        bool found;
        size_t slot = strmap_slot(&map, tok[0].s, tok[0].len, &found);
        if (found) { /* a later line overrides */
            struct signer_entry *e = &s->entries[map.vals[slot]];
            free(e->signer);
            e->signer = signer;
            continue;
        }
        if (s->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            if (sg_realloc((void **)&s->entries, nc, sizeof *s->entries, "signers", err) != 0) {
                free(signer);
                goto fail;
            }
            cap = nc;
        }
        char *video = dup_token(tok[0], err);
        if (!video) {
            free(signer);
            goto fail;
        }
        if (2 * (map.n + 1) > map.cap) {
            if (strmap_grow(&map, err) != 0) {
                free(video);
                free(signer);
                goto fail;
            }
            slot = strmap_slot(&map, tok[0].s, tok[0].len, &found);
        }
        s->entries[s->n] = (struct signer_entry){video, signer};
        map.keys[slot] = video;
        map.vals[slot] = s->n++;
        map.n++;
    }
    strmap_free(&map);
    if (s->n > 1) qsort(s->entries, s->n, sizeof *s->entries, cmp_signer); /* NULL when empty */
    s->path = sg_strdup(label, err);
    if (!s->path) goto fail;
    return 0;
fail:
    strmap_free(&map);
    signers_free(s);
    return -1;
}

int signers_read(struct signers *s, const char *path, struct error *err)
{
    memset(s, 0, sizeof *s);
    char *buf;
    size_t len;
    if (input_file_read(path, "signers", NULL, INPUT_TEXT_MAX, true, &buf, &len, err) != 0)
        return -1;
    int rc = signers_parse(s, buf, len, path, err);
    free(buf);
    return rc;
}

const char *signers_lookup(const struct signers *s, const char *video_id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->entries[mid].video, video_id);
        if (c == 0) return s->entries[mid].signer;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

int signers_find(const char *data_dir, const char *explicit_path, char **out,
                 struct error *err)
{
    *out = NULL;
    if (explicit_path) {
        if (input_file_check(explicit_path, "signers", "--signers", err)) return -1;
        *out = sg_strdup(explicit_path, err);
        return *out ? 0 : -1;
    }
    char *p = join2(data_dir, "signers.txt", err);
    if (!p) return -1;
    if (is_regular_file(p)) *out = p;
    else free(p);
    return 0;
}
