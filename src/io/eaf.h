/* eaf.h — ELAN annotation files (EAF 3.0) with one tier of time-aligned annotations.
 *
 * The document ELAN itself writes for a single tier: ANNOTATION_DOCUMENT (FORMAT and
 * VERSION 3.0) with a HEADER in milliseconds (and, for a media file, a MEDIA_DESCRIPTOR
 * with its absolute file:// URL, a MIME type from its extension and its path relative to
 * the .eaf), a TIME_ORDER of two time slots per annotation in increasing time, one TIER of
 * ALIGNABLE_ANNOTATIONs and its LINGUISTIC_TYPE. Written with libxml2's xmlTextWriter (names
 * and values are escaped by it) and saved atomically.
 *
 * Not done: reading EAF, several tiers, symbolic (reference) annotations, controlled
 * vocabularies.
 */
#ifndef SG_IO_EAF_H
#define SG_IO_EAF_H
#include <stddef.h>
#include <stdint.h>

struct error;

struct eaf_annotation {
    int64_t start_ms, end_ms; /* start_ms < end_ms */
    const char *value;        /* UTF-8 text */
};

struct eaf_doc {
    const char *tier;            /* TIER_ID, e.g. "SIGNING" */
    const char *media;           /* media file path, or NULL for no MEDIA_DESCRIPTOR */
    const char *author;          /* AUTHOR ("" when NULL) */
    const struct eaf_annotation *ann; /* in increasing time, not overlapping */
    size_t n;
};

/* Writes doc to path atomically. Annotations out of order or empty are an error. */
int eaf_write(const char *path, const struct eaf_doc *doc, struct error *err);

/* MIME type ELAN uses for a media file name: video/mp4, video/quicktime, video/mpeg,
 * audio/x-wav, ... and a generic video type for an unknown extension. */
const char *eaf_mime_type(const char *media);

#endif
