/* clones.h — SG_CLONES marks a kernel built for AVX-512 and AVX2 besides baseline x86-64; the
 * CPU's best is chosen when the program loads (GCC's target_clones, through glibc's ifunc).
 * The build targets baseline x86-64 so that one binary runs on any such machine; the few
 * kernels where measurement showed the baseline's SSE2 code far behind carry the mark
 * (docs/performance.md). Only for code whose result cannot depend on the vector width or on
 * fused multiply-adds (AVX2 and AVX-512 builds may contract a·b + c): element-wise selects,
 * masks and single products. Elsewhere (other CPUs or compilers) it is nothing.
 */
#ifndef SG_CORE_CLONES_H
#define SG_CORE_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SG_NO_CLONES)
#define SG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SG_CLONES
#endif

#endif
