/* gemm_gpu.cl — our SGEMM for GPUs: C = alpha * op(A) * op(B) + beta * C, row-major, in the
 * family of CLBlast's xgemm and the classic tiled SGEMMs (design after CLBlast's
 * xgemm_part1-3.opencl and Nugteren's myGEMM tutorial; our own code). Each work-group
 * computes an MWG x NWG tile of C; per step of KWG depth it stages the matching slices of
 * op(A) and op(B) in local memory (both k-major, rows padded by PAD floats) and each of its
 * MDIMC x NDIMC work-items multiplies them into an MWI x NWI register tile (MWI = MWG / MDIMC
 * rows and NWI = NWG / NDIMC columns, contiguous, so it reads them from local memory as VW-wide
 * vectors and writes C as VW-wide vectors along its rows).
 *
 * Work-item (tn, tm) = (local id 0, local id 1): the fastest id runs along n, so a warp's
 * stores to C cover whole stretches of a row. Staging uses the flat work-item index with the
 * operand's contiguous dimension fastest, so global loads coalesce for every transposition
 * (the role of CLBlast's MDIMA / NDIMB staging shapes, derived here instead of tuned).
 *
 * Edges: a slice wholly inside the operand, with VW-aligned rows (vec_a / vec_b from the
 * host), is loaded as VW-wide vectors; any other slice (the last one in m, n or k, odd
 * leading dimensions or offsets) element by element with zeros past the edge. Only the
 * slices on an edge pay for the checks, so no padded copies of A and B are needed: CLBlast's
 * "indirect" copies cost a full pass over both operands per call, which is what the model's
 * weight gradients (k = every pixel of the batch) cannot afford.
 *
 * Split-k: the third NDRange dimension cuts the depth into chunks of `depth` (a multiple of
 * KWG) whose products go to partial outputs `chunk_stride` floats apart (gemm.c sums them).
 *
 * Every size is a profile key (GEMM_GPU_*, src/device/profile_keys.def); src/ops/gemm_gpu.c
 * checks the constraints below before building, and the #errors catch any other path. */

#define MWG BC_GEMM_GPU_MWG
#define NWG BC_GEMM_GPU_NWG
#define KWG BC_GEMM_GPU_KWG
#define MDIMC BC_GEMM_GPU_MDIMC
#define NDIMC BC_GEMM_GPU_NDIMC
#define VW BC_GEMM_GPU_VW
#define NT (MDIMC * NDIMC)
#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
/* Local rows: padded so that the transposing stores of a k-contiguous operand spread over
 * the banks; a multiple of VW so that every row starts VW-aligned. */
#define LDA_L (MWG + BC_GEMM_GPU_PAD)
#define LDB_L (NWG + BC_GEMM_GPU_PAD)
#define A_TILE (KWG * LDA_L)
#define B_TILE (KWG * LDB_L)
#define STAGES (BC_GEMM_GPU_DB ? 2 : 1)

#if VW != 1 && VW != 2 && VW != 4 && VW != 8
#error "GEMM_GPU_VW must be 1, 2, 4 or 8"
#endif
#if MWG % (MDIMC * VW) != 0 || NWG % (NDIMC * VW) != 0 || KWG % VW != 0 || BC_GEMM_GPU_PAD % VW != 0
#error "GEMM_GPU_MWG / NWG must be multiples of MDIMC / NDIMC times VW; KWG and PAD multiples of VW"
#endif
#if (MWG * KWG) % (NT * VW) != 0 || (NWG * KWG) % (NT * VW) != 0
#error "GEMM_GPU: the A and B slices (MWG or NWG times KWG) must split evenly into VW-wide loads per work-item"
#endif

#if VW == 1
#define floatVW float
#define to_private(v, p) (*(p) = (v))
#else
#define floatVW BC_CAT(float, VW)
/* Through private memory, not v.s0: see lane_sum in common.cl. */
#define to_private(v, p) BC_CAT(vstore, VW)((v), 0, (p))
#endif
#define LOCAL_VEC(p) (*(__local floatVW *)(p))
#define GLOBAL_VEC(p) (*(const __global floatVW *)(p))

