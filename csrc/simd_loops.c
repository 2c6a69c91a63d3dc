/* Which of the x86-64 loops of the decoders (base64url in b64url_simd.c,
 * hex in encoding.c) this build and CPU can run, and the fastest of them;
 * and whether the CPU has AVX-512 VBMI at all, which json_ct.c asks too.
 * The choice depends on the CPU alone, never on the text. */
#include <stdatomic.h>

#include "internal.h"

int ph_cpu_has_vbmi(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    /* libgcc asks cpuid once, when the program starts (checking that the
     * OS saves the ZMM registers too); this reads its answer, asking first
     * if that has not happened yet. */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi");
#else
    return 0;
#endif
}

#if PH_SIMD_X86

int ph_simd_loop_available(ph_simd_loop loop)
{
    return loop == PH_SIMD_SCALAR || loop == PH_SIMD_SSE2 ||
           (loop == PH_SIMD_AVX2 && __builtin_cpu_supports("avx2")) ||
           (loop == PH_SIMD_VBMI && ph_cpu_has_vbmi());
}

ph_simd_loop ph_simd_best_loop(void)
{
    /* Every decode asks: decided once (loop + 1; 0 until then), and
     * threads that race decide the same. */
    static atomic_int best;
    int b = atomic_load_explicit(&best, memory_order_relaxed);

    if (b == 0) {
        b = 1 + (ph_cpu_has_vbmi()                ? PH_SIMD_VBMI
                 : __builtin_cpu_supports("avx2") ? PH_SIMD_AVX2
                                                  : PH_SIMD_SSE2);
        atomic_store_explicit(&best, b, memory_order_relaxed);
    }
    return (ph_simd_loop)(b - 1);
}

#else

int ph_simd_loop_available(ph_simd_loop loop)
{
    return loop == PH_SIMD_SCALAR;
}

ph_simd_loop ph_simd_best_loop(void)
{
    return PH_SIMD_SCALAR;
}

#endif
