/* pose_file.c — pose-format `.pose` files (layout in pose_file.h).
 *
 * Reading walks the buffer with a cursor that refuses any read past the end: every count
 * (components, points, limbs, colours, string lengths) is checked against the bytes left
 * before anything is allocated, so allocations are bounded by the file size. The body's size
 * must match exactly: for v0.2 frames × people × points × (dims + 1) floats; for v0.1 the
 * frame count is what the bytes hold (pose-format's own rule, since its u16 field overflows),
 * which must be a whole number of frames and agree with the header's field when that is not 0.
 * Floats are assembled from their little-endian bytes, so the code does not depend on the
 * machine's byte order.
 *
 * Writing builds the whole file in memory (it is as large as the data) and hands it to
 * core/atomic_file. Version 0.2 only: 0.1's u16 fps and frame count cannot hold what 0.2's do.
 * Not here: what components mean (src/data/landmarks.c).
 */
#include "io/pose_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"

#define POSE_MAX_FILE ((size_t)1 << 40) /* 1 TiB: a sanity bound for pose_file_read */

struct cursor {
    const unsigned char *p;
    size_t len, pos;
    const char *label;
    struct error *err;
};

static int need(struct cursor *c, size_t n, const char *what)
{
    if (c->len - c->pos >= n) return 0;
    return error_set(c->err,
                     "pose_file: '%s': truncated: %s needs %zu bytes at byte %zu, the file has "
                     "%zu left",
                     c->label, what, n, c->pos, c->len - c->pos);
}

static uint16_t rd_u16(struct cursor *c)
{
    uint16_t v = (uint16_t)(c->p[c->pos] | (unsigned)c->p[c->pos + 1] << 8);
    c->pos += 2;
    return v;
}