/* Copies rows [r0, r0 + WG) x depths [k0, k0 + KWG) of an operand into local tile t (depth
 * kk, row r at t[kk * LD + r]). The operand is contiguous along k (along_k: element (r, p) at
 * g[r * ld + p]; A, or B^T) or along its rows (g[p * ld + r]; A^T, or B), with `rows` rows and
 * depths up to kend. Called by every work-item of the group with its flat index tid. */
inline void stage_slice(__local float *t, const int WG, const int LD, const __global float *g, int ld,
                        const int along_k, int r0, int rows, int k0, int kend, int vec, int tid) {
    if (vec && r0 + WG <= rows && k0 + KWG <= kend) {
        for (int s = 0; s < WG * KWG / (NT * VW); s++) {
            int v = tid + s * NT;
            if (along_k) {
                int r = v / (KWG / VW), kv = v - r * (KWG / VW);
                float x[VW];
                to_private(GLOBAL_VEC(g + (size_t)(r0 + r) * ld + k0 + kv * VW), x);
                for (int e = 0; e < VW; e++) t[(kv * VW + e) * LD + r] = x[e];
            } else {
                int kk = v / (WG / VW), rv = v - kk * (WG / VW);
                LOCAL_VEC(t + kk * LD + rv * VW) = GLOBAL_VEC(g + (size_t)(k0 + kk) * ld + r0 + rv * VW);
            }
        }
        return;
    }
    for (int e = tid; e < WG * KWG; e += NT) {
        int r, kk;
        if (along_k) {
            r = e / KWG;
            kk = e - r * KWG;
        } else {
            kk = e / WG;
            r = e - kk * WG;
        }
        int i = r0 + r, p = k0 + kk;
        bool inside = i < rows && p < kend;
        size_t at = along_k ? (size_t)i * ld + p : (size_t)p * ld + i;
        float x = g[inside ? at : 0];
        t[kk * LD + r] = inside ? x : 0.0f;
    }
}

/* `count` floats from local memory into private `out`, VW at a time (p is VW-aligned). */
inline void read_run(const __local float *p, float *out, const int count) {
    for (int s = 0; s < count; s += VW) to_private(LOCAL_VEC((__local float *)p + s), out + s);
}

/* acc += the staged slices' product for this work-item's rows and columns. */
inline void multiply_slice(const __local float *as, const __local float *bs, int tm, int tn,
                           float acc[MWI][NWI]) {
    for (int kk = 0; kk < KWG; kk++) {
        float ar[MWI], br[NWI];
        read_run(as + kk * LDA_L + tm * MWI, ar, MWI);
        read_run(bs + kk * LDB_L + tn * NWI, br, NWI);
        for (int i = 0; i < MWI; i++)
            for (int j = 0; j < NWI; j++) acc[i][j] = fma(ar[i], br[j], acc[i][j]);
    }
}

/* C[i, j] = alpha * acc + beta * C[i, j] for the work-item's rows and columns inside m x n;
 * C is not read when beta is 0 (it may hold NaN). VW-wide stores for a whole tile of
 * VW-aligned rows (vec_c). */
inline void store_tile(__global float *c, int ldc, int m, int n, int i0, int j0, float alpha, float beta,
                       int vec_c, float acc[MWI][NWI]) {
    bool whole = vec_c && i0 + MWI <= m && j0 + NWI <= n;
    for (int i = 0; i < MWI; i++) {
        if (i0 + i >= m) break;
        __global float *row = c + (size_t)(i0 + i) * ldc + j0;
        float out[NWI];
        for (int j = 0; j < NWI; j++) {
            bool inside = j0 + j < n;
            float old = beta != 0.0f && inside ? row[j] : 0.0f;
            out[j] = alpha * acc[i][j] + (beta != 0.0f ? beta * old : 0.0f);
        }
        if (whole) {
            for (int j = 0; j < NWI; j += VW)
#if VW == 1
                row[j] = out[j];
#else
                *(__global floatVW *)(row + j) = BC_CAT(vload, VW)(0, out + j);
#endif
        } else {
            for (int j = 0; j < NWI; j++)
                if (j0 + j < n) row[j] = out[j];
        }
    }
}

/* The kernel body for one transposition (trans_a, trans_b constants: the compiler folds the
 * branches on them). op(A)[i, p] = trans_a ? a[p * lda + i] : a[i * lda + p];
 * op(B)[p, j] = trans_b ? b[j * ldb + p] : b[p * ldb + j]. */
