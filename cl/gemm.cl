/* gemm.cl — our SGEMM for CPU drivers (PoCL): each work-item owns a TILE_M x TILE_N block
 * of C in registers (one TILE_N-wide float vector per row) and walks the whole depth with
 * vector FMAs from a packed B: no local memory and no barriers, which PoCL would turn into
 * real memory traffic. Packed B holds column panels of TILE_N floats per depth row, zero
 * past the last column, so every load is a full vector (conv2d writes its im2col columns
 * straight into this layout).
 *
 * "Grouped" matrices let conv2d use NCHW tensors in place: element (i, j) of a grouped
 * matrix sits at (j / group) * group_stride + i * ld + j % group (j runs over images x
 * pixels, group = pixels per image). A plain matrix is one group. */
#define TM BC_GEMM_TILE_M
#define TN BC_GEMM_TILE_N
#define floatTN BC_CAT(float, TN)
#define vloadTN BC_CAT(vload, TN)
#define vstoreTN BC_CAT(vstore, TN)
#define storeTN BC_CAT(store_u, TN)

/* Offset of column j of a grouped matrix, row 0. Written without %: LLVM pairs % with /
 * through a freeze instruction, which oclgrind's uninitialized-value checker cannot handle. */
inline size_t grouped_column(int j, int group, int group_stride) {
    int g = j / group;
    return (size_t)g * group_stride + (size_t)(j - g * group);
}

/* Where op(B)'s TN-wide panel from column j0 lies. B is grouped (see above, ld = ldb) or,
 * with trans_b, B^T is plain: op(B)[p, j] = b[j * ldb + p]. Returns the panel's row-0
 * pointer when its TN columns are contiguous (every row one vector load); otherwise NULL,
 * with each lane's column offset at row 0 in col (-1 past n) and the step to the next row
 * in *row_step. The divisions are paid once per panel, not per row. */
inline const __global float *gemm_b_panel(const __global float *bp, int ldb, int group, int group_stride,
                                          int trans_b, int j0, int n, long *col, size_t *row_step) {
    *row_step = trans_b ? 1 : (size_t)ldb;
    if (!trans_b && j0 + TN <= n && j0 / group == (j0 + TN - 1) / group)
        return bp + grouped_column(j0, group, group_stride);
    for (int c = 0; c < TN; c++) {
        int j = j0 + c;
        col[c] = j >= n ? -1 : trans_b ? (long)j * ldb : (long)grouped_column(j, group, group_stride);
    }
    return 0;
}

/* Row p of the panel found by gemm_b_panel, zero past n. */
inline floatTN gemm_b_panel_row(const __global float *bp, const __global float *whole, const long *col,
                                size_t row_step, int p) {
    if (whole) return vloadTN(0, whole + (size_t)p * row_step);
    float v[TN];
    for (int c = 0; c < TN; c++) {
        float x = bp[col[c] >= 0 ? (size_t)col[c] + (size_t)p * row_step : 0];
        v[c] = col[c] >= 0 ? x : 0.0f;
    }
    return vloadTN(0, v);
}

/* Packs op(B) (k x n) into ceil(n / TN) panels of k rows of TN floats (layout as in
 * gemm_b_panel). One work-item per (panel, `rows` rows). */
__kernel void gemm_pack_b(VIEW(float, packed), VIEW(const float, b), int ldb, int group,
                          int group_stride, int trans_b, int k, int n, int rows) {
    int idx = get_global_id(0);
    int chunks = (k + rows - 1) / rows;
    int panels = (n + TN - 1) / TN;
    if (idx >= panels * chunks) return;
    int panel = idx / chunks, chunk = idx - panel * chunks;
    int p0 = chunk * rows, p1 = min(k, p0 + rows);
    const __global float *bp = VIEW_PTR(b);
    long col[TN];
    size_t row_step;
    const __global float *whole = gemm_b_panel(bp, ldb, group, group_stride, trans_b, panel * TN, n, col, &row_step);
    __global float *out = VIEW_PTR(packed) + ((size_t)panel * k + p0) * TN;
    for (int p = p0; p < p1; p++, out += TN) storeTN(gemm_b_panel_row(bp, whole, col, row_step, p), out);
}

/* Packs op(A) (m x k) into ceil(m / TM) tiles of k depth steps of TM floats: tile t, depth p,
 * row r at (t * k + p) * TM + r, rows past m zero. The tile kernel then broadcasts A from
 * one pointer with constant offsets instead of TM row pointers (registers a CPU lacks).
 * op(A)[i, p] = a[(p / a_group) * a_group_stride + i * a_row + (p % a_group) * a_depth]
 * covers A, A^T and NCHW gradients. One work-item per (tile, p): neighbours in p read
 * neighbouring addresses of every row. */
