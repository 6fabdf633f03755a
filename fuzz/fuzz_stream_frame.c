/* fuzz_stream_frame.c — detect --stream's frame parser (detect_frame_parse) on arbitrary
 * bytes, for a frame shape chosen by the first byte (pose only, pose + hands, all four parts
 * with a 468- or 478-point face; 2 to 4 numbers a point). JSON has no NaN, so in a parsed
 * frame a part is either all NaN (null or absent: not detected) or holds no NaN at all; a
 * refused line always says why. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "detect/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct detect_frame_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.part_joints[DATA_PART_POSE] = DATA_POSE_JOINTS;
    if (data[0] & 1) sh.part_joints[DATA_PART_LEFT_HAND] = sh.part_joints[DATA_PART_RIGHT_HAND] = 21;
    if (data[0] & 2) sh.part_joints[DATA_PART_FACE] = (data[0] & 4) ? 478 : 468;
    sh.ch = 2 + (size_t)((data[0] >> 3) % 3);
    struct detect_frame f;
    struct error err;
    if (detect_frame_alloc(&sh, &f, &err)) return 0;
    if (detect_frame_parse(&sh, (const char *)data + 1, size - 1, &f, &err) == 0) {
        for (int p = 0; p < DATA_PART_COUNT; p++) {
            size_t n = f.part[p] ? sh.part_joints[p] * sh.ch : 0, nan = 0;
            for (size_t i = 0; i < n; i++) nan += isnan(f.part[p][i]) != 0;
            CHECK(nan == 0 || nan == n);
        }
    } else {
        CHECK(err.msg[0] != '\0');
    }
    detect_frame_free(&f);
    return 0;
}
