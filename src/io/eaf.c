/* eaf.c — EAF 3.0 writer (see eaf.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "io/eaf.h"

#include <libxml/xmlwriter.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"

const char *eaf_mime_type(const char *media)
{
    static const char *const map[][2] = {
        {"mp4", "video/mp4"},     {"m4v", "video/mp4"},  {"mov", "video/quicktime"},
        {"mpg", "video/mpeg"},    {"mpeg", "video/mpeg"}, {"mpg2", "video/mpeg2"},
        {"webm", "video/webm"},   {"mkv", "video/x-matroska"}, {"avi", "video/x-msvideo"},
        {"ogv", "video/ogg"},     {"wav", "audio/x-wav"}, {"mp3", "audio/mpeg"},
    };
    const char *dot = strrchr(media, '.');
    const char *slash = strrchr(media, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcasecmp(dot + 1, map[i][0])) return map[i][1];
    return "video/*";
}

/* An absolute, lexically normalised path (realpath when the file exists). */
static char *absolute(const char *p, struct error *err)
{
    char buf[PATH_MAX];
    if (realpath(p, buf)) return sg_strdup(buf, err);
    char cwd[PATH_MAX];
    if (p[0] == '/') return sg_strdup(p, err);
    if (!getcwd(cwd, sizeof cwd)) {
        error_set(err, "eaf_write: cannot resolve '%s' (current folder unknown)", p);
        return NULL;
    }
    size_t n = strlen(cwd) + strlen(p) + 2;
    char *out = sg_malloc(n, 1, "path", err);
    if (out) snprintf(out, n, "%s/%s", cwd, p);
    return out;
}

/* Path of `target` relative to the folder holding `from` (both absolute). */
static char *relative(const char *target, const char *from, struct error *err)
{
    size_t common = 0; /* length of the common folder prefix, up to and with a '/' */
    for (size_t i = 0; target[i] && target[i] == from[i]; i++)
        if (target[i] == '/') common = i + 1;
    size_t ups = 0;
    for (const char *s = from + common; *s; s++) ups += *s == '/';
    size_t n = 3 * ups + strlen(target + common) + 3;
    char *out = sg_malloc(n, 1, "path", err);
    if (!out) return NULL;
    char *w = out;
    if (!ups) w += sprintf(w, "./");
    for (size_t i = 0; i < ups; i++) w += sprintf(w, "../");
    strcpy(w, target + common);
    return out;
}

/* file:// URL of an absolute path, with bytes outside the unreserved set percent-encoded. */
static char *file_url(const char *abs, struct error *err)
{
    size_t n = 7 + 3 * strlen(abs) + 1;
    char *out = sg_malloc(n, 1, "url", err);
    if (!out) return NULL;
    char *w = out + sprintf(out, "file://");
    for (const unsigned char *s = (const unsigned char *)abs; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("/-._~", *s))
            *w++ = (char)*s;
        else
            w += sprintf(w, "%%%02X", *s);
    }
    *w = '\0';
    return out;
}

static void iso_date(char *buf, size_t n)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH"); /* reproducible output when set */
    time_t t = sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

#define X(s) ((const xmlChar *)(s))