static uint32_t rd_u32(struct cursor *c)
{
    const unsigned char *b = c->p + c->pos;
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    c->pos += 4;
    return v;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static float rd_f32(struct cursor *c)
{
    return bits_f32(rd_u32(c));
}

/* A u16-length string, copied with a terminating NUL. */
static char *rd_str(struct cursor *c, const char *what)
{
    if (need(c, 2, what)) return NULL;
    size_t n = rd_u16(c);
    if (need(c, n, what)) return NULL;
    char *s = sg_malloc(n + 1, 1, "pose_file: string", c->err);
    if (!s) return NULL;
    memcpy(s, c->p + c->pos, n);
    s[n] = '\0';
    c->pos += n;
    return s;
}

static void component_free(struct pose_component *k)
{
    free(k->name);
    free(k->format);
    for (size_t i = 0; k->points && i < k->n_points; i++) free(k->points[i]);
    free(k->points);
    free(k->limbs);
    free(k->colors);
}

void pose_file_free(struct pose_file *pf)
{
    if (!pf) return;
    for (size_t i = 0; pf->components && i < pf->n_components; i++)
        component_free(&pf->components[i]);
    free(pf->components);
    free(pf->data);
    free(pf->conf);
    memset(pf, 0, sizeof *pf);
}

static int read_component(struct cursor *c, struct pose_component *k, size_t idx, size_t n)
{
    char what[96];
    snprintf(what, sizeof what, "component %zu of %zu", idx + 1, n);
    if (!(k->name = rd_str(c, what))) return -1;
    snprintf(what, sizeof what, "component %zu of %zu ('%.40s')", idx + 1, n, k->name);
    if (!(k->format = rd_str(c, what)) || need(c, 6, what)) return -1;
    k->n_points = rd_u16(c);
    k->n_limbs = rd_u16(c);
    k->n_colors = rd_u16(c);
    /* each point name takes at least its 2-byte length, each limb 4, each colour 6 */
    if (need(c, 2 * k->n_points + 4 * k->n_limbs + 6 * k->n_colors, what)) return -1;
    if (!(k->points = sg_calloc(k->n_points, sizeof *k->points, "pose_file: points", c->err)) ||
        !(k->limbs = sg_malloc(k->n_limbs, sizeof *k->limbs, "pose_file: limbs", c->err)) ||
        !(k->colors = sg_malloc(k->n_colors, sizeof *k->colors, "pose_file: colours", c->err)))
        return -1;
    for (size_t i = 0; i < k->n_points; i++)
        if (!(k->points[i] = rd_str(c, what))) return -1;
    if (need(c, 4 * k->n_limbs + 6 * k->n_colors, what)) return -1;
    for (size_t i = 0; i < k->n_limbs; i++) {
        k->limbs[i][0] = rd_u16(c);
        k->limbs[i][1] = rd_u16(c);
    }
    for (size_t i = 0; i < k->n_colors; i++)
        for (int j = 0; j < 3; j++) k->colors[i][j] = rd_u16(c);
    if (k->format[0] == '\0')
        return error_set(c->err, "pose_file: '%s': %s has an empty point format (expected "
                                 "e.g. XYC or XYZC)",
                         c->label, what);
    return 0;
}

int pose_file_parse(struct pose_file *pf, const void *buf, size_t len, const char *label,
                    struct error *err)
{
    memset(pf, 0, sizeof *pf);
    struct cursor c = {buf, len, 0, label, err};
    if (need(&c, 12, "the header (version, width, height, depth, components)")) return -1;
    uint32_t vbits = rd_u32(&c);
    float v = bits_f32(vbits);
    int minor;
    if (fabsf(v - 0.1f) < 5e-4f) {
        minor = 1;
    } else if (fabsf(v - 0.2f) < 5e-4f) {
        minor = 2;
    } else if (v == 0.0f) {
        return error_set(err,
                         "pose_file: '%s': version 0.0 is not supported (expected 0.1 or 0.2: "
                         "0.0 stores each frame's people separately)",
                         label);
    } else {
        return error_set(err,
                         "pose_file: '%s': unknown version %g (bytes %02x %02x %02x %02x; "
                         "expected 0.1 or 0.2)",
                         label, (double)v, vbits & 0xff, (vbits >> 8) & 0xff,
                         (vbits >> 16) & 0xff, vbits >> 24);
    }
    pf->version = minor == 1 ? 0.1f : 0.2f;
    pf->width = rd_u16(&c);
    pf->height = rd_u16(&c);
    pf->depth = rd_u16(&c);
    size_t nc = rd_u16(&c); /* checked one by one below: the message names the component
                               that runs off the end */
    pf->components = sg_calloc(nc, sizeof *pf->components, "pose_file: components", err);
    if (!pf->components) goto fail;
    pf->n_components = nc;
    size_t longest = 0;
    for (size_t i = 0; i < nc; i++) {
        if (read_component(&c, &pf->components[i], i, nc)) goto fail;
        size_t fl = strlen(pf->components[i].format);
        if (fl > longest) longest = fl;
        pf->points += pf->components[i].n_points; /* ≤ 65535 × 65535: no overflow */
    }
    if (nc == 0) {
        error_set(err, "pose_file: '%s': no components (expected at least one)", label);
        goto fail;
    }
    pf->dims = longest - 1;

    /* body */
    size_t frames_field;
    if (minor == 1) {
        if (need(&c, 6, "the body header (fps, frames, people)")) goto fail;
        pf->fps = rd_u16(&c);
        frames_field = rd_u16(&c);
    } else {
        if (need(&c, 10, "the body header (fps, frames, people)")) goto fail;
        pf->fps = rd_f32(&c);
        frames_field = rd_u32(&c);
    }
    pf->people = rd_u16(&c);
    size_t frame_floats, frame_bytes, left = c.len - c.pos;
    if (!size_mul(pf->people, pf->points, &frame_floats) ||
        !size_mul(frame_floats, pf->dims + 1, &frame_floats) ||
        !size_mul(frame_floats, 4, &frame_bytes)) {
        error_set(err, "pose_file: '%s': %zu people × %zu points is too large", label,
                  pf->people, pf->points);
        goto fail;
    }
    if (minor == 1) {
        if (frame_bytes == 0) {
            pf->frames = frames_field;
        } else {
            if (left % frame_bytes != 0) {
                error_set(err,
                          "pose_file: '%s': truncated body: %zu bytes is not a whole number of "
                          "frames of %zu bytes (%zu people × %zu points × %zu floats)",
                          label, left, frame_bytes, pf->people, pf->points, pf->dims + 1);
                goto fail;
            }
            pf->frames = left / frame_bytes;
            if (frames_field != 0 && frames_field != pf->frames) {
                error_set(err,
                          "pose_file: '%s': the header says %zu frames, the body holds %zu "
                          "(truncated or damaged)",
                          label, frames_field, pf->frames);
                goto fail;
            }
        }
    } else {
        pf->frames = frames_field;
    }
    size_t body;
    if (!size_mul(pf->frames, frame_bytes, &body)) {
        error_set(err, "pose_file: '%s': %zu frames is too large", label, pf->frames);
        goto fail;
    }
    if (left < body) {
        error_set(err,
                  "pose_file: '%s': truncated body: %zu frames × %zu people × %zu points × %zu "
                  "floats need %zu bytes, the file has %zu",
                  label, pf->frames, pf->people, pf->points, pf->dims + 1, body, left);
        goto fail;
    }
    if (left > body) {
        error_set(err, "pose_file: '%s': %zu bytes after the body's %zu (expected none)", label,
                  left - body, body);
        goto fail;
    }
    size_t n_conf = pf->frames * pf->people * pf->points; /* bounded by the file size */
    size_t n_data = n_conf * pf->dims;
    if (!(pf->data = sg_malloc(n_data, sizeof *pf->data, "pose_file: data", err)) ||
        !(pf->conf = sg_malloc(n_conf, sizeof *pf->conf, "pose_file: confidence", err)))
        goto fail;
    for (size_t i = 0; i < n_data; i++) pf->data[i] = rd_f32(&c);
    for (size_t i = 0; i < n_conf; i++) pf->conf[i] = rd_f32(&c);
    return 0;
fail:
    pose_file_free(pf);
    return -1;
}

int pose_file_read(struct pose_file *pf, const char *path, struct error *err)
{
    memset(pf, 0, sizeof *pf);
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "pose_file: '%s': cannot open: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 1 << 16;
            if (nc > POSE_MAX_FILE) {
                error_set(err, "pose_file: '%s': larger than 1 TiB", path);
                goto out;
            }
            if (sg_realloc((void **)&buf, nc, 1, "pose_file: file", err)) goto out;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        error_set(err, "pose_file: '%s': read error", path);
        goto out;
    }
    rc = pose_file_parse(pf, buf, n, path, err);
out:
    free(buf);
    fclose(f);
    return rc;
}

