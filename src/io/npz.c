/* npz.c — numpy .npz archives over libzip: listing, reading members as float32, writing.
 *
 * Reading. npz_open() opens the zip (from a file, or from a private copy of a buffer for
 * fuzzing), lists every member whose name ends in ".npy" (other members — a README, a
 * directory entry — are ignored as np.load ignores them for arrays) and parses each one's
 * .npy header by reading its first bytes through libzip (so stored, deflated and zip64
 * members all look alike). A member whose header is bad, whose dtype is not a float, or
 * whose size disagrees with its header is listed with ok=false and a reason; only reading
 * it fails. The archive itself failing to open is an error naming the file: missing, empty,
 * not a zip, or a zip whose end-of-central-directory record is gone (a truncated download).
 *
 * Sizes. Every size is checked twice: at open, the header's shape x element size must equal
 * the member's uncompressed size as the central directory states it; at read, the data is
 * streamed and must end exactly where the header says (a short stream is "truncated", a
 * longer one a size mismatch). Reading to the end of the member also makes libzip check
 * the CRC, so a damaged member is an error and never silently wrong numbers.
 *
 * Memory and speed. A healthy C-order member (stored or deflated, not encrypted) is read in
 * one piece: its stored bytes through libzip untouched (ZIP_FL_COMPRESSED), inflated by
 * libdeflate and checked against the archive's CRC-32 with libdeflate's (which runs 3.4×
 * zlib's on this machine: zlib's CRC was a quarter of `inspect`'s CPU on uncompressed npz).
 * It costs the member's size once more in memory, briefly. Anything unusual on that path — a
 * size, a CRC, a stream that does not inflate to exactly the stated size, a Fortran-order
 * member — falls back to the streaming reader, which reports problems in its own words:
 * it streams the member in 64 KiB chunks and converts each chunk into the
 * caller's float32 buffer (a float64 or float16 member never needs a full copy in its
 * stored dtype). Fortran-order members are scattered into C order as they stream, with an
 * odometer over the shape (no transposition buffer).
 *
 * Writing. npz_writer builds the archive with libzip in "<path>.tmp.<pid>" in the same
 * folder (libzip itself writes through a temporary and renames on zip_close), then fsyncs
 * it, renames it over <path> and fsyncs the folder. Each member is "<name>.npy" with a
 * numpy-identical version 1.0 header, stored or deflated (zlib level 6, numpy's default),
 * with a fixed 1980-01-01 timestamp so that the same arrays give the same bytes. libzip
 * keeps every added member in memory until close (the archive is written in one go).
 *
 * Not done: mmap, writing non-float dtypes other than through npz_writer_add_raw, npy
 * files outside a zip, encrypted members (listed as unreadable).
 */
#include "io/npz.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zip.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "io/npy.h"

#define READ_CHUNK_ELEMS 8192 /* 64 KiB of float64 per chunk */

