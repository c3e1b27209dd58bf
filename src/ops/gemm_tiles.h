/* gemm_tiles.h — the pieces of our GEMM (cl/gemm.cl) for ops that lay out operands
 * themselves: conv2d writes im2col columns straight into packed panels and reads and writes
 * NCHW tensors in place as "grouped" matrices. */
#ifndef BYOLCL_OPS_GEMM_TILES_H
#define BYOLCL_OPS_GEMM_TILES_H

#include "byolcl/ops.h"

/* Element (i, j) at (j / group) * group_stride + i * ld + (j % group) * step. A plain
 * row-major matrix is {v, ld, 1, BIG, 0}; its transpose swaps the roles of ld and step. */
typedef struct {
    View data;
    int ld, step;
    int group, group_stride;
} GemmLayout;

static inline GemmLayout gemm_layout_plain(View v, int ld) { return (GemmLayout){v, ld, 1, 1 << 30, 0}; }

/* Tile sizes from the device profile (GEMM_TILE_M / GEMM_TILE_N). */
int gemm_tile_m(const Device *device);
int gemm_tile_n(const Device *device);
/* Floats of a packed B for k x n. */
size_t gemm_packed_b_count(const Device *device, int k, int n);

/* Packs op(B) (k x n): b grouped with step 1, or with trans_b the plain b^T (b.ld = ldb). */
Status gemm_pack_b_into(Device *device, View packed, const GemmLayout *b, bool trans_b, int k,
                        int n);
/* C (m x n, grouped, step 1) = alpha * op(A) * packed B + beta * C; op(A)[i, p] is element
 * (i, p) of layout a. */
Status gemm_tiles(Device *device, int m, int n, int k, float alpha, const GemmLayout *a,
                  View packed_b, float beta, const GemmLayout *c);

/* Split-k, shared by our CPU and GPU kernels: the depth of a chunk for an m x n x k product
 * (k itself when the product is not split), and C = alpha * the sum of `chunks` plain m x n
 * partial products (m * n apart in `partial`) + beta * C. */
int gemm_split_chunk_depth(const Device *device, int m, int n, int k);
Status gemm_sum_chunks(Device *device, Buffer *partial, int chunks, int m, int n, float alpha, float beta,
                       const GemmLayout *c);

#endif
