/* Which of the x86-64 loops of the decoders (base64url in b64url_simd.c,
 * hex in encoding.c) this build and CPU can run, and the fastest of them.
 * The choice depends on the CPU alone, never on the text. */
#include "internal.h"

#if PH_SIMD_X86

static int have_vbmi(void)
{
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi");
}

int ph_simd_loop_available(ph_simd_loop loop)
{
    /* libgcc asks cpuid once, when the program starts (checking that the
     * OS saves the YMM and ZMM registers too); this reads its answer. */
    return loop == PH_SIMD_SCALAR || loop == PH_SIMD_SSE2 ||
           (loop == PH_SIMD_AVX2 && __builtin_cpu_supports("avx2")) ||
           (loop == PH_SIMD_VBMI && have_vbmi());
}

ph_simd_loop ph_simd_best_loop(void)
{
    return have_vbmi()                      ? PH_SIMD_VBMI
           : __builtin_cpu_supports("avx2") ? PH_SIMD_AVX2
                                            : PH_SIMD_SSE2;
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
