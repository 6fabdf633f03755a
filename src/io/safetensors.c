/* safetensors.c — the safetensors reader and writer (format in safetensors.h).
 *
 * The reader treats every byte as hostile. The 8-byte header length is checked against the
 * cap and the file size before anything else; the header must be one JSON object (trailing
 * blanks allowed, as the reference writer pads with spaces) whose members are either
 * "__metadata__" (an object of strings) or a tensor {dtype, shape, data_offsets}. Numbers are
 * accepted only when they are non-negative integers that a double represents exactly (< 2^53),
 * shapes are multiplied with overflow checks, each shape must match its byte range exactly, and
 * the ranges sorted by offset must tile the data section from 0 to its end: an overlap, a gap or
 * trailing bytes are errors, as the format requires. Duplicate names (JSON allows them, cJSON
 * keeps them) are refused. Values are decoded byte by byte as little endian, so neither host
 * byte order nor the alignment of the data section matters.
 *
 * The writer copies each tensor on add, orders tensors by name (deterministic files whatever
 * the order of the calls), puts "__metadata__" first, pads the header with spaces to a
 * multiple of 8 and writes through core/atomic_file.
 *
 * Not supported: dtypes beyond the table below (F8 variants, complex); writing dtypes other
 * than F32/I64/U64 (nothing in signstgcn stores anything else).
 */
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/input_file.h"

static const struct {
    const char *name;
    size_t size;
} dtype_table[] = {
    [ST_BOOL] = {"BOOL", 1}, [ST_U8] = {"U8", 1},   [ST_I8] = {"I8", 1},
    [ST_U16] = {"U16", 2},   [ST_I16] = {"I16", 2}, [ST_U32] = {"U32", 4},
    [ST_I32] = {"I32", 4},   [ST_U64] = {"U64", 8}, [ST_I64] = {"I64", 8},
    [ST_F16] = {"F16", 2},   [ST_BF16] = {"BF16", 2}, [ST_F32] = {"F32", 4},
    [ST_F64] = {"F64", 8},
};
_Static_assert(sizeof dtype_table / sizeof dtype_table[0] == ST_DTYPE_COUNT,
               "dtype_table must name every enum st_dtype");

#define JSON_MAX_EXACT 9007199254740992.0 /* 2^53 */

const char *st_dtype_name(enum st_dtype dt)
{
    return (unsigned)dt < ST_DTYPE_COUNT ? dtype_table[dt].name : "?";
}

size_t st_dtype_size(enum st_dtype dt)
{
    return (unsigned)dt < ST_DTYPE_COUNT ? dtype_table[dt].size : 0;
}

static int dtype_parse(const char *s)
{
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (strcmp(s, dtype_table[i].name) == 0) return i;
    return -1;
}

static bool dtype_is_float(enum st_dtype dt)
{
    return dt == ST_F16 || dt == ST_BF16 || dt == ST_F32 || dt == ST_F64;
}

/* ---- little-endian decoding -------------------------------------------------------------- */

static uint64_t load_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

static void store_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static float f32_from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else { /* subnormal: value = mant * 2^-24 */
        float v = (float)mant * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return f32_from_bits(bits);
}

static double element_as_double(enum st_dtype dt, const uint8_t *p)
{
    switch (dt) {
    case ST_F16: return (double)f16_to_f32((uint16_t)load_le(p, 2));
    case ST_BF16: return (double)f32_from_bits((uint32_t)load_le(p, 2) << 16);
    case ST_F32: return (double)f32_from_bits((uint32_t)load_le(p, 4));
    default: {
        uint64_t b = load_le(p, 8);
        double d;
        memcpy(&d, &b, sizeof d);
        return d;
    }
    }
}

/* Integer element as (negative?, magnitude) so that both I64 and U64 targets can range-check. */
static void element_as_int(enum st_dtype dt, const uint8_t *p, bool *neg, uint64_t *mag)
{
    size_t n = dtype_table[dt].size;
    uint64_t raw = load_le(p, n);
    bool is_signed = dt == ST_I8 || dt == ST_I16 || dt == ST_I32 || dt == ST_I64;
    *neg = false;
    if (is_signed && (raw >> (8 * n - 1)) & 1) {
        /* two's complement magnitude of an n-byte negative number */
        uint64_t mask = n == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
        *neg = true;
        *mag = ((~raw) & mask) + 1;
    } else {
        *mag = raw;
    }
}

