/* common.cl — prepended to every program: shared helpers. Every profile key the program
 * names arrives as a define BC_<KEY> (src/device/profile_keys.def declares them and their defaults); among them
 * BC_GEMM_TILE_N, the lanes of the CPU kernels' vectors (the GEMM's panel width, which
 * conv2d shares). */
#ifndef BC_WG_1D
#error "the BC_* defines come from the device profile (src/device/profile_keys.def)"
#endif

/* BC_CAT(vload, 16) -> vload16, with macro arguments expanded first: vector types and
 * functions named after a profile width. */
#define BC_CAT_(a, b) a##b
#define BC_CAT(a, b) BC_CAT_(a, b)

/* store_u<N>(v, p): a vector store to global memory at any 4-byte aligned address. PoCL's
 * vstore16 writes 4-lane pieces, so one 16-lane store becomes three or four instructions;
 * with BC_STORE_UNALIGNED (CPU profile; clang's vector types) it goes through a vector type
 * of 4-byte alignment and becomes one. A float3 pointer would write 16 bytes, so 3 lanes
 * always use vstore3. */
#if BC_STORE_UNALIGNED && defined(__clang__)
#define BC_STORE_U(N)                                                                        \
    typedef float float##N##_u __attribute__((ext_vector_type(N), aligned(4)));              \
    inline void store_u##N(float##N v, __global float *p) { *(__global float##N##_u *)p = v; }
#else
#define BC_STORE_U(N)                                                                        \
    inline void store_u##N(float##N v, __global float *p) { vstore##N(v, 0, p); }
#endif
BC_STORE_U(2)
BC_STORE_U(4)
BC_STORE_U(8)
BC_STORE_U(16)
inline void store_u3(float3 v, __global float *p) { vstore3(v, 0, p); }

/* A view is a (pointer, element offset) pair, see ARG_VIEW_OF in device.h. */
#define VIEW(type, name) __global type *name##_base, int name##_offset
#define VIEW_PTR(name) (name##_base + name##_offset)

/* The total of a vector's lanes, through private memory: oclgrind's uninitialized-value
 * checker corrupts its heap on scalars extracted from a float8/float16 (v.s0, v.lo); the
 * compiler turns this back into register shuffles. lane_sum16(v) etc., for every vector
 * width a profile's GEMM_TILE_N may name (the weight gradient sums lanes of that width). */
#define BC_LANE_SUM(N)                                                                       \
    inline float lane_sum##N(float##N v) {                                                   \
        float lanes[N];                                                                      \
        vstore##N(v, 0, lanes);                                                              \
        float s = 0.0f;                                                                      \
        for (int i = 0; i < N; i++) s += lanes[i];                                           \
        return s;                                                                            \
    }
BC_LANE_SUM(2)
BC_LANE_SUM(3)
BC_LANE_SUM(4)
BC_LANE_SUM(8)
BC_LANE_SUM(16)
