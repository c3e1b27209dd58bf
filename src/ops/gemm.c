/* gemm.c — row-major SGEMM on the device: CLBlast or our register-tiled kernels (cl/gemm.cl),
 * chosen by the device profile's GEMM_PATH. */
#include "ops/gemm_tiles.h"

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

int gemm_tile_m(const Device *device) { return device_profile_get(device, "GEMM_TILE_M", 8); }
int gemm_tile_n(const Device *device) { return device_profile_get(device, "GEMM_TILE_N", 16); }

size_t gemm_packed_b_count(const Device *device, int k, int n) {
    int tile_n = gemm_tile_n(device);
    return (size_t)ceil_div(n, tile_n) * (size_t)tile_n * (size_t)k;
}

Status gemm_pack_b_into(Device *device, View packed, const GemmLayout *b, bool trans_b, int k,
                        int n) {
    Kernel *kernel;
    Status st = kernel_get(device, "gemm", "gemm_pack_b", &kernel);
    if (st != BC_OK) return st;
    enum { PACK_ROWS = 32 }; /* rows of a panel per work-item: its offsets divided out once */
    size_t items = (size_t)ceil_div(n, gemm_tile_n(device)) * (size_t)ceil_div(k, PACK_ROWS);
    return KERNEL_LAUNCH_1D(device, kernel, items, ARG_VIEW(packed), ARG_VIEW(b->data),
                            ARG_I(b->ld), ARG_I(b->group), ARG_I(b->group_stride), ARG_I(trans_b),
                            ARG_I(k), ARG_I(n), ARG_I(PACK_ROWS));
}

/* Work-group of the tile kernels: GEMM_WG_N panels (or panel groups) x GEMM_WG_M row tiles. */
static void tile_work_group(const Device *device, size_t local[2]) {
    local[0] = (size_t)device_profile_get(device, "GEMM_WG_N", 1);
    local[1] = (size_t)device_profile_get(device, "GEMM_WG_M", 2);
}

/* op(A) packed into row tiles (cl/gemm.cl gemm_pack_a) in scratch slot GEMM_PACKED_A_SLOT. */
static Status pack_a(Device *device, const GemmLayout *a, int m, int k, Buffer **packed) {
    int tile_m = gemm_tile_m(device);
    size_t items = (size_t)ceil_div(m, tile_m) * (size_t)k;
    Kernel *kernel;
    Status st = device_scratch(device, GEMM_PACKED_A_SLOT, items * (size_t)tile_m * sizeof(float), packed);
    if (st == BC_OK) st = kernel_get(device, "gemm", "gemm_pack_a", &kernel);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, kernel, items, ARG_VIEW_OF(*packed, 0), ARG_VIEW(a->data),
                            ARG_I(a->ld), ARG_I(a->step), ARG_I(a->group > 0 ? a->group : 1),
                            ARG_I(a->group_stride), ARG_I(m), ARG_I(k));
}

/* The packed-A kernels (CPU drivers: GEMM_PACK_A = 1): two panels per work-item, unless
 * that would recompute a lone odd panel in a product of few panels. */
static Status gemm_tiles_packed(Device *device, int m, int n, int k, float alpha,
                                const GemmLayout *a, View packed_b, float beta, const GemmLayout *c) {
    Buffer *packed_a = NULL;
    Kernel *kernel;
    Status st = k > 0 ? pack_a(device, a, m, k, &packed_a) : BC_OK;
    int panels = ceil_div(n, gemm_tile_n(device));
    int per_item = panels % 2 == 0 || panels >= 8 ? 2 : 1;
    if (st == BC_OK)
        st = kernel_get(device, "gemm", per_item == 2 ? "gemm_tile_packed2" : "gemm_tile_packed1", &kernel);
    if (st != BC_OK) return st;
    size_t local[2];
    tile_work_group(device, local);
    size_t global[2] = {(size_t)ceil_div(panels, per_item),
                        (size_t)ceil_div(m, gemm_tile_m(device))};
    /* With k == 0 the kernel reads neither A nor B: any valid buffer will do. */
    View av = k > 0 ? view_of(packed_a) : c->data, bv = k > 0 ? packed_b : c->data;
    return KERNEL_LAUNCH(device, kernel, 2, global, local, ARG_VIEW(av), ARG_VIEW(bv),
                         ARG_VIEW(c->data), ARG_I(c->ld), ARG_I(c->group), ARG_I(c->group_stride),
                         ARG_I(m), ARG_I(n), ARG_I(k), ARG_F(alpha), ARG_F(beta));
}

