/* fuzz_groundtruth.c — groundtruth_parse on arbitrary bytes. On success, every per-frame
 * query must stay in bounds and return label ids the table knows. */
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "io/groundtruth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct groundtruth gt;
    struct error err;
    if (groundtruth_parse(&gt, (const char *)data, size, "fuzz", &err) == 0) {
        int32_t labels[64];
        for (size_t i = 0; i < groundtruth_num_videos(&gt); i++) {
            const char *id = groundtruth_video_id(&gt, i);
            CHECK(groundtruth_find_video(&gt, id) == &gt.videos[i]);
            for (int f = 0; f < 2; f++) {
                groundtruth_frame_labels(&gt, id, 64, (enum label_fill)f, labels);
                for (int t = 0; t < 64; t++)
                    CHECK(labels[t] == -1 ||
                          groundtruth_label_name(&gt, labels[t]) != NULL);
            }
        }
    }
    groundtruth_free(&gt);
    return 0;
}
