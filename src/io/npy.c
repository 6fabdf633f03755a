/* npy.c — the .npy array format: header parsing, conversion to float32, header writing.
 *
 * Reading. The header is a Python dict literal written by numpy (format.py,
 * _write_array_header): exactly the keys 'descr', 'fortran_order' and 'shape', in any order,
 * with a string, a bool and a tuple of non-negative ints. This file parses that literal with
 * a small hand-written scanner (no Python evaluation): string keys in single or double
 * quotes, True/False, tuples with the trailing comma Python requires for one element, the
 * "L" suffix Python 2 wrote after long ints, whitespace anywhere, trailing spaces/newline.
 * A structured descr (a list) is recognised and skipped so that its member is listed as
 * unsupported rather than malformed. Only float typestrs are supported: an optional byte
 * order character ('<' little, '>' big, '=' and '|' the reading machine's order, as numpy
 * reads them) then f2, f4 or f8. Every number is parsed with overflow checks; the shape's
 * product and byte size are computed with size_mul.
 *
 * Conversion. float16 is widened by hand (numpy's npy_halfbits_to_floatbits: subnormals
 * normalised, infinities kept, NaN payloads shifted into the float32 mantissa). float64 is
 * narrowed with a C cast, which rounds to nearest even under the default rounding mode like
 * numpy's astype(np.float32) (overflow gives inf, NaN stays NaN).
 *
 * Writing. npy_format_header reproduces numpy 1.24's version 1.0 header byte for byte: the
 * sorted dict, the spare spaces numpy leaves after it so a growing axis can be rewritten in
 * place (GROWTH_AXIS_MAX_DIGITS = 21), then padding to a multiple of 64 bytes ending in '\n'.
 *
 * Not done here: zip handling (npz.c), non-float dtypes, pickled object arrays.
 */
#include "io/npy.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN true
#else
#define HOST_BIG_ENDIAN false
#endif

int npy_parse_prefix(const unsigned char *p, size_t n, struct npz_member *m,
                     size_t *len_field_size, char *reason, size_t reason_cap)
{
    if (n < NPY_PREFIX_LEN || memcmp(p, npy_magic, sizeof npy_magic) != 0) {
        snprintf(reason, reason_cap, "is not an .npy array (no \\x93NUMPY magic)");
        return -1;
    }
    int major = p[6], minor = p[7];
    m->version_major = major;
    if (minor != 0 || major < 1 || major > 3) {
        snprintf(reason, reason_cap, "has npy format version %d.%d (expected 1.0, 2.0 or 3.0)",
                 major, minor);
        return -1;
    }
    *len_field_size = major == 1 ? 2 : 4;
    return 0;
}

/* ---- header dict scanner ------------------------------------------------------------- */

struct scan {
    const char *s;
    size_t n, i;
    char *reason;
    size_t cap;
};

static int scan_fail(struct scan *sc, const char *what)
{
    snprintf(sc->reason, sc->cap, "has a malformed header: %s at byte %zu", what, sc->i);
    return -1;
}

static void scan_ws(struct scan *sc)
{
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') break;
        sc->i++;
    }
}

static bool scan_peek(struct scan *sc, char c)
{
    scan_ws(sc);
    return sc->i < sc->n && sc->s[sc->i] == c;
}

static bool scan_word(struct scan *sc, const char *w)
{
    size_t k = strlen(w);
    scan_ws(sc);
    if (sc->n - sc->i < k || memcmp(sc->s + sc->i, w, k) != 0) return false;
    sc->i += k;
    return true;
}

/* A quoted string into out (truncated to cap-1 bytes; *full_len gets the real length). */
static int scan_string(struct scan *sc, char *out, size_t cap, size_t *full_len)
{
    scan_ws(sc);
    if (sc->i >= sc->n || (sc->s[sc->i] != '\'' && sc->s[sc->i] != '"'))
        return scan_fail(sc, "expected a quoted string");
    char q = sc->s[sc->i++];
    size_t k = 0;
    while (sc->i < sc->n && sc->s[sc->i] != q) {
        char c = sc->s[sc->i++];
        if (c == '\\') {
            if (sc->i >= sc->n) break;
            c = sc->s[sc->i++];
        }
        if (k + 1 < cap) out[k] = c;
        k++;
    }
    if (sc->i >= sc->n) return scan_fail(sc, "unterminated string");
    sc->i++;
    out[k + 1 < cap ? k : cap - 1] = '\0';
    if (full_len) *full_len = k;
    return 0;
}

/* Skips a bracketed Python literal (a structured descr), strings included. */
static int scan_skip_nested(struct scan *sc)
{
    int depth = 0;
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (c == '\'' || c == '"') {
            char tmp[2];
            if (scan_string(sc, tmp, sizeof tmp, NULL) != 0) return -1;
            continue;
        }
        sc->i++;
        if (c == '[' || c == '(') {
            if (++depth > 64) return scan_fail(sc, "descr nested too deeply");
        } else if (c == ']' || c == ')') {
            if (--depth == 0) return 0;
        }
    }
    return scan_fail(sc, "unterminated descr list");
}

