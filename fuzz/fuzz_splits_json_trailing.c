/* fuzz_splits_json_trailing.c — a valid splits JSON object followed by arbitrary bytes.
 *
 * The parser must accept the file exactly when what follows the object is JSON whitespace
 * (space, tab, CR, LF) and refuse it otherwise with the "text after the JSON object"
 * message — trailing data is never silently ignored, whatever it holds (a second object,
 * a NUL byte, a half-written edit). The input may also carry a UTF-8 BOM before the object
 * (first input byte odd), which the parser skips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/splits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char OBJECT[] =
    "{\"splits\": {\"train\": {\"videos\": [\"a\", \"b\"]}, \"val\": {\"videos\": [\"c\"]}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const bool bom = data[0] & 1;
    data++;
    size--;
    const size_t olen = sizeof OBJECT - 1, pre = bom ? 3 : 0;
    char *text = malloc(pre + olen + size + 1);
    CHECK(text != NULL);
    memcpy(text, "\xEF\xBB\xBF", pre);
    memcpy(text + pre, OBJECT, olen);
    if (size) memcpy(text + pre + olen, data, size);
    bool blank = true, nul = false;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        nul |= c == 0;
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') blank = false;
    }
    struct splits_lists l;
    struct error err;
    int rc = splits_json_parse(text, pre + olen + size, "fuzz", &l, &err);
    if (blank) {
        CHECK(rc == 0);
        CHECK(l.n[SPLIT_TRAIN] == 2 && l.n[SPLIT_VAL] == 1 && !l.has_test);
        CHECK(!strcmp(l.videos[SPLIT_TRAIN][0], "a") && !strcmp(l.videos[SPLIT_VAL][0], "c"));
    } else {
        CHECK(rc == -1);
        /* a NUL anywhere is refused as such before parsing; anything else as trailing text */
        CHECK(strstr(err.msg, nul ? "NUL byte" : "text after the JSON object") != NULL);
    }
    splits_lists_free(&l);
    free(text);
    return 0;
}
