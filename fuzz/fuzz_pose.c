/* fuzz_pose.c — fuzz target for the pose-format `.pose` reader: parses the input from memory
 * (io/pose_file.c: header, components, body sizes) and maps it to our parts
 * (data/landmarks.c: component names, point counts, formats, people, confidence) for
 * persons 0 and 1. Inputs are hostile: every count and length comes from the file, and the
 * reader must fail with a message, never read past the buffer, crash or leak. Allocations are
 * bounded by the input size (the body must match the header exactly). Replayed over
 * fuzz/corpus/pose/ by ctest through fuzz/replay.c. */
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "data/landmarks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    for (size_t person = 0; person < 2; person++) {
        struct landmarks lm;
        if (landmarks_parse_pose(&lm, data, size, "fuzz.pose", person, &err) != 0) continue;
        landmarks_normalize(&lm);
        struct data_raw_video raw;
        landmarks_raw(&lm, &raw);
        landmarks_free(&lm);
    }
    return 0;
}