/* ---- reading ----------------------------------------------------------------------------- */

void safetensors_free(struct safetensors *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->num_tensors; i++) free(st->tensors[i].name);
    for (size_t i = 0; i < st->num_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->tensors);
    free(st->meta);
    free(st->buf);
    free(st->source);
    memset(st, 0, sizeof *st);
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const struct st_tensor *)a)->name, ((const struct st_tensor *)b)->name);
}

static int cmp_meta_key(const void *a, const void *b)
{
    return strcmp(((const struct st_meta *)a)->key, ((const struct st_meta *)b)->key);
}

struct span {
    size_t begin, end, index;
};

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* A JSON number that is a non-negative integer below 2^53 and fits size_t. */
static bool json_size(const cJSON *item, size_t *out)
{
    if (!cJSON_IsNumber(item)) return false;
    double d = item->valuedouble;
    if (!(d >= 0.0) || d >= JSON_MAX_EXACT || d != floor(d)) return false;
    uint64_t u = (uint64_t)d;
    if (u > SIZE_MAX) return false;
    *out = (size_t)u;
    return true;
}

static int parse_metadata(struct safetensors *st, const cJSON *obj, struct error *err)
{
    const char *src = st->source;
    if (!cJSON_IsObject(obj))
        return error_set(err, "safetensors: '%s': __metadata__ is not a JSON object", src);
    size_t n = 0;
    for (const cJSON *it = obj->child; it; it = it->next) n++;
    st->meta = sg_calloc(n, sizeof *st->meta, "safetensors metadata", err);
    if (!st->meta) return -1;
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (!cJSON_IsString(it) || !it->string)
            return error_set(err,
                             "safetensors: '%s': __metadata__ entry '%s' is not a string",
                             src, it->string ? it->string : "?");
        struct st_meta *m = &st->meta[st->num_meta];
        m->key = sg_strdup(it->string, err);
        m->value = m->key ? sg_strdup(it->valuestring, err) : NULL;
        if (!m->key || !m->value) {
            free(m->key);
            m->key = NULL;
            return -1;
        }
        st->num_meta++;
    }
    qsort(st->meta, st->num_meta, sizeof *st->meta, cmp_meta_key);
    for (size_t i = 1; i < st->num_meta; i++)
        if (strcmp(st->meta[i - 1].key, st->meta[i].key) == 0)
            return error_set(err, "safetensors: '%s': duplicate __metadata__ key '%s'", src,
                             st->meta[i].key);
    return 0;
}

static int parse_tensor(struct safetensors *st, const cJSON *item, struct st_tensor *t,
                        struct error *err)
{
    const char *src = st->source, *name = item->string;
    if (!cJSON_IsObject(item))
        return error_set(err, "safetensors: '%s': tensor '%s': entry is not a JSON object",
                         src, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsString(dt))
        return error_set(err, "safetensors: '%s': tensor '%s': missing string 'dtype'", src,
                         name);
    int d = dtype_parse(dt->valuestring);
    if (d < 0)
        return error_set(err,
                         "safetensors: '%s': tensor '%s' has unknown dtype '%s' (expected "
                         "BOOL, U8..U64, I8..I64, F16, BF16, F32 or F64)",
                         src, name, dt->valuestring);
    t->dtype = (enum st_dtype)d;
    if (!cJSON_IsArray(shape))
        return error_set(err, "safetensors: '%s': tensor '%s': missing array 'shape'", src,
                         name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > ST_MAX_DIMS)
        return error_set(err, "safetensors: '%s': tensor '%s' has %d dimensions (at most %d)",
                         src, name, nd, ST_MAX_DIMS);
    t->ndim = (size_t)nd;
    size_t numel = 1, k = 0;
    for (const cJSON *s = shape->child; s; s = s->next, k++) {
        if (!json_size(s, &t->shape[k]))
            return error_set(err,
                             "safetensors: '%s': tensor '%s': shape entry %zu is not a "
                             "non-negative integer",
                             src, name, k);
        if (!size_mul(numel, t->shape[k], &numel))
            return error_set(err, "safetensors: '%s': tensor '%s': shape overflows", src,
                             name);
    }
    t->numel = numel;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !json_size(offs->child, &t->begin) || !json_size(offs->child->next, &t->end))
        return error_set(err,
                         "safetensors: '%s': tensor '%s': 'data_offsets' must be two "
                         "non-negative integers",
                         src, name);
    if (t->end < t->begin)
        return error_set(err,
                         "safetensors: '%s': tensor '%s': data_offsets [%zu, %zu] end "
                         "before they begin",
                         src, name, t->begin, t->end);
    if (t->end > st->data_size)
        return error_set(err,
                         "safetensors: '%s': tensor '%s': data_offsets end %zu beyond the "
                         "data section (%zu bytes)",
                         src, name, t->end, st->data_size);
    size_t nbytes;
    if (!size_mul(numel, dtype_table[d].size, &nbytes) || nbytes != t->end - t->begin)
        return error_set(err,
                         "safetensors: '%s': tensor '%s': shape holds %zu %s elements but "
                         "data_offsets [%zu, %zu] span %zu bytes",
                         src, name, numel, dtype_table[d].name, t->begin, t->end,
                         t->end - t->begin);
    return 0;
}

