/* fuzz_splits_json.c — splits_json_parse on arbitrary bytes. On success no video may appear
 * twice and every id must be a non-empty string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/splits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct splits_lists l;
    struct error err;
    if (splits_json_parse((const char *)data, size, "fuzz", &l, &err) == 0) {
        for (int k = 0; k < SPLIT_COUNT; k++)
            for (size_t i = 0; i < l.n[k]; i++) {
                CHECK(l.videos[k][i][0] != '\0');
                for (int k2 = 0; k2 < SPLIT_COUNT; k2++)
                    for (size_t j = 0; j < l.n[k2]; j++)
                        if (k != k2 || i != j) CHECK(strcmp(l.videos[k][i], l.videos[k2][j]));
            }
    }
    splits_lists_free(&l);
    return 0;
}