/* Reads up to n bytes; returns the count (short only at the end of the member), or -1. */
static long long read_full(zip_file_t *zf, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        zip_int64_t r = zip_fread(zf, (char *)buf + got, n - got);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

static const char *zf_errstr(zip_file_t *zf)
{
    return zip_error_strerror(zip_file_get_error(zf));
}

/* Sets a member's reason (a phrase that follows "member 'x.npy' "), truncating if need be. */
static void set_reason(struct npz_member *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_reason(struct npz_member *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->reason, sizeof m->reason, fmt, ap);
    va_end(ap);
}

static void describe_dtype(const struct npz_member *m, char *buf, size_t cap)
{
    char shape[200];
    npy_shape_str(m->ndim, m->shape, shape, sizeof shape);
    snprintf(buf, cap, "shape %s of '%s'", shape, m->descr);
}

/* Reads and parses member idx's .npy header into m. Returns 0 (m->ok says whether the
 * member is readable; m->reason says why not) or -1 with err set when memory ran out. */
static int member_parse_header(zip_t *za, zip_uint64_t idx, struct npz_member *m,
                               struct error *err)
{
    zip_stat_t st;
    zip_stat_init(&st);
    m->ok = false;
    m->zip_index = idx;
    if (zip_stat_index(za, idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        snprintf(m->reason, sizeof m->reason, "has no readable size: %s",
                 zip_strerror(za));
        return 0;
    }
    zip_file_t *zf = zip_fopen_index(za, idx, 0);
    if (!zf) {
        snprintf(m->reason, sizeof m->reason, "cannot be opened: %s", zip_strerror(za));
        return 0;
    }
    unsigned char prefix[NPY_PREFIX_LEN + 4];
    size_t lf = 0, hl = 0;
    long long got = read_full(zf, prefix, NPY_PREFIX_LEN);
    if (got < 0) {
        snprintf(m->reason, sizeof m->reason, "cannot be read: %s", zf_errstr(zf));
        goto done;
    }
    if (npy_parse_prefix(prefix, (size_t)got, m, &lf, m->reason, sizeof m->reason) != 0) {
        if (got < NPY_PREFIX_LEN && (size_t)got == st.size && got > 0 &&
            memcmp(prefix, "\x93NUMPY", (size_t)got < 6 ? (size_t)got : 6) == 0)
            snprintf(m->reason, sizeof m->reason,
                     "is truncated: %lld bytes, shorter than an .npy header", got);
        goto done;
    }
    got = read_full(zf, prefix + NPY_PREFIX_LEN, lf);
    if (got < 0 || (size_t)got != lf) {
        if (got < 0) snprintf(m->reason, sizeof m->reason, "cannot be read: %s", zf_errstr(zf));
        else snprintf(m->reason, sizeof m->reason, "is truncated inside its .npy header");
        goto done;
    }
    const unsigned char *q = prefix + NPY_PREFIX_LEN;
    hl = lf == 2 ? (size_t)q[0] | (size_t)q[1] << 8
                 : (size_t)q[0] | (size_t)q[1] << 8 | (size_t)q[2] << 16 | (size_t)q[3] << 24;
    if (hl > NPY_MAX_HEADER_LEN) {
        snprintf(m->reason, sizeof m->reason,
                 "has a header of %zu bytes (at most %u supported)", hl,
                 NPY_MAX_HEADER_LEN);
        goto done;
    }
    m->data_offset = NPY_PREFIX_LEN + lf + hl;
    if (m->data_offset > st.size) {
        snprintf(m->reason, sizeof m->reason,
                 "is truncated: its .npy header needs %zu bytes, the member holds %llu",
                 m->data_offset, (unsigned long long)st.size);
        goto done;
    }
    char *text = sg_malloc(hl, 1, "npz_open: npy header", err);
    if (!text) {
        zip_fclose(zf);
        return -1;
    }
    got = read_full(zf, text, hl);
    if (got < 0 || (size_t)got != hl) {
        if (got < 0) snprintf(m->reason, sizeof m->reason, "cannot be read: %s", zf_errstr(zf));
        else snprintf(m->reason, sizeof m->reason, "is truncated inside its .npy header");
        sg_free(text);
        goto done;
    }
    struct npy_info info;
    int rc = npy_parse_dict(text, hl, m, &info, m->reason, sizeof m->reason);
    sg_free(text);
    if (rc != 0 || !m->ok) {
        m->ok = false;
        goto done;
    }
    m->elem_size = (int)info.kind;
    m->big_endian = info.big_endian;
    m->data_bytes = info.data_bytes;
    size_t have = (size_t)st.size - m->data_offset;
    if (have != m->data_bytes) {
        char what[240];
        describe_dtype(m, what, sizeof what);
        m->ok = false;
        set_reason(m, "%s: %s needs %zu data bytes, the member holds %zu",
                 have < m->data_bytes ? "is truncated" : "has a size mismatch", what,
                 m->data_bytes, have);
    }
done:
    zip_fclose(zf);
    return 0;
}

static bool has_npy_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcmp(name + n - 4, ".npy");
}

/* Lists and parses the members of an opened archive (z->zip set). */
static int cmp_name_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int npz_list(struct npz *z, struct error *err)
{
    zip_t *za = z->zip;
    zip_int64_t n = zip_get_num_entries(za, 0);
    size_t n_npy = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        if (name && has_npy_suffix(name)) n_npy++;
    }
    if (n_npy == 0)
        return error_set(err,
                         "npz_open: '%s': not an npz: the zip archive holds %lld member%s and "
                         "no .npy array (expected a file written by numpy.savez)",
                         z->path, (long long)n, n == 1 ? "" : "s");
    z->members = sg_calloc(n_npy, sizeof *z->members, "npz_open: members", err);
    if (!z->members) return -1;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        if (!name || !has_npy_suffix(name)) continue;
        struct npz_member *m = &z->members[z->n_members];
        size_t len = strlen(name) - 4;
        m->name = sg_malloc(len + 1, 1, "npz_open: member name", err);
        if (!m->name) return -1;
        memcpy(m->name, name, len);
        m->name[len] = '\0';
        z->n_members++;
        if (member_parse_header(za, (zip_uint64_t)i, m, err) != 0) return -1;
    }
    /* Two members of one name: numpy.load keeps the last, a first-match reader the first;
     * neither is what the writer meant, so the file is refused. */
    const char **names = sg_malloc(z->n_members, sizeof *names, "npz_open: member names", err);
    if (!names) return -1;
    for (size_t i = 0; i < z->n_members; i++) names[i] = z->members[i].name;
    qsort(names, z->n_members, sizeof *names, cmp_name_ptr);
    for (size_t i = 1; i < z->n_members; i++)
        if (!strcmp(names[i - 1], names[i])) {
            error_set(err, "npz_open: '%s': member '%s.npy' appears twice; the file is "
                      "ambiguous, write it again with numpy.savez", z->path, names[i]);
            sg_free(names);
            return -1;
        }
    sg_free(names);
    return 0;
}