static int check_coverage(struct safetensors *st, struct error *err)
{
    size_t n = st->num_tensors;
    struct span *idx = sg_malloc(n, sizeof *idx, "safetensors offsets", err);
    if (!idx) return -1;
    for (size_t i = 0; i < n; i++)
        idx[i] = (struct span){st->tensors[i].begin, st->tensors[i].end, i};
    qsort(idx, n, sizeof *idx, cmp_span);
    size_t expect = 0;
    const char *prev = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct st_tensor *t = &st->tensors[idx[i].index];
        if (t->begin < expect)
            rc = error_set(err,
                           "safetensors: '%s': tensors '%s' and '%s' overlap (byte %zu begins "
                           "before %zu)",
                           st->source, prev, t->name, t->begin, expect);
        else if (t->begin > expect)
            rc = error_set(err,
                           "safetensors: '%s': gap in the data section before tensor '%s' "
                           "(bytes %zu..%zu belong to no tensor)",
                           st->source, t->name, expect, t->begin);
        expect = t->end;
        prev = t->name;
    }
    if (rc == 0 && expect != st->data_size)
        rc = error_set(err,
                       "safetensors: '%s': data section has %zu bytes but the tensors cover "
                       "%zu",
                       st->source, st->data_size, expect);
    free(idx);
    return rc;
}

static int parse_buffer(struct safetensors *st, struct error *err)
{
    const char *src = st->source;
    if (st->size < 8)
        return error_set(err,
                         "safetensors: '%s': file has %zu bytes (expected at least the 8-byte "
                         "header length)",
                         src, st->size);
    uint64_t hlen = load_le(st->buf, 8);
    if (hlen > ST_MAX_HEADER)
        return error_set(err,
                         "safetensors: '%s': header length %llu exceeds the limit of %llu "
                         "bytes",
                         src, (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
    if (hlen > st->size - 8)
        return error_set(err,
                         "safetensors: '%s': header length %llu runs beyond the end of the "
                         "file (%zu bytes)",
                         src, (unsigned long long)hlen, st->size);
    if (hlen < 2)
        return error_set(err, "safetensors: '%s': header of %llu bytes cannot hold a JSON "
                              "object", src, (unsigned long long)hlen);
    const char *json = (const char *)st->buf + 8;
    st->data = st->buf + 8 + hlen;
    st->data_size = st->size - 8 - (size_t)hlen;

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)hlen, &end, 0);
    if (!root)
        return error_set(err, "safetensors: '%s': header is not valid JSON (near byte %zu)",
                         src, end ? (size_t)(end - json) : (size_t)0);
    int rc = 0;
    for (const char *p = end; p < json + hlen; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            rc = error_set(err,
                           "safetensors: '%s': trailing bytes after the JSON header (byte %zu)",
                           src, (size_t)(p - json));
            break;
        }
    if (rc == 0 && !cJSON_IsObject(root))
        rc = error_set(err, "safetensors: '%s': header is JSON but not an object", src);
    size_t n = 0;
    if (rc == 0)
        for (const cJSON *it = root->child; it; it = it->next)
            if (!it->string || strcmp(it->string, "__metadata__") != 0) n++;
    if (rc == 0) {
        st->tensors = sg_calloc(n, sizeof *st->tensors, "safetensors tensors", err);
        if (!st->tensors) rc = -1;
    }
    bool have_meta = false;
    for (const cJSON *it = rc == 0 ? root->child : NULL; it && rc == 0; it = it->next) {
        if (!it->string || !it->string[0]) {
            rc = error_set(err, "safetensors: '%s': tensor with an empty name", src);
        } else if (strcmp(it->string, "__metadata__") == 0) {
            if (have_meta)
                rc = error_set(err, "safetensors: '%s': __metadata__ appears twice", src);
            else
                rc = parse_metadata(st, it, err);
            have_meta = true;
        } else {
            struct st_tensor *t = &st->tensors[st->num_tensors];
            rc = parse_tensor(st, it, t, err);
            if (rc == 0) {
                t->name = sg_strdup(it->string, err);
                if (!t->name) rc = -1;
                else st->num_tensors++;
            }
        }
    }
    cJSON_Delete(root);
    if (rc != 0) return -1;
    qsort(st->tensors, st->num_tensors, sizeof *st->tensors, cmp_tensor_name);
    for (size_t i = 1; i < st->num_tensors; i++)
        if (strcmp(st->tensors[i - 1].name, st->tensors[i].name) == 0)
            return error_set(err, "safetensors: '%s': tensor '%s' appears twice", src,
                             st->tensors[i].name);
    return check_coverage(st, err);
}

