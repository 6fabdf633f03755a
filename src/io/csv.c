/* csv.c — RFC 4180 quoting for every CSV the program writes, and a strict reader (csv.h). */
#include "io/csv.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

bool csv_needs_quotes(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') return true;
    return false;
}

static void put_quoted(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
}

int csv_write_prefixed(FILE *f, const char *prefix, const char *s)
{
    if (!csv_needs_quotes(prefix, strlen(prefix)) && !csv_needs_quotes(s, strlen(s))) {
        fputs(prefix, f);
        fputs(s, f);
    } else {
        fputc('"', f);
        put_quoted(f, prefix);
        put_quoted(f, s);
        fputc('"', f);
    }
    return ferror(f) ? -1 : 0;
}

int csv_write_field(FILE *f, const char *s) { return csv_write_prefixed(f, "", s); }

void csv_fields_free(char **fields, size_t n)
{
    if (!fields) return;
    for (size_t i = 0; i < n; i++) free(fields[i]);
    free(fields);
}

/* Appends text[a..b) with doubled quotes undone (quoted) to a new string. */
static char *take(const char *text, size_t a, size_t b, bool quoted, struct error *err)
{
    char *s = sg_malloc(b - a + 1, 1, "csv field", err);
    if (!s) return NULL;
    size_t o = 0;
    for (size_t i = a; i < b; i++) {
        s[o++] = text[i];
        if (quoted && text[i] == '"') i++; /* "" → " */
    }
    s[o] = '\0';
    return s;
}

int csv_parse_record(const char *text, size_t len, size_t *pos, char ***fields, size_t *n,
                     struct error *err)
{
    *fields = NULL;
    *n = 0;
    size_t i = *pos, cap = 0;
    if (i >= len) return 0;
    char **out = NULL;
    size_t cnt = 0;
    for (;;) {
        size_t a, b;
        bool quoted = i < len && text[i] == '"';
        if (i < len && quoted) {
            a = ++i;
            for (;;) {
                if (i >= len) {
                    error_set(err, "csv: quoted field opened at byte %zu never closes", a - 1);
                    goto fail;
                }
                if (text[i] == '"') {
                    if (i + 1 < len && text[i + 1] == '"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i++;
            }
            b = i++;
            if (i < len && text[i] != ',' && text[i] != '\n' &&
                !(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')) {
                error_set(err, "csv: byte %zu follows a closing quote (expected ',' or the end "
                          "of the record)", i);
                goto fail;
            }
        } else {
            a = i;
            while (i < len && text[i] != ',' && text[i] != '\n') {
                if (text[i] == '"') {
                    error_set(err, "csv: a '\"' at byte %zu inside a field that is not quoted",
                              i);
                    goto fail;
                }
                if (text[i] == '\r' && !(i + 1 < len && text[i + 1] == '\n')) {
                    error_set(err, "csv: a bare CR at byte %zu inside a field that is not quoted",
                              i);
                    goto fail;
                }
                if (text[i] == '\r') break;
                i++;
            }
            b = i;
        }
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 8;
            if (sg_realloc((void **)&out, nc, sizeof *out, "csv fields", err)) goto fail;
            cap = nc;
        }
        if (!(out[cnt] = take(text, a, b, quoted, err))) goto fail;
        cnt++;
        if (i >= len) break;
        if (text[i] == ',') {
            i++;
            if (i >= len) { /* a trailing comma: one more, empty field */
                if (cnt == cap &&
                    sg_realloc((void **)&out, cap + 1, sizeof *out, "csv fields", err))
                    goto fail;
                if (!(out[cnt] = take(text, i, i, false, err))) goto fail;
                cnt++;
                break;
            }
            continue;
        }
        if (text[i] == '\r') i++;
        i++; /* '\n' */
        break;
    }
    *pos = i;
    *fields = out;
    *n = cnt;
    return 1;
fail:
    csv_fields_free(out, cnt);
    return -1;
}
