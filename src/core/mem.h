/* mem.h — checking a large allocation against the memory the machine has.
 *
 * Sizes chosen by a flag (--batch, --window, --num-classes) can ask for more memory than the
 * machine has; malloc then either fails with a size that names no flag or, with overcommit,
 * succeeds and the process swaps or is killed minutes later. Every allocation through
 * core/alloc.h of at least MEM_CHECK_MIN bytes is first compared with mem_available() and
 * refused with a message that gives both sizes; callers that know which flag decided the size
 * add it as a hint (model_reserve: --batch and --window).
 */
#ifndef SG_CORE_MEM_H
#define SG_CORE_MEM_H

#include <stddef.h>

struct error;

#define MEM_CHECK_MIN ((size_t)64 << 20)

/* Bytes this process can still expect to get: /proc/meminfo's MemAvailable (else
 * sysconf(_SC_AVPHYS_PAGES)), lowered to the cgroup v2 limit's headroom
 * (memory.max - memory.current) when one is set. SIZE_MAX when nothing can be read. */
size_t mem_available(void);

/* 0 when `bytes` fits in mem_available(); else -1 with
 * "<what>: needs 1.2 TiB, more than the 14 GiB of memory available". */
int mem_check(size_t bytes, const char *what, struct error *err);

#endif