int safetensors_from_memory(struct safetensors *st, const void *bytes, size_t size,
                            const char *label, struct error *err)
{
    memset(st, 0, sizeof *st);
    st->source = sg_strdup(label ? label : "<memory>", err);
    st->buf = sg_malloc(size, 1, "safetensors buffer", err);
    if (!st->source || !st->buf) {
        safetensors_free(st);
        return -1;
    }
    if (size) memcpy(st->buf, bytes, size);
    st->size = size;
    if (parse_buffer(st, err) != 0) {
        safetensors_free(st);
        return -1;
    }
    return 0;
}

int safetensors_open(struct safetensors *st, const char *path, struct error *err)
{
    memset(st, 0, sizeof *st);
    /* a regular file only (a folder or a device is named as such), at most
     * INPUT_CHECKPOINT_MAX bytes and no more than the memory there is (core/alloc.h) */
    char *buf;
    size_t len;
    if (input_file_read(path, "safetensors", NULL, INPUT_CHECKPOINT_MAX, false, &buf, &len, err))
        return -1;
    st->source = sg_strdup(path, err);
    if (!st->source) {
        free(buf);
        return -1;
    }
    st->buf = (uint8_t *)buf;
    st->size = len;
    int rc = parse_buffer(st, err);
    if (rc != 0) safetensors_free(st);
    return rc;
}

const struct st_tensor *safetensors_find(const struct safetensors *st, const char *name)
{
    if (!st->num_tensors) return NULL;
    struct st_tensor key = {.name = (char *)name};
    return bsearch(&key, st->tensors, st->num_tensors, sizeof key, cmp_tensor_name);
}

const char *safetensors_meta_get(const struct safetensors *st, const char *key)
{
    if (!st->num_meta) return NULL;
    struct st_meta k = {.key = (char *)key};
    const struct st_meta *m = bsearch(&k, st->meta, st->num_meta, sizeof k, cmp_meta_key);
    return m ? m->value : NULL;
}

static void format_shape(char *buf, size_t cap, size_t ndim, const size_t *shape)
{
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%zu", i ? "," : "", shape[i]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
}

static const struct st_tensor *find_or_fail(const struct safetensors *st, const char *name,
                                            struct error *err)
{
    const struct st_tensor *t = safetensors_find(st, name);
    if (!t) error_set(err, "safetensors: '%s': no tensor '%s'", st->source, name);
    return t;
}