__kernel void gemm_pack_a(VIEW(float, packed), VIEW(const float, a), int a_row, int a_depth,
                          int a_group, int a_group_stride, int m, int k) {
    int idx = get_global_id(0);
    int tiles = (m + TM - 1) / TM;
    if (idx >= tiles * k) return;
    int tile = idx / k, p = idx - tile * k;
    int g = p / a_group;
    const __global float *src =
        VIEW_PTR(a) + (size_t)g * a_group_stride + (size_t)(p - g * a_group) * a_depth;
    __global float *out = VIEW_PTR(packed) + (size_t)idx * TM;
    int i0 = tile * TM;
#pragma unroll
    for (int r = 0; r < TM; r++) out[r] = i0 + r < m ? src[(size_t)(i0 + r) * a_row] : 0.0f;
}

/* Where row 0 of C's TN-wide panel from column j0 starts, when the whole panel lies in one
 * group (contiguous in every row); NULL for a panel cut by n or by a group boundary. Found
 * once per panel: the divisions cost as much as a short depth's FMAs if paid per row. */
inline __global float *gemm_whole_panel(__global float *c, int c_group, int c_group_stride,
                                        int j0, int n) {
    if (j0 + TN > n || j0 / c_group != (j0 + TN - 1) / c_group) return 0;
    return c + grouped_column(j0, c_group, c_group_stride);
}

/* Writes row i of one TN-wide block of C (panel from column j0, `whole` as returned by
 * gemm_whole_panel): alpha * acc + beta * C. beta == 0 never reads C, so garbage (NaN)
 * there does not leak into the result. */
inline void gemm_store_row(__global float *c, __global float *whole, int ldc, int c_group,
                           int c_group_stride, int i, int j0, int n, floatTN acc, float alpha,
                           float beta) {
    if (whole) {
        __global float *crow = whole + (size_t)i * ldc;
        floatTN v = alpha * acc;
        if (beta != 0.0f) v += beta * vloadTN(0, crow);
        storeTN(v, crow);
        return;
    }
    float out[TN];
    vstoreTN(alpha * acc, 0, out);
    for (int cc = 0; cc < TN && j0 + cc < n; cc++) {
        __global float *x = c + grouped_column(j0 + cc, c_group, c_group_stride) + (size_t)i * ldc;
        *x = beta != 0.0f ? out[cc] + beta * *x : out[cc];
    }
}

/* Stores the NP x TM accumulators of the work-item that owns row tile `tile` and panels
 * panel0.. (of `panels`): panels past the last and rows past m are not written. */
#define GEMM_STORE_TILE(NP)                                                                   \
    _Pragma("unroll") for (int q = 0; q < NP; q++) {                                          \
        if (panel0 + q >= panels) break;                                                      \
        int j0 = (panel0 + q) * TN;                                                           \
        __global float *whole = gemm_whole_panel(cp, c_group, c_group_stride, j0, n);         \
        _Pragma("unroll") for (int r = 0; r < TM; r++) {                                      \
            if (tile * TM + r >= m) break;                                                    \
            gemm_store_row(cp, whole, ldc, c_group, c_group_stride, tile * TM + r, j0, n,     \
                           acc[q][r], alpha, beta);                                           \
        }                                                                                     \
    }

/* One depth step of every tile kernel: row r's value of A (A_AT(r)) broadcast against the
 * NP vectors of B in bv, into the NP x TM accumulators. */
#define GEMM_FMA_STEP(NP, A_AT)                                                               \
    _Pragma("unroll") for (int r = 0; r < TM; r++) {                                          \
        floatTN av = (floatTN)(A_AT(r));                                                      \
        _Pragma("unroll") for (int q = 0; q < NP; q++) acc[q][r] = fma(av, bv[q], acc[q][r]); \
    }
#define GEMM_A_IN_PLACE(r) arow[r][ao]
#define GEMM_A_PACKED(r) ap[r]

/* C = alpha * op(A) * B + beta * C for the TM x (NP x TN) block of work-item (x, y): row
 * tile y, panels from x * NP (a missing last panel recomputes the one before it and is not
 * stored). op(A)[i, p] as in gemm_pack_a, read in place: TM row pointers, each broadcast
 * feeding NP vector FMAs. Rows past m read row m-1 (valid memory) and are not written. C
 * is grouped (ldc, c_group, c_group_stride). Depth chunks (split-k) as in
 * gemm_tile_packed below. */
