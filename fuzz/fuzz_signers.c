/* fuzz_signers.c — signers_parse on arbitrary bytes; every parsed video must be found again
 * by signers_lookup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/groundtruth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct signers s;
    struct error err;
    if (signers_parse(&s, (const char *)data, size, "fuzz", &err) == 0) {
        for (size_t i = 0; i < s.n; i++)
            CHECK(signers_lookup(&s, s.entries[i].video) == s.entries[i].signer);
    }
    signers_free(&s);
    return 0;
}
