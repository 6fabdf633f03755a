/* npz.h — reading and writing numpy .npz archives (contract; implementation in npz.c, npy.c).
 *
 * An .npz is a zip archive (stored or deflated members, zip64) of .npy files as numpy writes
 * them with np.savez / np.savez_compressed. Reading: npz_open() lists every member and parses
 * each .npy header (versions 1.0/2.0/3.0); npz_read_f32() converts one member's data to a
 * float32 array in C order whatever its stored dtype (float16/32/64, either byte order) and
 * order (C or Fortran). Members whose dtype is not a float, or whose header does not parse,
 * are listed with `ok = false` and a reason, and only fail when read.
 */
#ifndef SG_IO_NPZ_H
#define SG_IO_NPZ_H

#include <stdbool.h>
#include <stddef.h>

struct error;

#define NPY_MAX_DIMS 8

struct npz_member {
    char *name;        /* member name without the trailing ".npy" (e.g. "pose") */
    bool ok;           /* readable: header parsed, dtype float16/32/64, sizes agree */
    char reason[160];  /* when !ok: a phrase after "member 'x.npy' ", e.g.
                          "has dtype '<c8' (expected float16/32/64)" */
    char descr[16];    /* numpy dtype descr as stored, e.g. "<f4", ">f8", "<f2" */
    bool fortran_order;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    size_t count;      /* product of shape */
    int version_major; /* npy format version */
    /* private to npz.c: where the member is and how to convert it */
    unsigned long long zip_index;
    size_t data_offset; /* bytes of .npy header before the data */
    size_t data_bytes;  /* count * element size */
    int elem_size;      /* 2, 4 or 8 */
    bool big_endian;
};

struct npz {
    char *path;        /* for messages */
    size_t n_members;
    struct npz_member *members;
    void *zip;         /* zip_t *, private */
    void *source_buf;  /* private: buffer for npz_open_buffer */
};

/* Opens an .npz file and parses every member's header. Errors name the file: a missing
 * file, a file that is not a zip, a truncated archive, a zip with no .npy member. */
int npz_open(struct npz *z, const char *path, struct error *err);
/* The same from memory (fuzzing, tests); `label` stands for the path in messages. The buffer
 * is copied. */
int npz_open_buffer(struct npz *z, const void *data, size_t len, const char *label,
                    struct error *err);
void npz_close(struct npz *z);
/* Index of member `name` (without .npy), or -1. */
int npz_find(const struct npz *z, const char *name);
/* Reads member `idx` into dst (capacity `count` floats = the member's element count) as
 * float32 in C order. Errors name file and member (bad dtype, truncated data, size mismatch). */
int npz_read_f32(struct npz *z, size_t idx, float *dst, size_t count, struct error *err);

/* Writer: members are added one at a time; the archive is written atomically (temporary
 * file + fsync + rename) by npz_writer_close. */
struct npz_writer {
    void *zip;
    char *path;
    char *tmp_path;
    bool compress;
    int error; /* a failed add poisons the writer: close then fails */
    size_t n_members;
};
int npz_writer_open(struct npz_writer *w, const char *path, bool compress, struct error *err);
/* Adds a float32 array (C order, npy 1.0 header, little-endian "<f4"). */
int npz_writer_add_f32(struct npz_writer *w, const char *name, int ndim, const size_t *shape,
                       const float *data, struct error *err);
/* Adds raw data with an explicit descr (e.g. "<i8", "|u1") for tests and fixtures. */
int npz_writer_add_raw(struct npz_writer *w, const char *name, const char *descr,
                       bool fortran_order, int ndim, const size_t *shape, const void *data,
                       size_t nbytes, struct error *err);
int npz_writer_close(struct npz_writer *w, struct error *err);
void npz_writer_abort(struct npz_writer *w);

#endif