#define GEMM_TILE(NP)                                                                         \
    __kernel void gemm_tile##NP(VIEW(const float, a), int a_row, int a_depth, int a_group,    \
                                int a_group_stride, VIEW(const float, b), VIEW(float, c),     \
                                int ldc, int c_group, int c_group_stride, int m, int n, int k, \
                                float alpha, float beta, int chunk_depth, int chunk_stride) { \
        int panels = (n + TN - 1) / TN;                                                       \
        int panel0 = get_global_id(0) * NP, tile = get_global_id(1), i0 = tile * TM;          \
        int p_begin = get_global_id(2) * chunk_depth, p_end = min(k, p_begin + chunk_depth);  \
        if (panel0 >= panels || i0 >= m || p_begin >= max(k, 1)) return;                      \
        __global float *cp = VIEW_PTR(c) + get_global_id(2) * chunk_stride;                   \
        const __global float *ap = VIEW_PTR(a);                                               \
        const __global float *bp[NP];                                                         \
        const __global float *arow[TM];                                                       \
        floatTN acc[NP][TM];                                                                  \
        _Pragma("unroll") for (int r = 0; r < TM; r++)                                        \
            arow[r] = ap + (size_t)min(i0 + r, m - 1) * a_row;                                \
        _Pragma("unroll") for (int q = 0; q < NP; q++) {                                      \
            bp[q] = VIEW_PTR(b) + (size_t)min(panel0 + q, panels - 1) * k * TN;               \
            _Pragma("unroll") for (int r = 0; r < TM; r++) acc[q][r] = (floatTN)(0.0f);       \
        }                                                                                     \
        /* The chunk's depth by runs within one group of A (contiguous in every row). */      \
        for (int p0 = p_begin, len; p0 < p_end; p0 += len) {                                  \
            int g = p0 / a_group;                                                             \
            len = min(p_end - p0, (g + 1) * a_group - p0);                                    \
            size_t group_base = (size_t)g * a_group_stride + (size_t)(p0 - g * a_group) * a_depth; \
            for (int p = 0; p < len; p++) {                                                   \
                floatTN bv[NP];                                                               \
                _Pragma("unroll") for (int q = 0; q < NP; q++) bv[q] = vloadTN(p0 + p, bp[q]); \
                size_t ao = group_base + (size_t)p * a_depth;                                 \
                GEMM_FMA_STEP(NP, GEMM_A_IN_PLACE)                                            \
            }                                                                                 \
        }                                                                                     \
        GEMM_STORE_TILE(NP)                                                                   \
    }

GEMM_TILE(1)
GEMM_TILE(2)

/* The same product from a packed A (gemm_pack_a): work-item (x, y) owns row tile y and the
 * NP neighbouring panels from x * NP, so each broadcast of A feeds NP vector FMAs (2 x 8
 * rows = 16 accumulators fill half of AVX-512's registers and hide the FMA latency that 8
 * alone do not). gemm_tile_packed1 serves products with one or few panels, where a second
 * panel would only recompute the first.
 * Work-item z walks depth chunk z ([z * chunk_depth, +chunk_depth)) and writes its block
 * chunk_stride floats further on: split-k for long depths whose few outputs would leave
 * each work-item streaming MBs of A and B with no reuse (gemm_sum_chunks adds the chunks). */
#define GEMM_TILE_PACKED(NP)                                                                  \
    __kernel void gemm_tile_packed##NP(VIEW(const float, a), VIEW(const float, b),           \
                                       VIEW(float, c), int ldc, int c_group,                  \
                                       int c_group_stride, int m, int n, int k, float alpha,  \
                                       float beta, int chunk_depth, int chunk_stride) {       \
        int panels = (n + TN - 1) / TN;                                                       \
        int panel0 = get_global_id(0) * NP, tile = get_global_id(1);                          \
        int p0 = get_global_id(2) * chunk_depth, depth = min(k - p0, chunk_depth);            \
        if (panel0 >= panels || tile * TM >= m || p0 >= max(k, 1)) return;                    \
        __global float *cp = VIEW_PTR(c) + get_global_id(2) * chunk_stride;                   \
        const __global float *ap = VIEW_PTR(a) + ((size_t)tile * k + p0) * TM;                \
        const __global float *bp[NP];                                                         \
        floatTN acc[NP][TM];                                                                  \
        _Pragma("unroll") for (int q = 0; q < NP; q++) {                                      \
            /* A missing last panel recomputes the one before it and is not stored. */        \
            bp[q] = VIEW_PTR(b) + ((size_t)min(panel0 + q, panels - 1) * k + p0) * TN;        \
            _Pragma("unroll") for (int r = 0; r < TM; r++) acc[q][r] = (floatTN)(0.0f);       \
        }                                                                                     \
        for (int p = 0; p < depth; p++, ap += TM) {                                           \
            floatTN bv[NP];                                                                   \
            _Pragma("unroll") for (int q = 0; q < NP; q++) bv[q] = vloadTN(p, bp[q]);         \
            GEMM_FMA_STEP(NP, GEMM_A_PACKED)                                                  \
        }                                                                                     \
        GEMM_STORE_TILE(NP)                                                                   \
    }

