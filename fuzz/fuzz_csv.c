/* fuzz_csv.c — the CSV writer's quoting round trip (io/csv.h).
 *
 * The input, cut at its NUL bytes, is one record's fields (a C string cannot hold NUL, so NUL
 * is the cut). Each field goes through csv_write_field into memory, twice as two records;
 * the strict RFC 4180 reader must give back exactly the same fields, twice, and nothing
 * after. The raw input is also handed to the reader as hostile CSV: it may refuse it, never
 * crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    /* the reader on the raw bytes */
    size_t pos = 0;
    char **f;
    size_t n;
    int r;
    while ((r = csv_parse_record((const char *)data, size, &pos, &f, &n, &err)) == 1) {
        CHECK(n >= 1);
        csv_fields_free(f, n);
    }
    CHECK(r == 0 || r == -1);

    /* the fields: the input cut at NUL bytes */
    char *copy = malloc(size + 1);
    CHECK(copy != NULL);
    if (size) memcpy(copy, data, size);
    copy[size] = '\0';
    size_t nf = 1;
    for (size_t i = 0; i < size; i++) nf += data[i] == 0;
    const char **fields = malloc(nf * sizeof *fields);
    CHECK(fields != NULL);
    fields[0] = copy;
    for (size_t i = 0, k = 1; i < size; i++)
        if (data[i] == 0) fields[k++] = copy + i + 1;

    char *text = NULL;
    size_t tlen = 0;
    FILE *mf = open_memstream(&text, &tlen);
    CHECK(mf != NULL);
    for (int rec = 0; rec < 2; rec++) {
        for (size_t k = 0; k < nf; k++) {
            if (k) csv_sep(mf);
            CHECK(csv_write_field(mf, fields[k]) == 0);
        }
        fputc('\n', mf);
    }
    CHECK(fclose(mf) == 0);
    pos = 0;
    for (int rec = 0; rec < 2; rec++) {
        r = csv_parse_record(text, tlen, &pos, &f, &n, &err);
        if (r != 1) {
            fprintf(stderr, "fuzz_csv: the writer's output does not read back: %s\n", err.msg);
            abort();
        }
        CHECK(n == nf);
        for (size_t k = 0; k < nf; k++) CHECK(strcmp(f[k], fields[k]) == 0);
        csv_fields_free(f, n);
    }
    CHECK(csv_parse_record(text, tlen, &pos, &f, &n, &err) == 0);
    free(text);
    free(fields);
    free(copy);
    return 0;
}