int safetensors_check_shape(const struct safetensors *st, const char *name, size_t ndim,
                            const size_t *shape, struct error *err)
{
    const struct st_tensor *t = find_or_fail(st, name, err);
    if (!t) return -1;
    bool ok = t->ndim == ndim;
    for (size_t i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
    if (ok) return 0;
    char want[160], got[160];
    format_shape(want, sizeof want, ndim, shape);
    format_shape(got, sizeof got, t->ndim, t->shape);
    return error_set(err, "safetensors: '%s': tensor '%s' has shape %s (expected %s)",
                     st->source, name, got, want);
}

static const struct st_tensor *get_checked(const struct safetensors *st, const char *name,
                                           size_t count, bool want_float, struct error *err)
{
    const struct st_tensor *t = find_or_fail(st, name, err);
    if (!t) return NULL;
    if (t->numel != count) {
        error_set(err, "safetensors: '%s': tensor '%s' has %zu elements (expected %zu)",
                  st->source, name, t->numel, count);
        return NULL;
    }
    if (dtype_is_float(t->dtype) != want_float) {
        error_set(err, "safetensors: '%s': tensor '%s' has dtype %s (expected %s)",
                  st->source, name, dtype_table[t->dtype].name,
                  want_float ? "a float dtype: F16, BF16, F32 or F64"
                             : "an integer dtype: BOOL, U8..U64 or I8..I64");
        return NULL;
    }
    return t;
}

int safetensors_get_f32(const struct safetensors *st, const char *name, float *out,
                        size_t count, struct error *err)
{
    const struct st_tensor *t = get_checked(st, name, count, true, err);
    if (!t) return -1;
    const uint8_t *p = st->data + t->begin;
    size_t es = dtype_table[t->dtype].size;
    if (t->dtype == ST_F32) {
        for (size_t i = 0; i < count; i++)
            out[i] = f32_from_bits((uint32_t)load_le(p + i * es, 4));
    } else {
        for (size_t i = 0; i < count; i++)
            out[i] = (float)element_as_double(t->dtype, p + i * es);
    }
    return 0;
}

static int get_int(const struct safetensors *st, const char *name, void *out, size_t count,
                   bool to_signed, struct error *err)
{
    const struct st_tensor *t = get_checked(st, name, count, false, err);
    if (!t) return -1;
    const uint8_t *p = st->data + t->begin;
    size_t es = dtype_table[t->dtype].size;
    for (size_t i = 0; i < count; i++) {
        bool neg;
        uint64_t mag;
        element_as_int(t->dtype, p + i * es, &neg, &mag);
        if (t->dtype == ST_BOOL && mag > 1)
            return error_set(err, "safetensors: '%s': tensor '%s' element %zu: BOOL byte %llu "
                                  "(expected 0 or 1)",
                             st->source, name, i, (unsigned long long)mag);
        if (to_signed) {
            int64_t v;
            if (!neg && mag > (uint64_t)INT64_MAX)
                return error_set(err, "safetensors: '%s': tensor '%s' element %zu = %llu does "
                                      "not fit int64",
                                 st->source, name, i, (unsigned long long)mag);
            if (neg) v = mag == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)mag;
            else v = (int64_t)mag;
            ((int64_t *)out)[i] = v;
        } else {
            if (neg)
                return error_set(err, "safetensors: '%s': tensor '%s' element %zu is negative "
                                      "(expected uint64)",
                                 st->source, name, i);
            ((uint64_t *)out)[i] = mag;
        }
    }
    return 0;
}

int safetensors_get_i64(const struct safetensors *st, const char *name, int64_t *out,
                        size_t count, struct error *err)
{
    return get_int(st, name, out, count, true, err);
}

int safetensors_get_u64(const struct safetensors *st, const char *name, uint64_t *out,
                        size_t count, struct error *err)
{
    return get_int(st, name, out, count, false, err);
}

/* ---- writing ----------------------------------------------------------------------------- */

void safetensors_writer_init(struct safetensors_writer *w) { memset(w, 0, sizeof *w); }

void safetensors_writer_free(struct safetensors_writer *w)
{
    for (size_t i = 0; i < w->num_entries; i++) {
        free(w->entries[i].name);
        free(w->entries[i].bytes);
    }
    for (size_t i = 0; i < w->num_meta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->entries);
    free(w->meta);
    memset(w, 0, sizeof *w);
}

