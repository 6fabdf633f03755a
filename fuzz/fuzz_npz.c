/* fuzz_npz.c — fuzz target for the npz/npy reader: opens the input as an .npz from memory
 * and reads every member that lists as readable, into a buffer of exactly its element
 * count (so ASan catches any write past what the header promised). Inputs are hostile zip
 * archives and .npy headers; the reader must fail with a message, never crash or leak.
 * Members larger than 4M elements are skipped to keep memory bounded (the shape comes
 * from the input). Replayed over fuzz/corpus/npz/ by ctest through fuzz/replay.c. */
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "io/npz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct npz z;
    struct error err;
    if (npz_open_buffer(&z, data, size, "fuzz.npz", &err) != 0) return 0;
    (void)npz_find(&z, "pose");
    for (size_t i = 0; i < z.n_members; i++) {
        const struct npz_member *m = &z.members[i];
        size_t count = m->ok ? m->count : 1;
        if (count > ((size_t)1 << 22)) continue;
        float *dst = malloc(count ? count * sizeof(float) : 1);
        if (!dst) continue;
        (void)npz_read_f32(&z, i, dst, count, &err);
        free(dst);
    }
    npz_close(&z);
    return 0;
}
