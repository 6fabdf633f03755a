/* config.c — defaults and enum names of the data options (SPEC §1).
 *
 * The struct is documented in config.h; parsing the flags is src/cli/data_opts.c, applying
 * them is src/data/dataset.c. Nothing here allocates or fails.
 */
#include "data/config.h"

#include <string.h>

void data_config_default(struct data_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->window = 25;
    cfg->stride = 1;
    cfg->coords = 2;
    cfg->include_pose = true;
    cfg->include_hands = false;
    cfg->include_face = false;
    cfg->face_points = FACE_POINTS_ALL;
    cfg->normalize = DATA_NORMALIZE_SHOULDERS;
    cfg->zero_is_missing = true;
    cfg->label_fill = LABEL_FILL_NONE;
    cfg->binary = false;
    strcpy(cfg->signing_labels, DATA_SIGNING_LABELS_DEFAULT);
}

size_t data_config_stats_size(const struct data_config *cfg)
{
    return 2 * cfg->coords;
}

static const char *const normalize_names[] = {"shoulders", "none"};
_Static_assert(sizeof normalize_names / sizeof normalize_names[0] == DATA_NORMALIZE_NONE + 1,
               "normalize names");

const char *data_normalize_name(enum data_normalize n)
{
    return (unsigned)n <= DATA_NORMALIZE_NONE ? normalize_names[n] : "?";
}

int data_normalize_parse(const char *name)
{
    for (int i = 0; i <= DATA_NORMALIZE_NONE; i++)
        if (!strcmp(name, normalize_names[i])) return i;
    return -1;
}