int eaf_write(const char *path, const struct eaf_doc *doc, struct error *err)
{
    for (size_t i = 0; i < doc->n; i++) {
        if (doc->ann[i].start_ms < 0 || doc->ann[i].end_ms <= doc->ann[i].start_ms ||
            (i && doc->ann[i].start_ms < doc->ann[i - 1].end_ms))
            return error_set(err, "eaf_write: '%s': annotation %zu [%lld, %lld] ms is empty, "
                             "negative or overlaps the one before", path, i + 1,
                             (long long)doc->ann[i].start_ms, (long long)doc->ann[i].end_ms);
    }
    char *media_abs = NULL, *path_abs = NULL, *url = NULL, *rel = NULL;
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = -1;
    if (!w) {
        error_set(err, "eaf_write: '%s': cannot create the XML writer (out of memory)", path);
        goto out;
    }
    if (doc->media) {
        if (!(media_abs = absolute(doc->media, err)) || !(path_abs = absolute(path, err)) ||
            !(url = file_url(media_abs, err)) || !(rel = relative(media_abs, path_abs, err)))
            goto out;
    }
    char date[64], num[32];
    iso_date(date, sizeof date);
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, X("    "));
    int bad = xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
    bad |= xmlTextWriterStartElement(w, X("ANNOTATION_DOCUMENT")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("AUTHOR"), X(doc->author ? doc->author : "")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("DATE"), X(date)) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("FORMAT"), X("3.0")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("VERSION"), X("3.0")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("xmlns:xsi"),
                                       X("http://www.w3.org/2001/XMLSchema-instance")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("xsi:noNamespaceSchemaLocation"),
                                       X("http://www.mpi.nl/tools/elan/EAFv3.0.xsd")) < 0;
    bad |= xmlTextWriterStartElement(w, X("HEADER")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("MEDIA_FILE"), X("")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("TIME_UNITS"), X("milliseconds")) < 0;
    if (doc->media) {
        bad |= xmlTextWriterStartElement(w, X("MEDIA_DESCRIPTOR")) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("MEDIA_URL"), X(url)) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("MIME_TYPE"), X(eaf_mime_type(doc->media))) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("RELATIVE_MEDIA_URL"), X(rel)) < 0;
        bad |= xmlTextWriterEndElement(w) < 0;
    }
    bad |= xmlTextWriterStartElement(w, X("PROPERTY")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("NAME"), X("lastUsedAnnotationId")) < 0;
    snprintf(num, sizeof num, "%zu", doc->n);
    bad |= xmlTextWriterWriteString(w, X(num)) < 0;
    bad |= xmlTextWriterEndElement(w) < 0;
    bad |= xmlTextWriterEndElement(w) < 0; /* HEADER */
    bad |= xmlTextWriterStartElement(w, X("TIME_ORDER")) < 0;
    for (size_t i = 0; i < 2 * doc->n; i++) {
        const struct eaf_annotation *a = &doc->ann[i / 2];
        char id[32];
        snprintf(id, sizeof id, "ts%zu", i + 1);
        snprintf(num, sizeof num, "%lld", (long long)(i % 2 ? a->end_ms : a->start_ms));
        bad |= xmlTextWriterStartElement(w, X("TIME_SLOT")) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("TIME_SLOT_ID"), X(id)) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("TIME_VALUE"), X(num)) < 0;
        bad |= xmlTextWriterEndElement(w) < 0;
    }
    bad |= xmlTextWriterEndElement(w) < 0; /* TIME_ORDER */
    bad |= xmlTextWriterStartElement(w, X("TIER")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("LINGUISTIC_TYPE_REF"), X("default-lt")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("TIER_ID"), X(doc->tier)) < 0;
    for (size_t i = 0; i < doc->n; i++) {
        char id[32], r1[32], r2[32];
        snprintf(id, sizeof id, "a%zu", i + 1);
        snprintf(r1, sizeof r1, "ts%zu", 2 * i + 1);
        snprintf(r2, sizeof r2, "ts%zu", 2 * i + 2);
        bad |= xmlTextWriterStartElement(w, X("ANNOTATION")) < 0;
        bad |= xmlTextWriterStartElement(w, X("ALIGNABLE_ANNOTATION")) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("ANNOTATION_ID"), X(id)) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("TIME_SLOT_REF1"), X(r1)) < 0;
        bad |= xmlTextWriterWriteAttribute(w, X("TIME_SLOT_REF2"), X(r2)) < 0;
        bad |= xmlTextWriterWriteElement(w, X("ANNOTATION_VALUE"), X(doc->ann[i].value)) < 0;
        bad |= xmlTextWriterEndElement(w) < 0;
        bad |= xmlTextWriterEndElement(w) < 0;
    }
    bad |= xmlTextWriterEndElement(w) < 0; /* TIER */
    bad |= xmlTextWriterStartElement(w, X("LINGUISTIC_TYPE")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("GRAPHIC_REFERENCES"), X("false")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("LINGUISTIC_TYPE_ID"), X("default-lt")) < 0;
    bad |= xmlTextWriterWriteAttribute(w, X("TIME_ALIGNABLE"), X("true")) < 0;
    bad |= xmlTextWriterEndElement(w) < 0;
    bad |= xmlTextWriterEndDocument(w) < 0;
    if (bad) {
        error_set(err, "eaf_write: '%s': the XML writer failed (a value is not UTF-8, or out "
                  "of memory)", path);
        goto out;
    }
    xmlFreeTextWriter(w); /* flushes into buf */
    w = NULL;
    rc = atomic_file_write_all(path, xmlBufferContent(buf), (size_t)xmlBufferLength(buf), err);
out:
    if (w) xmlFreeTextWriter(w);
    if (buf) xmlBufferFree(buf);
    free(media_abs);
    free(path_abs);
    free(url);
    free(rel);
    return rc;
}