GEMM_TILE_PACKED(1)
GEMM_TILE_PACKED(2)

/* C = alpha * op(A) * op(B) + beta * C from a packed A (gemm_pack_a) and op(B) read where
 * it lies (grouped, not transposed). A work-item (a work-group of one) copies its NP
 * panels of B over the whole depth into its local memory, then walks every row tile of A
 * against them: each panel is read from memory once and reused from L1/L2 by all row
 * tiles, where packing all of B beforehand wrote it out and read it back through memory
 * (OpenBLAS packs B in cache-sized pieces the same way). A missing last panel recomputes
 * the one before it and is not stored. */
#define GEMM_TILE_LOCAL_B(NP)                                                                 \
    __kernel void gemm_tile_local_b##NP(VIEW(const float, a), VIEW(const float, b), int ldb,  \
                                        int b_group, int b_group_stride, VIEW(float, c),      \
                                        int ldc, int c_group, int c_group_stride, int m,      \
                                        int n, int k, float alpha, float beta,                \
                                        __local floatTN *panel) {                             \
        int panels = (n + TN - 1) / TN;                                                       \
        int panel0 = get_global_id(0) * NP;                                                   \
        if (panel0 >= panels) return;                                                         \
        const __global float *bp = VIEW_PTR(b);                                               \
        for (int q = 0; q < NP; q++) {                                                        \
            long col[TN];                                                                     \
            size_t row_step;                                                                  \
            const __global float *whole = gemm_b_panel(bp, ldb, b_group, b_group_stride, 0,   \
                                                       min(panel0 + q, panels - 1) * TN, n,   \
                                                       col, &row_step);                       \
            for (int p = 0; p < k; p++)                                                       \
                panel[(size_t)q * k + p] = gemm_b_panel_row(bp, whole, col, row_step, p);     \
        }                                                                                     \
        __global float *cp = VIEW_PTR(c);                                                     \
        for (int tile = 0; tile * TM < m; tile++) {                                           \
            const __global float *ap = VIEW_PTR(a) + (size_t)tile * k * TM;                   \
            floatTN acc[NP][TM];                                                              \
            _Pragma("unroll") for (int q = 0; q < NP; q++)                                    \
                _Pragma("unroll") for (int r = 0; r < TM; r++) acc[q][r] = (floatTN)(0.0f);   \
            for (int p = 0; p < k; p++, ap += TM) {                                           \
                floatTN bv[NP];                                                               \
                _Pragma("unroll") for (int q = 0; q < NP; q++) bv[q] = panel[(size_t)q * k + p]; \
                GEMM_FMA_STEP(NP, GEMM_A_PACKED)                                              \
            }                                                                                 \
            GEMM_STORE_TILE(NP)                                                               \
        }                                                                                     \
    }

GEMM_TILE_LOCAL_B(1)
GEMM_TILE_LOCAL_B(2)

/* C = alpha * (sum of `chunks` plain m x n partial products, chunk_stride apart) + beta * C,
 * C grouped: the second pass of split-k, one work-item per element of C. */
__kernel void gemm_sum_chunks(VIEW(const float, partial), int chunks, int chunk_stride,
                              VIEW(float, c), int ldc, int c_group, int c_group_stride, int m,
                              int n, float alpha, float beta) {
    int idx = get_global_id(0);
    if (idx >= m * n) return;
    int i = idx / n, j = idx - i * n;
    const __global float *src = VIEW_PTR(partial) + idx;
    float sum = 0.0f;
    for (int z = 0; z < chunks; z++) sum += src[(size_t)z * chunk_stride];
    __global float *x = VIEW_PTR(c) + grouped_column(j, c_group, c_group_stride) + (size_t)i * ldc;
    *x = beta != 0.0f ? alpha * sum + beta * *x : alpha * sum;
}
