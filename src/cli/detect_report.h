/* detect_report.h — how detect and `eval --frames` show a detection run: the table on
 * stdout (per recording and overall: frames, segments, frame accuracy, F1, PR-AUC, mean IoU
 * of matched segments, segment F1 at IoU >= 0.5) and the same as JSON. */
#ifndef SG_CLI_DETECT_REPORT_H
#define SG_CLI_DETECT_REPORT_H
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "data/dataset.h"
#include "detect/recording.h"
#include "train/infer.h"

void detect_report_table(const struct dataset *ds, const struct detect_run *run);
/* {"checkpoint", "mode", "stride", "window", "fps", thresholds, "signing_classes",
 *  "recordings": [{name, frames, seconds, segments, signing_seconds, scores}], "overall"} */
cJSON *detect_report_json(const struct infer *inf, const struct detect_options *o, double fps,
                          const bool *is_background, const struct dataset *ds,
                          const struct detect_run *run);
cJSON *detect_scores_json(const struct detect_scores *s);

#endif
