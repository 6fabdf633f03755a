/* pose_file.h — pose-format `.pose` files, read (versions 0.1 and 0.2) and written (0.2)
 * (contract; implementation in pose_file.c).
 *
 * The binary layout of the sign-language-processing `pose-format` library (its docs/specs/
 * v0.1.md and v0.2.md, and pose_header.py / pose_body.py), all little-endian:
 *   header  f32 version; u16 width, height, depth; u16 component count; per component:
 *           str name, str point format ("XYC", "XYZC"...), u16 points, limbs, colours, then
 *           the point names (str each), limbs (u16 from, u16 to), colours (u16 r, g, b);
 *           str = u16 byte length + UTF-8 bytes.
 *   body    v0.1: u16 fps, u16 frames (unreliable: the frames are what the bytes hold),
 *           u16 people; v0.2: f32 fps, u32 frames, u16 people; then f32 data
 *           [frames][people][points][dims] and f32 confidence [frames][people][points], where
 *           points is the sum over components and dims = the longest format's length − 1.
 * Nothing here interprets components or coordinates (pixels, confidence 0 = not detected):
 * that is src/data/landmarks.c.
 */
#ifndef SG_IO_POSE_FILE_H
#define SG_IO_POSE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct error;

struct pose_component {
    char *name;              /* e.g. "POSE_LANDMARKS", "pose_keypoints_2d" */
    char *format;            /* e.g. "XYZC" */
    size_t n_points;
    char **points;           /* n_points names */
    size_t n_limbs;
    uint16_t (*limbs)[2];
    size_t n_colors;
    uint16_t (*colors)[3];
};

struct pose_file {
    float version;           /* as stored (0.1f or 0.2f once read) */
    unsigned width, height, depth;
    size_t n_components;
    struct pose_component *components;
    float fps;
    size_t frames, people;
    size_t points;           /* Σ n_points */
    size_t dims;             /* longest format − 1 (the confidence) */
    float *data;             /* frames × people × points × dims */
    float *conf;             /* frames × people × points */
};

/* Parses a whole file held in memory; `label` names it in messages. Every count and length is
 * checked against the bytes left, so a hostile buffer gives an error, never a read past its
 * end. Versions other than 0.1 and 0.2 are errors (0.0's body is laid out per frame, with
 * per-frame people counts, and is not supported). On failure *pf is empty. */
int pose_file_parse(struct pose_file *pf, const void *buf, size_t len, const char *label,
                    struct error *err);
int pose_file_read(struct pose_file *pf, const char *path, struct error *err);
/* Writes *pf as version 0.2 (whatever pf->version says) to path atomically (temporary file,
 * fsync, rename). Checks that the counts fit the format's fields. */
int pose_file_write(const struct pose_file *pf, const char *path, struct error *err);
void pose_file_free(struct pose_file *pf);

#endif