inline void gemm_gpu_body(const __global float *a, int lda, const __global float *b, int ldb, __global float *c,
                          int ldc, int m, int n, int k, float alpha, float beta, int depth, int chunk_stride,
                          int vec_a, int vec_b, int vec_c, const int trans_a, const int trans_b,
                          __local float *as, __local float *bs) {
    int tn = get_local_id(0), tm = get_local_id(1), tid = tn + tm * NDIMC;
    int n0 = get_group_id(0) * NWG, m0 = get_group_id(1) * MWG, chunk = get_group_id(2);
    int kbegin = chunk * depth, kend = min(k, kbegin + depth);
    int slices = kend > kbegin ? (kend - kbegin + KWG - 1) / KWG : 0;
    float acc[MWI][NWI];
    for (int i = 0; i < MWI; i++)
        for (int j = 0; j < NWI; j++) acc[i][j] = 0.0f;
#if BC_GEMM_GPU_DB
    /* Two stages: slice s + 1 is staged while slice s is multiplied; one barrier per slice
     * (the one after slice s - 1's product guards the stage it overwrites). */
    if (slices > 0) {
        stage_slice(as, MWG, LDA_L, a, lda, !trans_a, m0, m, kbegin, kend, vec_a, tid);
        stage_slice(bs, NWG, LDB_L, b, ldb, trans_b, n0, n, kbegin, kend, vec_b, tid);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = 0; s < slices; s++) {
        int cur = s & 1;
        if (s + 1 < slices) {
            int k0 = kbegin + (s + 1) * KWG;
            stage_slice(as + (1 - cur) * A_TILE, MWG, LDA_L, a, lda, !trans_a, m0, m, k0, kend, vec_a, tid);
            stage_slice(bs + (1 - cur) * B_TILE, NWG, LDB_L, b, ldb, trans_b, n0, n, k0, kend, vec_b, tid);
        }
        multiply_slice(as + cur * A_TILE, bs + cur * B_TILE, tm, tn, acc);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#else
    for (int s = 0; s < slices; s++) {
        int k0 = kbegin + s * KWG;
        stage_slice(as, MWG, LDA_L, a, lda, !trans_a, m0, m, k0, kend, vec_a, tid);
        stage_slice(bs, NWG, LDB_L, b, ldb, trans_b, n0, n, k0, kend, vec_b, tid);
        barrier(CLK_LOCAL_MEM_FENCE);
        multiply_slice(as, bs, tm, tn, acc);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#endif
    store_tile(c + (size_t)chunk * chunk_stride, ldc, m, n, m0 + tm * MWI, n0 + tn * NWI, alpha, beta, vec_c, acc);
}

/* One kernel per transposition: NN, NT (B^T: linear forward, conv forward), TN (A^T: weight
 * and conv input gradients), TT. Local tiles declared as vectors so that VW-wide local
 * accesses are aligned. */
#define GEMM_GPU_KERNEL(name, trans_a, trans_b)                                                                \
    __kernel __attribute__((reqd_work_group_size(NDIMC, MDIMC, 1))) void name(                                \
        VIEW(const float, a), int lda, VIEW(const float, b), int ldb, VIEW(float, c), int ldc, int m, int n,   \
        int k, float alpha, float beta, int depth, int chunk_stride, int vec_a, int vec_b, int vec_c) {        \
        __local floatVW as[STAGES * A_TILE / VW], bs[STAGES * B_TILE / VW];                                     \
        gemm_gpu_body(VIEW_PTR(a), lda, VIEW_PTR(b), ldb, VIEW_PTR(c), ldc, m, n, k, alpha, beta, depth,       \
                      chunk_stride, vec_a, vec_b, vec_c, trans_a, trans_b, (__local float *)as,                 \
                      (__local float *)bs);                                                                     \
    }

GEMM_GPU_KERNEL(gemm_gpu_nn, 0, 0)
GEMM_GPU_KERNEL(gemm_gpu_nt, 0, 1)
GEMM_GPU_KERNEL(gemm_gpu_tn, 1, 0)
GEMM_GPU_KERNEL(gemm_gpu_tt, 1, 1)
