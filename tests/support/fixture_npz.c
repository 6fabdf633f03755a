/* fixture_npz.c — test helpers over the npz reader (see fixture_npz.h). */
#include "fixture_npz.h"

#include <stdlib.h>

#include "core/error.h"
#include "testutil.h"

void fx_open(struct npz *z, const char *rel)
{
    struct error err;
    if (npz_open(z, fixture_path(rel), &err) != 0) fail_msg("%s", err.msg);
}

void fx_read_into(struct npz *z, const char *name, float *dst, size_t count)
{
    int idx = npz_find(z, name);
    if (idx < 0) fail_msg("fixture '%s' has no member '%s'", z->path, name);
    if (z->members[idx].count != count)
        fail_msg("fixture '%s' member '%s' has %zu elements, test expects %zu", z->path, name,
                 z->members[idx].count, count);
    struct error err;
    if (npz_read_f32(z, (size_t)idx, dst, count, &err) != 0) fail_msg("%s", err.msg);
}

float *fx_read(struct npz *z, const char *name, size_t count)
{
    float *p = malloc((count ? count : 1) * sizeof *p);
    if (!p) fail_msg("out of memory reading '%s'", name);
    fx_read_into(z, name, p, count);
    return p;
}