static int scan_uint(struct scan *sc, size_t *v)
{
    scan_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] < '0' || sc->s[sc->i] > '9')
        return scan_fail(sc, "expected a non-negative integer in shape");
    size_t x = 0;
    while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') {
        if (!size_mul(x, 10, &x) || !size_add(x, (size_t)(sc->s[sc->i] - '0'), &x))
            return scan_fail(sc, "shape dimension too large");
        sc->i++;
    }
    if (sc->i < sc->n && sc->s[sc->i] == 'L') sc->i++; /* Python 2 long */
    *v = x;
    return 0;
}

static int scan_shape(struct scan *sc, struct npz_member *m)
{
    if (!scan_word(sc, "(")) return scan_fail(sc, "expected '(' for shape");
    int nd = 0;
    bool comma_after_last = false;
    while (!scan_peek(sc, ')')) {
        size_t d;
        if (scan_uint(sc, &d) != 0) return -1;
        if (nd == NPY_MAX_DIMS) {
            snprintf(sc->reason, sc->cap, "has more than %d dimensions (not supported)",
                     NPY_MAX_DIMS);
            return -1;
        }
        m->shape[nd++] = d;
        comma_after_last = scan_word(sc, ",");
        if (!comma_after_last && !scan_peek(sc, ')'))
            return scan_fail(sc, "expected ',' or ')' in shape");
    }
    sc->i++; /* ')' */
    if (nd == 1 && !comma_after_last) return scan_fail(sc, "shape (n) is not a tuple");
    m->ndim = nd;
    return 0;
}

static bool descr_is_float(const char *d, enum npy_float *kind, bool *big)
{
    char order = '=';
    if (*d == '<' || *d == '>' || *d == '=' || *d == '|') order = *d++;
    if (d[0] != 'f' || d[1] == '\0' || d[2] != '\0') return false;
    switch (d[1]) {
    case '2': *kind = NPY_F16; break;
    case '4': *kind = NPY_F32; break;
    case '8': *kind = NPY_F64; break;
    default: return false;
    }
    *big = order == '>' || ((order == '=' || order == '|') && HOST_BIG_ENDIAN);
    return true;
}