static int writer_add(struct safetensors_writer *w, const char *name, enum st_dtype dt,
                      size_t ndim, const size_t *shape, const void *data, struct error *err)
{
    if (!name || !*name || strcmp(name, "__metadata__") == 0)
        return error_set(err, "safetensors_writer: invalid tensor name '%s'",
                         name ? name : "(null)");
    if (ndim > ST_MAX_DIMS)
        return error_set(err, "safetensors_writer: tensor '%s' has %zu dimensions (at most %d)",
                         name, ndim, ST_MAX_DIMS);
    for (size_t i = 0; i < w->num_entries; i++)
        if (strcmp(w->entries[i].name, name) == 0)
            return error_set(err, "safetensors_writer: tensor '%s' added twice", name);
    size_t numel = 1, es = dtype_table[dt].size, nbytes;
    for (size_t i = 0; i < ndim; i++)
        if (!size_mul(numel, shape[i], &numel))
            return error_set(err, "safetensors_writer: tensor '%s': shape overflows", name);
    if (!size_mul(numel, es, &nbytes) || (double)nbytes >= JSON_MAX_EXACT)
        return error_set(err, "safetensors_writer: tensor '%s' is too large", name);
    if (w->num_entries == w->cap_entries) {
        size_t cap = w->cap_entries ? 2 * w->cap_entries : 16;
        if (sg_realloc((void **)&w->entries, cap, sizeof *w->entries, "safetensors_writer",
                       err) != 0)
            return -1;
        w->cap_entries = cap;
    }
    struct st_wentry e = {.dtype = dt, .ndim = ndim, .nbytes = nbytes};
    for (size_t i = 0; i < ndim; i++) e.shape[i] = shape[i];
    e.name = sg_strdup(name, err);
    e.bytes = e.name ? sg_malloc(nbytes, 1, "safetensors_writer data", err) : NULL;
    if (!e.bytes) {
        free(e.name);
        return -1;
    }
    const uint8_t *src = data;
    for (size_t i = 0; i < numel; i++) {
        uint64_t v = 0;
        if (es == 4) {
            uint32_t u;
            memcpy(&u, src + 4 * i, 4);
            v = u;
        } else {
            memcpy(&v, src + 8 * i, 8);
        }
        store_le(e.bytes + es * i, v, es);
    }
    w->entries[w->num_entries++] = e;
    return 0;
}

int safetensors_writer_add_f32(struct safetensors_writer *w, const char *name, size_t ndim,
                               const size_t *shape, const float *data, struct error *err)
{
    return writer_add(w, name, ST_F32, ndim, shape, data, err);
}

int safetensors_writer_add_i64(struct safetensors_writer *w, const char *name, size_t ndim,
                               const size_t *shape, const int64_t *data, struct error *err)
{
    return writer_add(w, name, ST_I64, ndim, shape, data, err);
}

int safetensors_writer_add_u64(struct safetensors_writer *w, const char *name, size_t ndim,
                               const size_t *shape, const uint64_t *data, struct error *err)
{
    return writer_add(w, name, ST_U64, ndim, shape, data, err);
}

int safetensors_writer_set_meta(struct safetensors_writer *w, const char *key,
                                const char *value, struct error *err)
{
    if (!key || !value) return error_set(err, "safetensors_writer: NULL metadata key or value");
    char *v = sg_strdup(value, err);
    if (!v) return -1;
    for (size_t i = 0; i < w->num_meta; i++)
        if (strcmp(w->meta[i].key, key) == 0) {
            free(w->meta[i].value);
            w->meta[i].value = v;
            return 0;
        }
    if (w->num_meta == w->cap_meta) {
        size_t cap = w->cap_meta ? 2 * w->cap_meta : 8;
        if (sg_realloc((void **)&w->meta, cap, sizeof *w->meta, "safetensors_writer", err) !=
            0) {
            free(v);
            return -1;
        }
        w->cap_meta = cap;
    }
    char *k = sg_strdup(key, err);
    if (!k) {
        free(v);
        return -1;
    }
    w->meta[w->num_meta].key = k;
    w->meta[w->num_meta].value = v;
    w->num_meta++;
    return 0;
}

