/* extract_records.h — the records the landmark extractor (extract/extract.js) writes, parsed,
 * checked and gathered into recordings (contract; implementation in extract_records.c).
 *
 * The extractor is a separate Node program; it speaks JSON lines on its stdout, one record a
 * line (the list is at the top of extract/extract.js). This side trusts none of it: every
 * record's fields are checked for type and range, every landmark array for its length (pose
 * 33 × 4 with visibility, hands 21 × 3, face 468 × 3, or 478 × 3 with refined eyes) and for
 * finite values, frames for their order. A recording is gathered frame by frame into a
 * struct landmarks (MediaPipe skeleton, normalised x and y, NaN where a part was missing) that
 * data/landmarks.c writes as npz or `.pose`.
 */
#ifndef SG_DATA_EXTRACT_RECORDS_H
#define SG_DATA_EXTRACT_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "data/landmarks.h"

struct error;

enum extract_rec_type {
    EXTRACT_READY = 0, EXTRACT_VIDEO, EXTRACT_FRAME, EXTRACT_END, EXTRACT_ERROR, EXTRACT_DONE,
    EXTRACT_FATAL, EXTRACT_REC_COUNT
};

#define EXTRACT_MAX_LINE ((size_t)1 << 20) /* 478 × 3 numbers need ~40 KB */

struct extract_rec {
    enum extract_rec_type type;
    size_t index;                  /* the input's place on the command line (all but ready,
                                      done, fatal) */
    double startup_s;              /* ready */
    unsigned width, height;        /* video */
    double fps;                    /* video: 0 for an image */
    size_t frames;                 /* video: expected (0 unknown); end: decoded */
    bool image;                    /* video */
    size_t t;                      /* frame: its number in the video, from 0 */
    float *part[DATA_PART_COUNT];  /* frame: joints × channels, NULL when not detected */
    size_t joints[DATA_PART_COUNT];
    char message[512];             /* error, fatal; done: the first refused addresses */
    size_t served, refused;        /* done */
};

/* Parses one line (without its newline). `label` names the stream in messages (e.g.
 * "extractor output line 12"). On failure *r holds nothing to free. */
int extract_rec_parse(struct extract_rec *r, const char *line, size_t len, const char *label,
                      struct error *err);
void extract_rec_free(struct extract_rec *r);

/* One recording being gathered. */
struct extract_video {
    size_t frames, cap;
    size_t face_joints;            /* 468, or 478 with refined eyes; 0 until a face is seen */
    size_t detected[DATA_PART_COUNT]; /* frames in which the part was found */
    float *part[DATA_PART_COUNT];  /* cap × joints × channels */
    double fps;
    unsigned width, height;
};

/* face_joints: the face size the options ask for (468 or 478); a face of any other size is
 * an error. */
void extract_video_init(struct extract_video *v, const struct extract_rec *video_rec,
                        size_t face_joints);
/* Adds a frame record; its t must be the next frame number. */
int extract_video_add(struct extract_video *v, const struct extract_rec *frame, const char *label,
                      struct error *err);
/* Moves the gathered frames into *lm (every part present, NaN where missing; x and y
 * normalised; the video's fps and size); v is left empty. */
int extract_video_finish(struct extract_video *v, struct landmarks *lm, struct error *err);
void extract_video_free(struct extract_video *v);

#endif
