/* bench.cl — what byolcl-bench measures the device's achievable peak with: chains of
 * independent vector FMAs (compute bound, no memory traffic) and a streaming copy (memory
 * bound). Each variant is a different vector width; the bench keeps the fastest. */

/* CHAINS independent accumulators hide the FMA latency; x = x * a + b converges to
 * b / (1 - a), so nothing overflows or turns denormal however long the loop runs. */
#define BENCH_FMA_KERNEL(T, W, CHAINS)                                                         \
    __kernel void peak_fma_##T(__global float *out, int iterations, float a, float b) {       \
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

BENCH_FMA_KERNEL(float, 1, 16)
BENCH_FMA_KERNEL(float4, 4, 8)
BENCH_FMA_KERNEL(float8, 8, 8)
BENCH_FMA_KERNEL(float16, 16, 4)

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
