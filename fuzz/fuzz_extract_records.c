/* fuzz_extract_records.c — fuzz target for the landmark extractor's output
 * (data/extract_records.c): the input is split into lines as `signstgcn extract` reads the
 * extractor's stdout, each line parsed as a record, and frame records gathered into one
 * recording as the command does (a video record starts it). Hostile lines (wrong types,
 * arrays of any length, huge or non-finite numbers, frames out of order, a face of the wrong
 * size) must give a message, never a crash or a leak; a recording that finishes has every
 * part's values, which the target reads. Replayed over fuzz/corpus/extract_records/ by ctest
 * through fuzz/replay.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/extract_records.h"
#include "data/landmarks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finish(struct extract_video *v, bool *open)
{
    struct landmarks lm;
    struct error err;
    if (*open && extract_video_finish(v, &lm, &err) == 0) {
        volatile float sink = 0.0f;
        for (int p = 0; p < DATA_PART_COUNT; p++)
            for (size_t i = 0; i < lm.frames * lm.part[p].joints * lm.part[p].channels; i++)
                sink += lm.part[p].data[i];
        (void)sink;
        landmarks_free(&lm);
    }
    extract_video_free(v);
    *open = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    struct extract_video v;
    memset(&v, 0, sizeof v);
    bool open = false;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        struct extract_rec r;
        struct error err;
        if (extract_rec_parse(&r, s, len, "fuzz line", &err) == 0) {
            if (r.type == EXTRACT_VIDEO) {
                finish(&v, &open);
                extract_video_init(&v, &r, r.index % 2 ? 478 : 468);
                open = true;
            } else if (r.type == EXTRACT_FRAME && open) {
                if (extract_video_add(&v, &r, "fuzz line", &err)) finish(&v, &open);
            } else if (r.type == EXTRACT_END) {
                finish(&v, &open);
            }
            extract_rec_free(&r);
        }
        s += len + (nl ? 1 : 0);
    }
    finish(&v, &open);
    return 0;
}
