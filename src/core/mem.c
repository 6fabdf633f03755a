/* mem.c — available memory and the check before large allocations (see mem.h). */
#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/input_file.h"

/* The first number of a one-line file ("max" and unreadable files give 0). */
static int read_u64_file(const char *path, unsigned long long *v)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fscanf(f, "%llu", v) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

size_t mem_available(void)
{
    unsigned long long avail = 0;
    int have = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            unsigned long long kb;
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                avail = kb * 1024ULL;
                have = 1;
                break;
            }
        }
        fclose(f);
    }
    if (!have) {
        long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        if (pages > 0 && page > 0) {
            avail = (unsigned long long)pages * (unsigned long long)page;
            have = 1;
        }
    }
    unsigned long long max, cur;
    if (read_u64_file("/sys/fs/cgroup/memory.max", &max) == 0 &&
        read_u64_file("/sys/fs/cgroup/memory.current", &cur) == 0) {
        unsigned long long room = max > cur ? max - cur : 0;
        if (!have || room < avail) avail = room;
        have = 1;
    }
    if (!have || avail > SIZE_MAX) return SIZE_MAX;
    return (size_t)avail;
}

int mem_check(size_t bytes, const char *what, struct error *err)
{
    size_t avail = mem_available();
    if (bytes <= avail) return 0;
    char need[32], have[32];
    return error_set(err, "%s: needs %s, more than the %s of memory available", what,
                     format_bytes(bytes, need, sizeof need), format_bytes(avail, have, sizeof have));
}