static int cmp_entry_ptr(const void *a, const void *b)
{
    const struct st_wentry *x = *(const struct st_wentry *const *)a;
    const struct st_wentry *y = *(const struct st_wentry *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_meta_ptr(const void *a, const void *b)
{
    const struct st_meta *x = *(const struct st_meta *const *)a;
    const struct st_meta *y = *(const struct st_meta *const *)b;
    return strcmp(x->key, y->key);
}

/* Builds the JSON header text; order[] receives the entries in write order (by name). */
static char *build_header(const struct safetensors_writer *w, const struct st_wentry **order,
                          struct error *err)
{
    for (size_t i = 0; i < w->num_entries; i++) order[i] = &w->entries[i];
    qsort(order, w->num_entries, sizeof *order, cmp_entry_ptr);
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    if (ok && w->num_meta) {
        const struct st_meta **mo = sg_malloc(w->num_meta, sizeof *mo, "safetensors_writer",
                                              err);
        cJSON *meta = mo ? cJSON_AddObjectToObject(root, "__metadata__") : NULL;
        ok = meta != NULL;
        if (ok) {
            for (size_t i = 0; i < w->num_meta; i++) mo[i] = &w->meta[i];
            qsort(mo, w->num_meta, sizeof *mo, cmp_meta_ptr);
            for (size_t i = 0; ok && i < w->num_meta; i++)
                ok = cJSON_AddStringToObject(meta, mo[i]->key, mo[i]->value) != NULL;
        }
        free(mo);
    }
    size_t off = 0;
    for (size_t i = 0; ok && i < w->num_entries; i++) {
        const struct st_wentry *e = order[i];
        double offs[2] = {(double)off, (double)(off + e->nbytes)};
        double dims[ST_MAX_DIMS];
        for (size_t d = 0; d < e->ndim; d++) dims[d] = (double)e->shape[d];
        /* member order as the reference writer emits it: dtype, shape, data_offsets */
        cJSON *t = cJSON_AddObjectToObject(root, e->name);
        ok = t && cJSON_AddStringToObject(t, "dtype", dtype_table[e->dtype].name);
        cJSON *shape = ok ? cJSON_CreateDoubleArray(dims, (int)e->ndim) : NULL;
        ok = shape && cJSON_AddItemToObject(t, "shape", shape);
        if (shape && !ok) cJSON_Delete(shape);
        cJSON *range = ok ? cJSON_CreateDoubleArray(offs, 2) : NULL;
        ok = range && cJSON_AddItemToObject(t, "data_offsets", range);
        if (range && !ok) cJSON_Delete(range);
        off += e->nbytes;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) error_set(err, "safetensors_writer: cannot build the JSON header (out of memory)");
    return text;
}

int safetensors_writer_to_memory(const struct safetensors_writer *w, uint8_t **out,
                                 size_t *out_len, struct error *err)
{
    *out = NULL;
    *out_len = 0;
    const struct st_wentry **order = sg_malloc(w->num_entries, sizeof *order,
                                               "safetensors_writer", err);
    if (!order) return -1;
    char *text = build_header(w, order, err);
    if (!text) {
        free(order);
        return -1;
    }
    size_t tlen = strlen(text), hlen = (tlen + 7) / 8 * 8, total = 8 + hlen;
    for (size_t i = 0; i < w->num_entries; i++) total += w->entries[i].nbytes;
    uint8_t *buf = sg_malloc(total, 1, "safetensors_writer output", err);
    if (buf) {
        store_le(buf, hlen, 8);
        memcpy(buf + 8, text, tlen);
        memset(buf + 8 + tlen, ' ', hlen - tlen);
        size_t pos = 8 + hlen;
        for (size_t i = 0; i < w->num_entries; i++) {
            const struct st_wentry *e = order[i];
            if (e->nbytes) memcpy(buf + pos, e->bytes, e->nbytes);
            pos += e->nbytes;
        }
        *out = buf;
        *out_len = total;
    }
    cJSON_free(text);
    free(order);
    return buf ? 0 : -1;
}

int safetensors_writer_save(const struct safetensors_writer *w, const char *path,
                            struct error *err)
{
    uint8_t *buf;
    size_t len;
    if (safetensors_writer_to_memory(w, &buf, &len, err) != 0)
        return error_prefix(err, "safetensors: '%s'", path);
    int rc = atomic_file_write_all(path, buf, len, err);
    free(buf);
    if (rc != 0) error_prefix(err, "safetensors");
    return rc;
}