/* The message for an archive libzip would not open. `head`/`size` are the file's first
 * bytes and length (to tell a truncated zip from something that is not a zip at all). */
static int open_error(struct error *err, const char *path, int code, int sys,
                      const unsigned char *head, size_t head_len, unsigned long long size)
{
    bool zip_start = head_len >= 4 && head[0] == 'P' && head[1] == 'K' &&
                     ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    switch (code) {
    case ZIP_ER_NOZIP:
        if (zip_start)
            return error_set(err,
                             "npz_open: '%s': truncated or damaged zip archive (%llu bytes, no "
                             "end-of-central-directory record)",
                             path, size);
        return error_set(err,
                         "npz_open: '%s': not a zip archive (expected an .npz written by "
                         "numpy.savez)",
                         path);
    case ZIP_ER_INCONS:
    case ZIP_ER_EOF:
        return error_set(err, "npz_open: '%s': truncated or damaged zip archive (%llu bytes, "
                              "inconsistent central directory)",
                         path, size);
    case ZIP_ER_MEMORY:
        return error_set(err, "npz_open: '%s': out of memory", path);
    default: {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        if (sys) errno = sys;
        error_set(err, "npz_open: '%s': cannot open as a zip archive: %s", path,
                  zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    }
}

int npz_open(struct npz *z, const char *path, struct error *err)
{
    memset(z, 0, sizeof *z);
    struct stat sb; /* stat first: opening a FIFO would block */
    if (stat(path, &sb) != 0)
        return error_set(err, "npz_open: '%s': cannot open: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return error_set(err, "npz_open: '%s': not a regular file", path);
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "npz_open: '%s': cannot open: %s", path, strerror(errno));
    unsigned char head[4];
    size_t head_len = fread(head, 1, sizeof head, f);
    fclose(f);
    if (sb.st_size == 0)
        return error_set(err, "npz_open: '%s': empty file (expected an .npz zip archive)", path);
    z->path = sg_strdup(path, err);
    if (!z->path) return error_prefix(err, "npz_open: '%s'", path);
    int code = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &code);
    if (!za) {
        open_error(err, path, code, errno, head, head_len, (unsigned long long)sb.st_size);
        npz_close(z);
        return -1;
    }
    z->zip = za;
    if (npz_list(z, err) != 0) {
        npz_close(z);
        return -1;
    }
    return 0;
}

int npz_open_buffer(struct npz *z, const void *data, size_t len, const char *label,
                    struct error *err)
{
    memset(z, 0, sizeof *z);
    if (len == 0)
        return error_set(err, "npz_open: '%s': empty file (expected an .npz zip archive)",
                         label);
    z->path = sg_strdup(label, err);
    if (!z->path) return error_prefix(err, "npz_open: '%s'", label);
    z->source_buf = sg_malloc(len, 1, "npz_open: buffer copy", err);
    if (!z->source_buf) {
        npz_close(z);
        return error_prefix(err, "npz_open: '%s'", label);
    }
    memcpy(z->source_buf, data, len);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(z->source_buf, len, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!za) {
        if (src) zip_source_free(src);
        open_error(err, label, zip_error_code_zip(&ze), zip_error_code_system(&ze),
                   data, len < 4 ? len : 4, (unsigned long long)len);
        zip_error_fini(&ze);
        npz_close(z);
        return -1;
    }
    zip_error_fini(&ze);
    z->zip = za;
    if (npz_list(z, err) != 0) {
        npz_close(z);
        return -1;
    }
    return 0;
}

void npz_close(struct npz *z)
{
    if (z->zip) zip_discard(z->zip);
    for (size_t i = 0; i < z->n_members; i++) sg_free(z->members[i].name);
    sg_free(z->members);
    sg_free(z->source_buf);
    sg_free(z->path);
    memset(z, 0, sizeof *z);
}

int npz_find(const struct npz *z, const char *name)
{
    for (size_t i = 0; i < z->n_members; i++)
        if (!strcmp(z->members[i].name, name)) return (int)i;
    return -1;
}

/* Scatters n converted elements (Fortran order, starting at the odometer's position) into
 * the C-order destination. */
struct odometer {
    int ndim;
    size_t idx[NPY_MAX_DIMS];
    size_t dim[NPY_MAX_DIMS];
    size_t cstride[NPY_MAX_DIMS];
    size_t off;
};

static void odometer_init(struct odometer *o, const struct npz_member *m)
{
    memset(o, 0, sizeof *o);
    o->ndim = m->ndim;
    size_t s = 1;
    for (int d = m->ndim - 1; d >= 0; d--) {
        o->dim[d] = m->shape[d];
        o->cstride[d] = s;
        s *= m->shape[d]; /* cannot overflow: the product is the member's count */
    }
}

static void odometer_scatter(struct odometer *o, const float *src, size_t n, float *dst)
{
    for (size_t i = 0; i < n; i++) {
        dst[o->off] = src[i];
        for (int d = 0; d < o->ndim; d++) { /* first axis fastest */
            o->off += o->cstride[d];
            if (++o->idx[d] < o->dim[d]) break;
            o->off -= o->dim[d] * o->cstride[d];
            o->idx[d] = 0;
        }
    }
}

/* Bytes [start, start+len) of stored member idx into buf; 0 when all were read. */
static int read_part(zip_t *za, zip_uint64_t idx, size_t start, size_t len, unsigned char *buf)
{
    if (len == 0) return 0;
    zip_source_t *src = zip_source_zip(za, za, idx, 0, start, (zip_int64_t)len);
    if (!src) return -1;
    int rc = -1;
    if (zip_source_open(src) == 0) {
        size_t got = 0;
        while (got < len) {
            const zip_int64_t r = zip_source_read(src, buf + got, len - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        rc = got == len ? 0 : -1;
        zip_source_close(src);
    }
    zip_source_free(src);
    return rc;
}

/* The one-piece read (see the top of the file). Returns 1 when dst is filled, 0 when the
 * member should go through the streaming reader instead (nothing reported), -1 when memory
 * ran out (err set). */
static int read_whole(struct npz *z, const struct npz_member *m, float *dst, struct error *err)
{
    if (m->fortran_order && m->ndim > 1) return 0;
    zip_stat_t st;
    zip_stat_init(&st);
    const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
                              ZIP_STAT_CRC | ZIP_STAT_ENCRYPTION_METHOD;
    if (zip_stat_index(z->zip, m->zip_index, 0, &st) != 0 || (st.valid & need) != need ||
        st.encryption_method != ZIP_EM_NONE ||
        (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE))
        return 0;
    const size_t size = m->data_offset + m->data_bytes;
    /* deflate expands incompressible data by 5 bytes per 64 KiB block; a larger claim is
     * not a healthy member (and must not size an allocation) */
    if (st.size != size || st.comp_size > size + size / 8192 + 1024 ||
        (st.comp_method == ZIP_CM_STORE && st.comp_size != size))
        return 0;
    const size_t csize = (size_t)st.comp_size;
    unsigned char *comp = sg_malloc(csize ? csize : 1, 1, "npz_read_f32: member bytes", err);
    if (!comp) return -1;
    unsigned char *data = comp, *plain = NULL;
    int rc = 0;
    if (st.comp_method == ZIP_CM_STORE) {
        /* libzip CRC-checks a stored member read whole (with zlib, the cost this path
         * avoids) but not a part of one: two parts, and the CRC below */
        if (read_part(z->zip, m->zip_index, 0, csize - 1, comp) != 0 ||
            read_part(z->zip, m->zip_index, csize - 1, 1, comp + csize - 1) != 0)
            goto out;
    } else {
        zip_file_t *zf = zip_fopen_index(z->zip, m->zip_index, ZIP_FL_COMPRESSED);
        if (!zf) goto out;
        long long got = read_full(zf, comp, csize);
        zip_fclose(zf);
        if (got < 0 || (size_t)got != csize) goto out;
    }
    if (st.comp_method == ZIP_CM_DEFLATE) {
        plain = sg_malloc(size ? size : 1, 1, "npz_read_f32: member data", err);
        if (!plain) {
            rc = -1;
            goto out;
        }
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        if (!d) goto out; /* the streaming reader needs no more memory than it had */
        size_t actual = 0;
        const enum libdeflate_result r =
            libdeflate_deflate_decompress(d, comp, csize, plain, size, &actual);
        libdeflate_free_decompressor(d);
        if (r != LIBDEFLATE_SUCCESS || actual != size) goto out;
        data = plain;
    }
    if (libdeflate_crc32(0, data, size) != st.crc) goto out;
    npy_convert_f32(data + m->data_offset, m->count, (enum npy_float)m->elem_size,
                    m->big_endian, dst);
    rc = 1;
out:
    free(plain);
    free(comp);
    return rc;
}

int npz_read_f32(struct npz *z, size_t idx, float *dst, size_t count, struct error *err)
{
    if (idx >= z->n_members)
        return error_set(err, "npz_read_f32: '%s': no member %zu (the file has %zu)", z->path,
                         idx, z->n_members);
    const struct npz_member *m = &z->members[idx];
    if (!m->ok)
        return error_set(err, "npz_read_f32: '%s': member '%s.npy' %s", z->path, m->name,
                         m->reason);
    if (count != m->count)
        return error_set(err,
                         "npz_read_f32: '%s': member '%s.npy' has %zu elements (the caller "
                         "expected %zu)",
                         z->path, m->name, m->count, count);
    const int whole = read_whole(z, m, dst, err);
    if (whole != 0)
        return whole > 0 ? 0 : error_prefix(err, "npz_read_f32: '%s': member '%s.npy'", z->path,
                                            m->name);
    zip_file_t *zf = zip_fopen_index(z->zip, m->zip_index, 0);
    if (!zf)
        return error_set(err, "npz_read_f32: '%s': member '%s.npy' cannot be opened: %s",
                         z->path, m->name, zip_strerror(z->zip));
    const size_t es = (size_t)m->elem_size;
    unsigned char *raw = sg_malloc(READ_CHUNK_ELEMS, 8, "npz_read_f32: read buffer", err);
    bool fortran = m->fortran_order && m->ndim > 1;
    float *tmp = fortran ? sg_malloc(READ_CHUNK_ELEMS, sizeof(float), "npz_read_f32: chunk",
                                     err)
                         : NULL;
    int rc = -1;
    if (!raw || (fortran && !tmp)) {
        error_prefix(err, "npz_read_f32: '%s': member '%s.npy'", z->path, m->name);
        goto out;
    }
    struct odometer od;
    if (fortran) odometer_init(&od, m);

    /* Skip the header (deflated streams cannot seek). */
    size_t skip = m->data_offset;
    while (skip > 0) {
        size_t want = skip < READ_CHUNK_ELEMS * 8 ? skip : READ_CHUNK_ELEMS * 8;
        long long got = read_full(zf, raw, want);
        if (got < 0 || (size_t)got != want) goto read_failed;
        skip -= want;
    }
    size_t done = 0;
    while (done < count) {
        size_t n = count - done < READ_CHUNK_ELEMS ? count - done : READ_CHUNK_ELEMS;
        long long got = read_full(zf, raw, n * es);
        if (got < 0) goto read_failed;
        if ((size_t)got != n * es) {
            error_set(err,
                      "npz_read_f32: '%s': member '%s.npy' is truncated: its data ends after "
                      "%zu of %zu bytes",
                      z->path, m->name, done * es + (size_t)got, m->data_bytes);
            goto out;
        }
        if (fortran) {
            npy_convert_f32(raw, n, (enum npy_float)m->elem_size, m->big_endian, tmp);
            odometer_scatter(&od, tmp, n, dst);
        } else {
            npy_convert_f32(raw, n, (enum npy_float)m->elem_size, m->big_endian, dst + done);
        }
        done += n;
    }
    /* The member must end here; reading to its end also has libzip check the CRC. */
    long long extra = read_full(zf, raw, 1);
    if (extra < 0) goto read_failed;
    if (extra > 0) {
        /* The archive's stated size was checked against the shape at open: more data now
         * means the stored (usually deflated) stream does not decode to what it claims. */
        error_set(err,
                  "npz_read_f32: '%s': member '%s.npy' is corrupt: it decodes to more than the "
                  "%zu bytes its header and the archive declare; the file is damaged, export "
                  "it again", z->path, m->name, m->data_bytes);
        goto out;
    }
    rc = 0;
    goto out;
read_failed:
    if (zip_error_code_zip(zip_file_get_error(zf)) == ZIP_ER_OK)
        error_set(err, "npz_read_f32: '%s': member '%s.npy' is truncated inside its header",
                  z->path, m->name);
    else
        error_set(err, "npz_read_f32: '%s': member '%s.npy' is corrupt (%s); the file is "
                  "damaged, export it again", z->path, m->name, zf_errstr(zf));
out:
    zip_fclose(zf);
    sg_free(raw);
    sg_free(tmp);
    return rc;
}

/* ---- writer -------------------------------------------------------------------------- */

int npz_writer_open(struct npz_writer *w, const char *path, bool compress, struct error *err)
{
    memset(w, 0, sizeof *w);
    w->compress = compress;
    size_t n = strlen(path) + 32;
    w->path = sg_strdup(path, err);
    w->tmp_path = w->path ? sg_malloc(n, 1, "npz_writer_open: path", err) : NULL;
    if (!w->tmp_path) {
        npz_writer_abort(w);
        return error_prefix(err, "npz_writer_open: '%s'", path);
    }
    snprintf(w->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    /* Create the temporary file now so that an unwritable folder fails here, not at close. */
    FILE *probe = fopen(w->tmp_path, "wb");
    if (!probe) {
        error_set(err, "npz_writer_open: '%s': cannot write: %s", path, strerror(errno));
        npz_writer_abort(w);
        return -1;
    }
    fclose(probe);
    int code = 0;
    w->zip = zip_open(w->tmp_path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!w->zip) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        error_set(err, "npz_writer_open: '%s': cannot create a zip archive: %s", path,
                  zip_error_strerror(&ze));
        zip_error_fini(&ze);
        npz_writer_abort(w);
        return -1;
    }
    return 0;
}

static bool descr_ok(const char *descr)
{
    size_t n = strlen(descr);
    if (n == 0 || n >= sizeof((struct npz_member *)0)->descr) return false;
    for (size_t i = 0; i < n; i++)
        if (descr[i] == '\'' || descr[i] == '\\' || descr[i] < 0x20 || descr[i] > 0x7e)
            return false;
    return npy_descr_itemsize(descr) > 0;
}

/* 1980-01-01 00:00 local time: the earliest zip timestamp, so output bytes do not depend on
 * when they were written. */
static time_t fixed_mtime(void)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = 80;
    tm.tm_mday = 1;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

int npz_writer_add_raw(struct npz_writer *w, const char *name, const char *descr,
                       bool fortran_order, int ndim, const size_t *shape, const void *data,
                       size_t nbytes, struct error *err)
{
    if (!w->zip) return error_set(err, "npz_writer_add: writer is not open");
    if (w->error)
        return error_set(err, "npz_writer_add: '%s': an earlier add failed", w->path);
    w->error = 1; /* cleared on success */
    if (!name || !*name)
        return error_set(err, "npz_writer_add: '%s': empty member name", w->path);
    if (!descr_ok(descr))
        return error_set(err, "npz_writer_add: '%s': member '%s.npy': unsupported descr '%s'",
                         w->path, name, descr);
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return error_set(err, "npz_writer_add: '%s': member '%s.npy': %d dimensions (0..%d)",
                         w->path, name, ndim, NPY_MAX_DIMS);
    size_t count = 1, need;
    for (int d = 0; d < ndim; d++)
        if (!size_mul(count, shape[d], &count))
            return error_set(err, "npz_writer_add: '%s': member '%s.npy': shape overflows",
                             w->path, name);
    if (!size_mul(count, npy_descr_itemsize(descr), &need) || need != nbytes)
        return error_set(err,
                         "npz_writer_add: '%s': member '%s.npy': %zu bytes given, the shape "
                         "needs %zu x %zu",
                         w->path, name, nbytes, count, npy_descr_itemsize(descr));
    char header[1024];
    size_t hlen = npy_format_header(header, sizeof header, descr, fortran_order, ndim, shape);
    size_t total;
    if (hlen == 0 || !size_add(hlen, nbytes, &total))
        return error_set(err, "npz_writer_add: '%s': member '%s.npy': header does not fit",
                         w->path, name);
    size_t name_len = strlen(name);
    char *mname = sg_malloc(name_len + 5, 1, "npz_writer_add: name", err);
    unsigned char *buf = mname ? sg_malloc(total, 1, "npz_writer_add: member", err) : NULL;
    if (!buf) {
        sg_free(mname);
        return error_prefix(err, "npz_writer_add: '%s': member '%s.npy'", w->path, name);
    }
    memcpy(mname, name, name_len);
    memcpy(mname + name_len, ".npy", 5);
    memcpy(buf, header, hlen);
    if (nbytes) memcpy(buf + hlen, data, nbytes);
    zip_t *za = w->zip;
    zip_source_t *src = zip_source_buffer(za, buf, total, 1); /* libzip frees buf */
    if (!src) {
        sg_free(buf);
        sg_free(mname);
        return error_set(err, "npz_writer_add: '%s': member '%s.npy': %s", w->path, name,
                         zip_strerror(za));
    }
    zip_int64_t idx = zip_file_add(za, mname, src, ZIP_FL_ENC_UTF_8);
    sg_free(mname);
    if (idx < 0) {
        zip_source_free(src);
        return error_set(err, "npz_writer_add: '%s': member '%s.npy': %s", w->path, name,
                         zip_strerror(za));
    }
    if (zip_set_file_compression(za, (zip_uint64_t)idx,
                                 w->compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                 w->compress ? 6 : 0) != 0 ||
        zip_file_set_mtime(za, (zip_uint64_t)idx, fixed_mtime(), 0) != 0)
        return error_set(err, "npz_writer_add: '%s': member '%s.npy': %s", w->path, name,
                         zip_strerror(za));
    w->n_members++;
    w->error = 0;
    return 0;
}

int npz_writer_add_f32(struct npz_writer *w, const char *name, int ndim, const size_t *shape,
                       const float *data, struct error *err)
{
    size_t count = 1, nbytes;
    for (int d = 0; d < ndim && d < NPY_MAX_DIMS; d++)
        if (!size_mul(count, shape[d], &count)) count = SIZE_MAX;
    if (!size_mul(count, sizeof(float), &nbytes)) nbytes = SIZE_MAX;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const char *descr = ">f4";
#else
    const char *descr = "<f4";
#endif
    return npz_writer_add_raw(w, name, descr, false, ndim, shape, data, nbytes, err);
}

/* An empty zip: just the end-of-central-directory record (what np.savez writes for no
 * arrays); libzip would delete the file instead. */
static const unsigned char empty_zip[22] = {'P', 'K', 5, 6};

int npz_writer_close(struct npz_writer *w, struct error *err)
{
    if (!w->zip) return error_set(err, "npz_writer_close: writer is not open");
    if (w->error) {
        error_set(err, "npz_writer_close: '%s': not written because an earlier add failed",
                  w->path);
        npz_writer_abort(w);
        return -1;
    }
    int rc = 0;
    if (zip_close(w->zip) != 0) {
        rc = error_set(err, "npz_writer_close: '%s': %s", w->path, zip_strerror(w->zip));
        npz_writer_abort(w);
        return rc;
    }
    w->zip = NULL;
    if (w->n_members == 0) {
        rc = atomic_file_write_all(w->path, empty_zip, sizeof empty_zip, err);
        npz_writer_abort(w); /* removes the temporary if libzip left one */
        return rc;
    }
    int fd = open(w->tmp_path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0)
        rc = error_set(err, "npz_writer_close: '%s': cannot sync: %s", w->path,
                       strerror(errno));
    if (fd >= 0) close(fd);
    if (rc == 0 && rename(w->tmp_path, w->path) != 0)
        rc = error_set(err, "npz_writer_close: cannot rename '%s' to '%s': %s", w->tmp_path,
                       w->path, strerror(errno));
    if (rc == 0) rc = fsync_parent_dir(w->path, err);
    if (rc != 0) {
        npz_writer_abort(w);
        return rc;
    }
    sg_free(w->path);
    sg_free(w->tmp_path);
    memset(w, 0, sizeof *w);
    return 0;
}

void npz_writer_abort(struct npz_writer *w)
{
    if (w->zip) zip_discard(w->zip);
    if (w->tmp_path) remove(w->tmp_path);
    sg_free(w->path);
    sg_free(w->tmp_path);
    memset(w, 0, sizeof *w);
}
