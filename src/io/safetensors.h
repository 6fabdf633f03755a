/* safetensors.h — read and write the safetensors format (checkpoints, PyTorch fixtures).
 *
 * File layout: 8-byte little-endian header length N, N bytes of JSON
 *   {"<name>": {"dtype": "F32", "shape": [2,3], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {"key": "value", ...}}
 * then the data section; offsets are relative to its start, tensors are row-major little
 * endian, and together they cover the data section exactly (no gap, no overlap).
 *
 * Reading: safetensors_open() / safetensors_from_memory() validate the whole file up front
 * (header length, JSON shape, dtypes, every shape against its byte range, coverage of the
 * data section) and keep one owned copy of the bytes; the tensor table is sorted by name.
 * Values come out through safetensors_get_{f32,i64,u64}, which convert from any dtype of the
 * same kind (float: F64/F32/F16/BF16; integer: I8..I64, U8..U64, BOOL) and refuse integers
 * that do not fit.
 *
 * Writing: a safetensors_writer collects named tensors (F32, I64, U64; copied on add) and
 * metadata entries, then writes them sorted by name, header padded with spaces to a multiple
 * of 8 bytes, through core/atomic_file (temporary file, fsync, rename, fsync folder).
 */
#ifndef SG_IO_SAFETENSORS_H
#define SG_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

struct error;

#define ST_MAX_DIMS 8
/* Headers longer than this are refused (the reference implementation uses the same cap). */
#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

enum st_dtype {
    ST_BOOL = 0, ST_U8, ST_I8, ST_U16, ST_I16, ST_U32, ST_I32, ST_U64, ST_I64,
    ST_F16, ST_BF16, ST_F32, ST_F64,
    ST_DTYPE_COUNT
};

/* "F32", "I64", ... and its element size in bytes. */
const char *st_dtype_name(enum st_dtype dt);
size_t st_dtype_size(enum st_dtype dt);

struct st_tensor {
    char *name;
    enum st_dtype dtype;
    size_t ndim;
    size_t shape[ST_MAX_DIMS];
    size_t numel;          /* product of shape (1 for shape []) */
    size_t begin, end;     /* byte range inside the data section */
};

struct st_meta {
    char *key;
    char *value;
};

struct safetensors {
    char *source;                 /* file path or the caller's label, for messages */
    uint8_t *buf;                 /* the whole file */
    size_t size;
    const uint8_t *data;          /* data section (inside buf) */
    size_t data_size;
    struct st_tensor *tensors;    /* sorted by name */
    size_t num_tensors;
    struct st_meta *meta;         /* sorted by key */
    size_t num_meta;
};

/* Reads and validates a file. On failure *st is left empty (safe to free). */
int safetensors_open(struct safetensors *st, const char *path, struct error *err);
/* The same from bytes in memory (copied); `label` names the source in messages. */
int safetensors_from_memory(struct safetensors *st, const void *bytes, size_t size,
                            const char *label, struct error *err);
void safetensors_free(struct safetensors *st);

/* The tensor called `name`, or NULL. */
const struct st_tensor *safetensors_find(const struct safetensors *st, const char *name);
/* The metadata value for `key`, or NULL. */
const char *safetensors_meta_get(const struct safetensors *st, const char *key);

/* Checks that tensor `name` exists and has exactly this shape (ndim 0: a scalar, shape []). */
int safetensors_check_shape(const struct safetensors *st, const char *name, size_t ndim,
                            const size_t *shape, struct error *err);

/* Copies tensor `name` into out[0..count) converted to the requested type. The tensor must
 * have exactly `count` elements; floats come only from float dtypes, integers only from
 * integer/BOOL dtypes and must be representable in the target type. */
int safetensors_get_f32(const struct safetensors *st, const char *name, float *out,
                        size_t count, struct error *err);
int safetensors_get_i64(const struct safetensors *st, const char *name, int64_t *out,
                        size_t count, struct error *err);
int safetensors_get_u64(const struct safetensors *st, const char *name, uint64_t *out,
                        size_t count, struct error *err);

/* ---- writing ---------------------------------------------------------------------------- */

struct st_wentry {
    char *name;
    enum st_dtype dtype;
    size_t ndim;
    size_t shape[ST_MAX_DIMS];
    size_t nbytes;
    uint8_t *bytes;   /* little-endian copy of the data */
};

struct safetensors_writer {
    struct st_wentry *entries;
    size_t num_entries, cap_entries;
    struct st_meta *meta;
    size_t num_meta, cap_meta;
};

void safetensors_writer_init(struct safetensors_writer *w);
void safetensors_writer_free(struct safetensors_writer *w);
/* Adds a tensor (data copied; shape NULL allowed when ndim == 0). A second tensor of the same
 * name, an empty name, "__metadata__" or ndim > ST_MAX_DIMS is an error. */
int safetensors_writer_add_f32(struct safetensors_writer *w, const char *name, size_t ndim,
                               const size_t *shape, const float *data, struct error *err);
int safetensors_writer_add_i64(struct safetensors_writer *w, const char *name, size_t ndim,
                               const size_t *shape, const int64_t *data, struct error *err);
int safetensors_writer_add_u64(struct safetensors_writer *w, const char *name, size_t ndim,
                               const size_t *shape, const uint64_t *data, struct error *err);
/* Adds (or replaces) a metadata entry. */
int safetensors_writer_set_meta(struct safetensors_writer *w, const char *key,
                                const char *value, struct error *err);
/* Serialises into a malloc'ed buffer (free with free()). */
int safetensors_writer_to_memory(const struct safetensors_writer *w, uint8_t **out,
                                 size_t *out_len, struct error *err);
/* Writes the file atomically. */
int safetensors_writer_save(const struct safetensors_writer *w, const char *path,
                            struct error *err);

#endif
