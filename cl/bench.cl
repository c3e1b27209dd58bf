/* bench.cl — what byolcl-bench measures the device's achievable peak with: chains of
 * independent vector FMAs (compute bound, no memory traffic) and a streaming copy (memory
 * bound). Each variant is a different vector width; the bench keeps the fastest. */

/* CHAINS independent accumulators hide the FMA latency; x = x * a + b converges to
 * b / (1 - a), so nothing overflows or turns denormal however long the loop runs. */
#define BENCH_FMA_KERNEL(NAME, T, W, CHAINS)                                                   \
    __kernel void NAME(__global float *out, int iterations, float a, float b) {              \
        int gid = get_global_id(0);                                                           \
        T x[CHAINS];                                                                          \
        for (int c = 0; c < CHAINS; c++) {                                                    \
            float lane0 = (float)(gid % 1024) * 1e-4f + (float)(c * W) * 1e-3f;               \
            x[c] = (T)(lane0);                                                                \
        }                                                                                     \
        T va = (T)(a), vb = (T)(b);                                                           \
        for (int i = 0; i < iterations; i++) {                                                \
            _Pragma("unroll") for (int c = 0; c < CHAINS; c++) x[c] = fma(x[c], va, vb);      \
        }                                                                                     \
        T s = x[0];                                                                           \
        for (int c = 1; c < CHAINS; c++) s += x[c];                                           \
        out[gid] = bench_sum_##T(s);                                                          \
    }

inline float bench_sum_float(float s) { return s; }
inline float bench_sum_float4(float4 s) { return (s.s0 + s.s1) + (s.s2 + s.s3); }
inline float bench_sum_float8(float8 s) { return bench_sum_float4(s.lo) + bench_sum_float4(s.hi); }
inline float bench_sum_float16(float16 s) { return bench_sum_float8(s.lo) + bench_sum_float8(s.hi); }

BENCH_FMA_KERNEL(peak_fma_float, float, 1, 16)
BENCH_FMA_KERNEL(peak_fma_float4, float4, 4, 8)
BENCH_FMA_KERNEL(peak_fma_float8, float8, 8, 8)
BENCH_FMA_KERNEL(peak_fma_float16, float16, 16, 4)
/* Two FMA units of latency 4 need 8 independent vectors in flight: with 4 chains a
 * 512-bit CPU shows half its peak (measured 105 vs 174 GFLOP/s here, while OpenBLAS's
 * SGEMM reached 290). */
BENCH_FMA_KERNEL(peak_fma_float16_c8, float16, 16, 8)
BENCH_FMA_KERNEL(peak_fma_float16_c12, float16, 16, 12)

/* dst = src over n elements of the vector type. */
__kernel void peak_copy_float(__global const float *src, __global float *dst, int n) {
    int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}

__kernel void peak_copy_float4(__global const float4 *src, __global float4 *dst, int n) {
    int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}

__kernel void peak_copy_float16(__global const float16 *src, __global float16 *dst, int n) {
    int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}