/* Copies a descr for messages: printable ASCII only, at most cap-1 bytes. */
static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    for (; src[k] && k + 1 < cap; k++) {
        unsigned char c = (unsigned char)src[k];
        dst[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[k] = '\0';
}

int npy_parse_dict(const char *text, size_t len, struct npz_member *m, struct npy_info *info,
                   char *reason, size_t reason_cap)
{
    struct scan sc = {text, len, 0, reason, reason_cap};
    bool have_descr = false, have_fortran = false, have_shape = false, structured = false;
    char descr[64] = "";
    size_t descr_len = 0;
    memset(info, 0, sizeof *info);
    m->ok = false;
    m->descr[0] = '\0';
    m->ndim = 0;
    m->count = 0;

    if (!scan_word(&sc, "{")) return scan_fail(&sc, "expected '{'");
    while (!scan_peek(&sc, '}')) {
        char key[32];
        size_t key_len;
        if (scan_string(&sc, key, sizeof key, &key_len) != 0) return -1;
        if (!scan_word(&sc, ":")) return scan_fail(&sc, "expected ':' after a key");
        if (!strcmp(key, "descr") && key_len == 5 && !have_descr) {
            have_descr = true;
            if (scan_peek(&sc, '[')) {
                structured = true;
                if (scan_skip_nested(&sc) != 0) return -1;
            } else if (scan_string(&sc, descr, sizeof descr, &descr_len) != 0) {
                return -1;
            }
        } else if (!strcmp(key, "fortran_order") && key_len == 13 && !have_fortran) {
            have_fortran = true;
            if (scan_word(&sc, "True")) m->fortran_order = true;
            else if (scan_word(&sc, "False")) m->fortran_order = false;
            else return scan_fail(&sc, "fortran_order is not True or False");
        } else if (!strcmp(key, "shape") && key_len == 5 && !have_shape) {
            have_shape = true;
            if (scan_shape(&sc, m) != 0) return -1;
        } else {
            char shown[32];
            copy_printable(shown, sizeof shown, key);
            snprintf(reason, reason_cap, "has a malformed header: unexpected or repeated key '%s'",
                     shown);
            return -1;
        }
        if (!scan_word(&sc, ",") && !scan_peek(&sc, '}'))
            return scan_fail(&sc, "expected ',' or '}'");
    }
    sc.i++; /* '}' */
    scan_ws(&sc);
    if (sc.i != sc.n) return scan_fail(&sc, "unexpected text after the dict");
    if (!have_descr || !have_fortran || !have_shape)
        return scan_fail(&sc, "the dict lacks 'descr', 'fortran_order' or 'shape'");

    if (!structured) copy_printable(m->descr, sizeof m->descr, descr);
    size_t count = 1;
    for (int d = 0; d < m->ndim; d++) {
        if (!size_mul(count, m->shape[d], &count)) {
            snprintf(reason, reason_cap, "has a shape whose element count overflows");
            return -1;
        }
    }
    m->count = count;

    if (structured) {
        copy_printable(m->descr, sizeof m->descr, "[...]");
        snprintf(m->reason, sizeof m->reason,
                 "has a structured dtype (expected float16/32/64)");
        return 0;
    }
    char shown[64];
    copy_printable(shown, sizeof shown, descr);
    if (descr_len >= sizeof descr || !descr_is_float(descr, &info->kind, &info->big_endian)) {
        bool object = !strcmp(descr, "|O") || !strcmp(descr, "O") || !strcmp(descr, "<O") ||
                      !strcmp(descr, ">O") || !strcmp(descr, "=O");
        snprintf(m->reason, sizeof m->reason, "has dtype '%s%s' (%sexpected float16/32/64)",
                 shown, descr_len >= sizeof descr ? "..." : "",
                 object ? "an object array; " : "");
        return 0;
    }
    if (!size_mul(count, (size_t)info->kind, &info->data_bytes)) {
        snprintf(reason, reason_cap, "has a shape whose byte size overflows");
        return -1;
    }
    m->ok = true;
    m->reason[0] = '\0';
    return 0;
}

void npy_shape_str(int ndim, const size_t *shape, char *buf, size_t cap)
{
    char tmp[NPY_MAX_DIMS * 24 + 8]; /* 8 dims of at most 20 digits + ", " each */
    size_t k = 0;
    tmp[k++] = '(';
    for (int d = 0; d < ndim && d < NPY_MAX_DIMS; d++)
        k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%s%zu", d ? ", " : "", shape[d]);
    snprintf(tmp + k, sizeof tmp - k, "%s)", ndim == 1 ? "," : "");
    if (cap) snprintf(buf, cap, "%s", tmp);
}

/* ---- conversion ---------------------------------------------------------------------- */

float npy_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal half = man * 2^-24: normalise into a float32 */
            uint32_t e = 0;
            while (!(man & 0x400u)) {
                man <<= 1;
                e++;
            }
            bits = sign | ((113u - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t load16(const unsigned char *p, bool big)
{
    return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t load32(const unsigned char *p, bool big)
{
    if (big) return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t load64(const unsigned char *p, bool big)
{
    uint64_t hi = load32(p + (big ? 0 : 4), big), lo = load32(p + (big ? 4 : 0), big);
    return hi << 32 | lo;
}

void npy_convert_f32(const unsigned char *src, size_t n, enum npy_float kind, bool big_endian,
                     float *dst)
{
    switch (kind) {
    case NPY_F16:
        for (size_t i = 0; i < n; i++) dst[i] = npy_half_to_float(load16(src + 2 * i, big_endian));
        break;
    case NPY_F32:
        if (big_endian == HOST_BIG_ENDIAN) {
            memcpy(dst, src, n * sizeof(float));
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t b = load32(src + 4 * i, big_endian);
                memcpy(dst + i, &b, sizeof b);
            }
        }
        break;
    case NPY_F64:
        for (size_t i = 0; i < n; i++) {
            uint64_t b = load64(src + 8 * i, big_endian);
            double d;
            memcpy(&d, &b, sizeof d);
            dst[i] = (float)d;
        }
        break;
    }
}

/* ---- writing ------------------------------------------------------------------------- */

size_t npy_descr_itemsize(const char *d)
{
    if (*d == '<' || *d == '>' || *d == '=' || *d == '|') d++;
    if (!((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z'))) return 0;
    d++;
    if (*d < '1' || *d > '9') return 0;
    size_t v = 0;
    for (; *d >= '0' && *d <= '9'; d++) {
        v = v * 10 + (size_t)(*d - '0');
        if (v > 1024) return 0;
    }
    return *d == '\0' ? v : 0;
}

size_t npy_format_header(char *buf, size_t cap, const char *descr, bool fortran_order,
                         int ndim, const size_t *shape)
{
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': (",
                     descr, fortran_order ? "True" : "False");
    for (int d = 0; d < ndim && k > 0 && (size_t)k < sizeof dict; d++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%s%zu", d ? ", " : "", shape[d]);
    if (k > 0 && (size_t)k < sizeof dict)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%s), }", ndim == 1 ? "," : "");
    if (k <= 0 || (size_t)k >= sizeof dict) return 0;
    size_t len = (size_t)k;
    if (ndim > 0) { /* numpy's spare room for the growth axis */
        char num[32];
        size_t digits = (size_t)snprintf(num, sizeof num, "%zu",
                                         shape[fortran_order ? ndim - 1 : 0]);
        size_t spare = digits < 21 ? 21 - digits : 0;
        if (len + spare >= sizeof dict) return 0;
        memset(dict + len, ' ', spare);
        len += spare;
    }
    size_t hlen = len + 1;
    size_t padlen = 64 - ((NPY_PREFIX_LEN + 2 + hlen) % 64);
    size_t total = NPY_PREFIX_LEN + 2 + hlen + padlen;
    if (hlen + padlen > 65535 || total > cap) return 0;
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)((hlen + padlen) & 0xff);
    buf[9] = (char)((hlen + padlen) >> 8);
    memcpy(buf + 10, dict, len);
    memset(buf + 10 + len, ' ', padlen);
    buf[total - 1] = '\n';
    return total;
}