/* ---- writing -------------------------------------------------------------------------- */

struct out {
    unsigned char *p;
    size_t n;
};

static void wr_u16(struct out *o, unsigned v)
{
    o->p[o->n++] = (unsigned char)(v & 0xff);
    o->p[o->n++] = (unsigned char)(v >> 8);
}

static void wr_u32(struct out *o, uint32_t v)
{
    for (int i = 0; i < 4; i++) o->p[o->n++] = (unsigned char)(v >> (8 * i));
}

static void wr_f32(struct out *o, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    wr_u32(o, u);
}

static void wr_str(struct out *o, const char *s)
{
    size_t n = strlen(s);
    wr_u16(o, (unsigned)n);
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

int pose_file_write(const struct pose_file *pf, const char *path, struct error *err)
{
    if (pf->width > 65535 || pf->height > 65535 || pf->depth > 65535 ||
        pf->n_components > 65535 || pf->people > 65535 || pf->frames > UINT32_MAX)
        return error_set(err, "pose_file_write: '%s': a count does not fit its field (size "
                              "%ux%ux%u, %zu components, %zu people, %zu frames)",
                         path, pf->width, pf->height, pf->depth, pf->n_components, pf->people,
                         pf->frames);
    size_t total = 12 + 10, points = 0, longest = 0;
    for (size_t i = 0; i < pf->n_components; i++) {
        const struct pose_component *k = &pf->components[i];
        size_t ln = strlen(k->name), lf = strlen(k->format);
        if (ln > 65535 || lf > 65535 || k->n_points > 65535 || k->n_limbs > 65535 ||
            k->n_colors > 65535)
            return error_set(err, "pose_file_write: '%s': component '%s' does not fit the "
                                  "format's 16-bit counts",
                             path, k->name);
        total += 4 + ln + lf + 6 + 4 * k->n_limbs + 6 * k->n_colors;
        for (size_t p = 0; p < k->n_points; p++) {
            size_t lp = strlen(k->points[p]);
            if (lp > 65535)
                return error_set(err, "pose_file_write: '%s': a point name of '%s' is too long",
                                 path, k->name);
            total += 2 + lp;
        }
        points += k->n_points;
        if (lf > longest) longest = lf;
    }
    if (points != pf->points || longest != pf->dims + 1)
        return error_set(err,
                         "pose_file_write: '%s': components have %zu points and dims %zu, the "
                         "data %zu and %zu",
                         path, points, longest ? longest - 1 : 0, pf->points, pf->dims);
    size_t n_conf, n_data, body;
    if (!size_mul(pf->frames, pf->people, &n_conf) || !size_mul(n_conf, pf->points, &n_conf) ||
        !size_mul(n_conf, pf->dims, &n_data) || !size_add(n_data, n_conf, &body) ||
        !size_mul(body, 4, &body) || !size_add(total, body, &total))
        return error_set(err, "pose_file_write: '%s': too large", path);
    struct out o = {sg_malloc(total, 1, "pose_file_write: buffer", err), 0};
    if (!o.p) return -1;
    wr_f32(&o, 0.2f);
    wr_u16(&o, pf->width);
    wr_u16(&o, pf->height);
    wr_u16(&o, pf->depth);
    wr_u16(&o, (unsigned)pf->n_components);
    for (size_t i = 0; i < pf->n_components; i++) {
        const struct pose_component *k = &pf->components[i];
        wr_str(&o, k->name);
        wr_str(&o, k->format);
        wr_u16(&o, (unsigned)k->n_points);
        wr_u16(&o, (unsigned)k->n_limbs);
        wr_u16(&o, (unsigned)k->n_colors);
        for (size_t p = 0; p < k->n_points; p++) wr_str(&o, k->points[p]);
        for (size_t l = 0; l < k->n_limbs; l++) {
            wr_u16(&o, k->limbs[l][0]);
            wr_u16(&o, k->limbs[l][1]);
        }
        for (size_t l = 0; l < k->n_colors; l++)
            for (int j = 0; j < 3; j++) wr_u16(&o, k->colors[l][j]);
    }
    wr_f32(&o, pf->fps);
    wr_u32(&o, (uint32_t)pf->frames);
    wr_u16(&o, (unsigned)pf->people);
    for (size_t i = 0; i < n_data; i++) wr_f32(&o, pf->data[i]);
    for (size_t i = 0; i < n_conf; i++) wr_f32(&o, pf->conf[i]);
    CHECK(o.n == total);
    int rc = atomic_file_write_all(path, o.p, o.n, err);
    free(o.p);
    if (rc) error_prefix(err, "pose_file_write");
    return rc;
}
