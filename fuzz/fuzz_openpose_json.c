/* fuzz_openpose_json.c — fuzz target for one OpenPose JSON frame (io/openpose_json.c): the
 * input is parsed as a `<name>_<frame>_keypoints.json` file's text. Hostile JSON (deep
 * nesting, wrong types, keypoint arrays of any length, huge numbers) must give a message,
 * never a crash or a leak; a frame that parses has keypoint arrays of exactly the part's
 * size, which the target checks by reading every value. Replayed over
 * fuzz/corpus/openpose_json/ by ctest through fuzz/replay.c. */
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "io/openpose_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    struct openpose_frame f;
    if (openpose_frame_parse(&f, (const char *)data, size, "fuzz_000000000000_keypoints.json",
                             &err) != 0)
        return 0;
    volatile float sink = 0.0f;
    for (size_t i = 0; i < f.n_people; i++)
        for (int p = 0; p < OPENPOSE_PART_COUNT; p++) {
            const float *kp = f.people[i].kp[p];
            if (!kp) continue;
            for (size_t k = 0; k < 3 * openpose_part_points((enum openpose_part)p); k++)
                sink += kp[k];
        }
    (void)sink;
    openpose_frame_free(&f);
    return 0;
}
