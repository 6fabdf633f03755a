/* csv.h — the one CSV writer every command uses, and a strict RFC 4180 reader.
 *
 * Labels, class names and video ids come from the user's files and may hold ',' '"' or line
 * breaks; written bare they shift the columns of every row after them. csv_write_field()
 * writes a field as RFC 4180 §2 says: bare when it holds none of , " CR LF, else enclosed in
 * double quotes with each '"' doubled. Records end with "\n" (as Python's csv module,
 * pandas and R read them); numbers are written by the caller after csv_sep().
 *
 * csv_parse_record() is the strict reader used by the tests and the fuzz target to prove the
 * writer's output reads back field for field: a quoted field must close and be followed by
 * ',' or the end of the record; a bare field may not hold '"' or CR; a record ends with LF,
 * CRLF or the end of the text.
 */
#ifndef SG_IO_CSV_H
#define SG_IO_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct error;

/* Whether s[0..len) needs quotes. */
bool csv_needs_quotes(const char *s, size_t len);
/* Writes prefix+s as one field (prefix may be ""), quoted when needed. 0, or -1 on a write
 * error (ferror(f) tells). */
int csv_write_prefixed(FILE *f, const char *prefix, const char *s);
int csv_write_field(FILE *f, const char *s);
/* The separator before every field but the first. */
static inline void csv_sep(FILE *f) { fputc(',', f); }

/* One record of text[*pos..len): its fields (malloc'ed array of malloc'ed strings; a field
 * holding NUL bytes is cut at the first one) into *fields / *n; *pos moves past the record.
 * Returns 1 when a record was read, 0 at the end of the text, -1 with err set on a record
 * that breaks RFC 4180 (the message gives the byte offset). */
int csv_parse_record(const char *text, size_t len, size_t *pos, char ***fields, size_t *n,
                     struct error *err);
void csv_fields_free(char **fields, size_t n);

#endif
