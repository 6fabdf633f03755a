/* npy.h — the .npy array format inside an .npz: header parsing, element conversion to
 * float32, and header writing (implementation in npy.c; npz.c drives it over zip members).
 *
 * Format (numpy/lib/format.py): "\x93NUMPY", major, minor, a little-endian header length
 * (uint16 for version 1.0, uint32 for 2.0 and 3.0), then a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and a final
 * newline, then the raw elements.
 */
#ifndef SG_IO_NPY_H
#define SG_IO_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/npz.h"

/* Bytes before the header length field: magic (6) + version (2). */
#define NPY_PREFIX_LEN 8
/* Largest header (dict text) accepted: numpy itself refuses headers over 10000 characters. */
#define NPY_MAX_HEADER_LEN 65536u

enum npy_float { NPY_F16 = 2, NPY_F32 = 4, NPY_F64 = 8 };

/* What npy_parse_header found. `kind` and `big_endian` are only meaningful when the dtype is
 * a supported float (npy_parse_header returned 0 and m->ok is true). */
struct npy_info {
    enum npy_float kind;
    bool big_endian;
    size_t header_bytes; /* magic + version + length field + dict: where the data starts */
    size_t data_bytes;   /* count * element size */
};

/* Reads the magic and version of the first NPY_PREFIX_LEN bytes and the size of the header
 * length field. Returns 0 with *len_field_size = 2 or 4, or -1 with `reason` set (a phrase
 * that follows "member 'x.npy' ", e.g. "is not an .npy array (bad magic)"). */
int npy_parse_prefix(const unsigned char *p, size_t n, struct npz_member *m,
                     size_t *len_field_size, char *reason, size_t reason_cap);

/* Parses the header dict (`len` bytes, not NUL-terminated) into m (descr, fortran_order,
 * ndim, shape, count) and info. Returns 0 when the header is well formed; m->ok then tells
 * whether the dtype is a supported float (if not, m->reason says why). Returns -1 with
 * `reason` set when the header is malformed. */
int npy_parse_dict(const char *text, size_t len, struct npz_member *m, struct npy_info *info,
                   char *reason, size_t reason_cap);

/* The shape as Python writes a tuple: "()", "(5,)", "(2, 3)" (truncated to cap). */
void npy_shape_str(int ndim, const size_t *shape, char *buf, size_t cap);

/* Converts `n` elements of stored dtype (kind, byte order) at `src` to float32. float16 is
 * widened exactly (subnormals, infinities and NaN payloads kept as numpy does); float64 is
 * rounded to nearest even as numpy's astype(float32). */
void npy_convert_f32(const unsigned char *src, size_t n, enum npy_float kind, bool big_endian,
                     float *dst);

/* float16 bits -> float32, exactly. */
float npy_half_to_float(uint16_t h);

/* Writes a version 1.0 header for (descr, fortran_order, shape) into buf as numpy 1.24
 * writes it (padded to a multiple of 64 bytes). Returns the header's size, or 0 when it does
 * not fit in `cap` bytes or in a 1.0 header. */
size_t npy_format_header(char *buf, size_t cap, const char *descr, bool fortran_order,
                         int ndim, const size_t *shape);

/* Element size of a typestr descr such as "<f4", "|u1", ">i8" (byte order optional);
 * 0 when `descr` is not of that form. */
size_t npy_descr_itemsize(const char *descr);

#endif