Status gemm_tiles(Device *device, int m, int n, int k, float alpha, const GemmLayout *a,
                  View packed_b, float beta, const GemmLayout *c) {
    /* Packing pays off when a tile of A feeds several panels; with one or two (a weight
     * gradient of few taps) it only adds a pass over a long A. */
    if (device_profile_get(device, "GEMM_PACK_A", 0) && ceil_div(n, gemm_tile_n(device)) > 2)
        return gemm_tiles_packed(device, m, n, k, alpha, a, packed_b, beta, c);
    Kernel *kernel;
    Status st = kernel_get(device, "gemm", "gemm_tile", &kernel);
    if (st != BC_OK) return st;
    size_t local[2];
    tile_work_group(device, local);
    size_t global[2] = {(size_t)ceil_div(n, gemm_tile_n(device)),
                        (size_t)ceil_div(m, gemm_tile_m(device))};
    /* With k == 0 the kernel reads neither A nor B: any valid buffer will do. */
    View av = k > 0 ? a->data : c->data, bv = k > 0 ? packed_b : c->data;
    return KERNEL_LAUNCH(device, kernel, 2, global, local, ARG_VIEW(av), ARG_I(a->ld),
                         ARG_I(a->step), ARG_I(a->group > 0 ? a->group : 1),
                         ARG_I(a->group_stride), ARG_VIEW(bv), ARG_VIEW(c->data), ARG_I(c->ld),
                         ARG_I(c->group), ARG_I(c->group_stride), ARG_I(m), ARG_I(n), ARG_I(k),
                         ARG_F(alpha), ARG_F(beta));
}

static Status gemm_ours(Device *device, bool trans_a, bool trans_b, int m, int n, int k,
                        float alpha, View a, int lda, View b, int ldb, float beta, View c,
                        int ldc) {
    Buffer *packed = NULL;
    if (k > 0) {
        Status st = device_scratch(device, GEMM_SCRATCH_SLOT,
                                   gemm_packed_b_count(device, k, n) * sizeof(float), &packed);
        if (st != BC_OK) return st;
        GemmLayout bl = gemm_layout_plain(b, ldb);
        st = gemm_pack_b_into(device, view_of(packed), &bl, trans_b, k, n);
        if (st != BC_OK) return st;
    }
    GemmLayout al = trans_a ? (GemmLayout){a, 1, lda, 1 << 30, 0} : gemm_layout_plain(a, lda);
    GemmLayout cl = gemm_layout_plain(c, ldc);
    return gemm_tiles(device, m, n, k, alpha, &al, packed ? view_of(packed) : c, beta, &cl);
}

static Status check_args(int m, int n, int k, View a, int lda, View b, int ldb, View c, int ldc,
                         bool trans_a, bool trans_b) {
    if (m < 0 || n < 0 || k < 0)
        return error_set(BC_ERR_USAGE, "gemm: negative size m=%d n=%d k=%d", m, n, k);
    if (!c.buffer || (k > 0 && (!a.buffer || !b.buffer)))
        return error_set(BC_ERR_USAGE, "gemm: a matrix is missing (VIEW_NONE)");
    int a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
    if (ldc < (n > 1 ? n : 1) || lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1))
        return error_set(BC_ERR_USAGE,
                         "gemm: leading dimension too small (lda=%d ldb=%d ldc=%d for m=%d n=%d "
                         "k=%d)",
                         lda, ldb, ldc, m, n, k);
    return BC_OK;
}

Status gemm_with_path(Device *device, GemmPath path, bool trans_a, bool trans_b, int m, int n,
                      int k, float alpha, View a, int lda, View b, int ldb, float beta, View c,
                      int ldc) {
    Status st = check_args(m, n, k, a, lda, b, ldb, c, ldc, trans_a, trans_b);
    if (st != BC_OK) return st;
    if (m == 0 || n == 0) return BC_OK;
    switch (path) {
    case GEMM_PATH_OURS:
        return gemm_ours(device, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    case GEMM_PATH_CLBLAST:
        /* C = beta * C is all k == 0 asks for, and CLBlast may reject the empty product. */
        if (k == 0)
            return gemm_ours(device, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return device_gemm_clblast(device, trans_a, trans_b, (size_t)m, (size_t)n, (size_t)k,
                                   alpha, a.buffer, a.offset, (size_t)lda, b.buffer, b.offset,
                                   (size_t)ldb, beta, c.buffer, c.offset, (size_t)ldc);
    }
    return error_set(BC_ERR_USAGE, "gemm: unknown path %d", (int)path);
}

Status gemm(Device *device, bool trans_a, bool trans_b, int m, int n, int k, float alpha, View a,
            int lda, View b, int ldb, float beta, View c, int ldc) {
    GemmPath path = device_profile_get(device, "GEMM_PATH", GEMM_PATH_OURS) == GEMM_PATH_CLBLAST
                        ? GEMM_PATH_CLBLAST
                        : GEMM_PATH_OURS;
    return gemm_with_path(device, path, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                          ldc);
}
