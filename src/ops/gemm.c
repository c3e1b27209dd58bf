/* gemm.c — row-major SGEMM on the device: CLBlast or ours, chosen by the device profile's
 * GEMM_PATH; ours are the register-tiled CPU kernels (cl/gemm.cl) or, with GEMM_GPU, the
 * local-memory tiled GPU kernels (gemm_gpu.c). Each splits long depths (GEMM_SPLIT_K). */
#include <limits.h>
#include <stdio.h>

#include "ops/gemm_gpu.h"
#include "ops/gemm_tiles.h"
#include "ops/scratch.h"
#include "util/int_math.h"

int gemm_tile_m(const Device *device) { return device_profile_get(device, "GEMM_TILE_M"); }
int gemm_tile_n(const Device *device) { return device_profile_get(device, "GEMM_TILE_N"); }

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
static void tile_work_group(const Device *device, size_t local[3]) {
    local[0] = (size_t)device_profile_get(device, "GEMM_WG_N");
    local[1] = (size_t)device_profile_get(device, "GEMM_WG_M");
}

/* op(A) packed into row tiles (cl/gemm.cl gemm_pack_a) in scratch slot SCRATCH_GEMM_PACKED_A. */
static Status pack_a(Device *device, const GemmLayout *a, int m, int k, Buffer **packed) {
    int tile_m = gemm_tile_m(device);
    size_t items = (size_t)ceil_div(m, tile_m) * (size_t)k;
    Kernel *kernel;
    Status st = scratch_get(device, SCRATCH_GEMM_PACKED_A, items * (size_t)tile_m * sizeof(float), packed);
    if (st == BC_OK) st = kernel_get(device, "gemm", "gemm_pack_a", &kernel);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, kernel, items, ARG_VIEW_OF(*packed, 0), ARG_VIEW(a->data),
                            ARG_I(a->ld), ARG_I(a->step), ARG_I(a->group > 0 ? a->group : 1),
                            ARG_I(a->group_stride), ARG_I(m), ARG_I(k));
}

/* Panels per work-item of the tile kernels: two (each broadcast of A feeds two vector FMAs)
 * up to `most`, unless that would recompute a lone odd panel in a product of few panels. */
static int panels_per_item(int panels, int most) {
    return most >= 2 && (panels % 2 == 0 || panels >= 8) ? 2 : 1;
}

/* Depth per work-item: the whole k, or GEMM_SPLIT_K (split-k) for a depth long next to the
 * output's sides (weight gradients: k = pixels of the batch), where few work-items would
 * each stream MBs of A and B from memory with no reuse between them. Each chunk adds an
 * m x n partial product to write and read back: cheap next to its depth x m x n FMAs only
 * while the output is small, hence the ratio. */
int gemm_split_chunk_depth(const Device *device, int m, int n, int k) {
    int depth = device_profile_get(device, "GEMM_SPLIT_K");
    int ratio = device_profile_get(device, "GEMM_SPLIT_RATIO");
    size_t partial_floats = (size_t)m * (size_t)n * (size_t)ceil_div(k, depth > 0 ? depth : 1);
    if (depth <= 0 || k < 2 * depth || k < ratio * (m > n ? m : n) || partial_floats > INT_MAX) return k;
    return depth;
}

/* C = alpha * sum of the chunks' partial products (plain m x n, m * n apart) + beta * C. */
Status gemm_sum_chunks(Device *device, Buffer *partial, int chunks, int m, int n, float alpha,
                       float beta, const GemmLayout *c) {
    Kernel *kernel;
    Status st = kernel_get(device, "gemm", "gemm_sum_chunks", &kernel);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, kernel, (size_t)m * (size_t)n, ARG_VIEW_OF(partial, 0),
                            ARG_I(chunks), ARG_I(m * n), ARG_VIEW(c->data), ARG_I(c->ld),
                            ARG_I(c->group), ARG_I(c->group_stride), ARG_I(m), ARG_I(n),
                            ARG_F(alpha), ARG_F(beta));
}

/* One tile kernel's launch: how it reads A (packed, or in place through a layout) and
 * which kernel of the family. */
typedef struct {
    const char *name;
    KernelArg a[5];
    int a_args;
    int panels_per_item;
} TileKernel;

/* The packed-A kernels (CPU drivers: GEMM_PACK_A = 1), for products of several panels. */
static Status packed_a_kernel(Device *device, const GemmLayout *a, int m, int k, int panels,
                              TileKernel *out) {
    Buffer *packed = NULL;
    Status st = k > 0 ? pack_a(device, a, m, k, &packed) : BC_OK;
    out->panels_per_item = panels_per_item(panels, 2);
    out->name = out->panels_per_item == 2 ? "gemm_tile_packed2" : "gemm_tile_packed1";
    out->a[0] = packed ? ARG_VIEW_OF(packed, 0) : ARG_VIEW(a->data);
    out->a_args = 1;
    return st;
}

/* The in-place kernels: GEMM_TILE_NP panels per work-item at most. */
static void in_place_a_kernel(const Device *device, const GemmLayout *a, int panels,
                              TileKernel *out) {
    out->panels_per_item = panels_per_item(panels, device_profile_get(device, "GEMM_TILE_NP"));
    out->name = out->panels_per_item == 2 ? "gemm_tile2" : "gemm_tile1";
    out->a[0] = ARG_VIEW(a->data);
    out->a[1] = ARG_I(a->ld);
    out->a[2] = ARG_I(a->step);
    out->a[3] = ARG_I(a->group > 0 ? a->group : 1);
    out->a[4] = ARG_I(a->group_stride);
    out->a_args = 5;
}

/* Launches `t` over (panel groups, row tiles, depth chunks) into `out`; `chunk_stride`
 * floats between the chunks' outputs. */
static Status launch_tiles(Device *device, const TileKernel *t, int m, int n, int k, View b,
                           const GemmLayout *out, float alpha, float beta, int depth,
                           int chunk_stride) {
    Kernel *kernel;
    Status st = kernel_get(device, "gemm", t->name, &kernel);
    if (st != BC_OK) return st;
    KernelArg args[24];
    int count = 0;
    for (int i = 0; i < t->a_args; i++) args[count++] = t->a[i];
    const KernelArg rest[] = {ARG_VIEW(b), ARG_VIEW(out->data), ARG_I(out->ld), ARG_I(out->group),
                              ARG_I(out->group_stride), ARG_I(m), ARG_I(n), ARG_I(k), ARG_F(alpha),
                              ARG_F(beta), ARG_I(depth), ARG_I(chunk_stride)};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) args[count++] = rest[i];
    size_t local[3] = {0, 0, 1};
    tile_work_group(device, local);
    size_t global[3] = {(size_t)ceil_div(ceil_div(n, gemm_tile_n(device)), t->panels_per_item),
                        (size_t)ceil_div(m, gemm_tile_m(device)), (size_t)ceil_div(k > 0 ? k : 1, depth)};
    return kernel_launch(device, kernel, 3, global, local, args, count);
}

/* Whether the tile kernels read a packed A for a B of `panels` panels (GEMM_PACK_A). */
static bool packs_a(const Device *device, int panels) {
    return device_profile_get(device, "GEMM_PACK_A") &&
           panels >= device_profile_get(device, "GEMM_PACK_A_MIN_PANELS");
}

Status gemm_tiles(Device *device, int m, int n, int k, float alpha, const GemmLayout *a,
                  View packed_b, float beta, const GemmLayout *c) {
    /* With k == 0 the kernels read neither A nor B: any valid buffer will do. */
    GemmLayout a_or_c = *a;
    if (k == 0) a_or_c.data = c->data;
    View b = k > 0 ? packed_b : c->data;
    /* Packing pays off when a tile of A feeds many panels; with few (a weight gradient of
     * few taps, or one swapped to stream the patches in place) it only adds a round trip
     * of a long A through memory. */
    int panels = ceil_div(n, gemm_tile_n(device));
    TileKernel t;
    Status st = BC_OK;
    if (packs_a(device, panels))
        st = packed_a_kernel(device, &a_or_c, m, k, panels, &t);
    else
        in_place_a_kernel(device, &a_or_c, panels, &t);
    if (st != BC_OK) return st;
    int depth = gemm_split_chunk_depth(device, m, n, k);
    if (depth >= k) return launch_tiles(device, &t, m, n, k, b, c, alpha, beta, k > 0 ? k : 1, 0);
    Buffer *partial;
    int chunks = ceil_div(k, depth);
    st = scratch_get(device, SCRATCH_GEMM_PARTIAL, (size_t)chunks * m * n * sizeof(float), &partial);
    GemmLayout partials = gemm_layout_plain(view_of(partial), n);
    if (st == BC_OK) st = launch_tiles(device, &t, m, n, k, b, &partials, 1.0f, 0.0f, depth, m * n);
    if (st == BC_OK) st = gemm_sum_chunks(device, partial, chunks, m, n, alpha, beta, c);
    return st;
}

/* op(B) read in place by gemm_tile_local_b (GEMM_LOCAL_B, CPU drivers): each work-item
 * copies its panels of B into local memory and walks all of A's row tiles against them.
 * For B not transposed (its rows are contiguous), panels of at most GEMM_LOCAL_B_KB, no
 * split-k, and at least GEMM_LOCAL_B_MIN_ITEMS panel groups to share among the compute
 * units. Only up to GEMM_LOCAL_B_MAX_M rows: packing B costs most next to few FMAs per
 * element of B (2m), and a work-item's strip of C spans m rows a whole row of C apart
 * (m144-1152 input gradients ran 0.5-0.8x as fast this way). The panels per work-item (1
 * or 2) go to *np, the local bytes to *bytes. */
static bool local_b_applies(const Device *device, bool trans_b, int m, int n, int k, int *np, size_t *bytes) {
    if (trans_b || k <= 0 || !device_profile_get(device, "GEMM_LOCAL_B")) return false;
    if (m > device_profile_get(device, "GEMM_LOCAL_B_MAX_M")) return false;
    if (gemm_split_chunk_depth(device, m, n, k) < k) return false;
    int tile_n = gemm_tile_n(device), panels = ceil_div(n, tile_n);
    *np = panels_per_item(panels, 2);
    *bytes = (size_t)*np * (size_t)tile_n * (size_t)k * sizeof(float);
    size_t limit = (size_t)device_profile_get(device, "GEMM_LOCAL_B_KB") * 1024;
    size_t local_mem = device_info(device)->local_mem_bytes;
    if (local_mem && local_mem < limit) limit = local_mem;
    return *bytes <= limit && ceil_div(panels, *np) >= device_profile_get(device, "GEMM_LOCAL_B_MIN_ITEMS");
}

static Status gemm_local_b(Device *device, int np, size_t bytes, int m, int n, int k, float alpha,
                           const GemmLayout *a, const GemmLayout *b, float beta, const GemmLayout *c) {
    Buffer *packed_a;
    Kernel *kernel;
    Status st = pack_a(device, a, m, k, &packed_a);
    if (st == BC_OK) st = kernel_get(device, "gemm", np == 2 ? "gemm_tile_local_b2" : "gemm_tile_local_b1", &kernel);
    if (st != BC_OK) return st;
    size_t global[1] = {(size_t)ceil_div(ceil_div(n, gemm_tile_n(device)), np)}, local[1] = {1};
    KernelArg args[] = {ARG_VIEW_OF(packed_a, 0), ARG_VIEW(b->data), ARG_I(b->ld), ARG_I(b->group),
                        ARG_I(b->group_stride), ARG_VIEW(c->data), ARG_I(c->ld), ARG_I(c->group),
                        ARG_I(c->group_stride), ARG_I(m), ARG_I(n), ARG_I(k), ARG_F(alpha), ARG_F(beta),
                        ARG_LOCAL_BYTES(bytes)};
    return kernel_launch(device, kernel, 1, global, local, args, (int)(sizeof args / sizeof *args));
}

/* The route gemm_ours takes, decided in one place so that the bench's description of it
 * (gemm_route_text) cannot drift from what runs. */
typedef struct {
    bool swapped;       /* A * B^T as (B * A^T)^T: m and n below are exchanged */
    int m, n;           /* the product's sides as computed */
    bool local_b;       /* gemm_tile_local_b; otherwise B is packed and gemm_tiles runs */
    int np;             /* with local_b: panels per work-item */
    size_t local_bytes; /* with local_b: local memory per work-item */
} GemmRoute;

static GemmRoute gemm_route(const Device *device, bool trans_a, bool trans_b, int m, int n, int k) {
    /* A * B^T with m < n as (B * A^T)^T (GEMM_NT_SWAP): packing the small A^T instead of the
     * large B^T saves writing and reading back all of B, which the in-place kernels then
     * stream once (weight gradients: B = patches, k = pixels of the batch). */
    GemmRoute r = {.m = m, .n = n};
    r.swapped = !trans_a && trans_b && m < n && device_profile_get(device, "GEMM_NT_SWAP");
    if (r.swapped) r.m = n, r.n = m;
    /* Swapped, op(B) is A^T, read transposed as B was (the swap needs trans_b). */
    r.local_b = local_b_applies(device, trans_b, r.m, r.n, k, &r.np, &r.local_bytes);
    return r;
}

/* C = alpha * op(A) * op(B) + beta * C along `route`: op(B) read in place by the local-B
 * kernel, or packed into scratch first (b plain, or b^T with trans_b) for gemm_tiles. */
static Status multiply_along(Device *device, const GemmRoute *route, int k, float alpha, const GemmLayout *a,
                             const GemmLayout *b, bool trans_b, float beta, const GemmLayout *c) {
    int m = route->m, n = route->n;
    if (route->local_b) return gemm_local_b(device, route->np, route->local_bytes, m, n, k, alpha, a, b, beta, c);
    Buffer *packed = NULL;
    if (k > 0) {
        Status st = scratch_get(device, SCRATCH_GEMM_PACKED_B,
                                gemm_packed_b_count(device, k, n) * sizeof(float), &packed);
        if (st == BC_OK) st = gemm_pack_b_into(device, view_of(packed), b, trans_b, k, n);
        if (st != BC_OK) return st;
    }
    Status st;
    SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_GEMM_PACKED_B),
                    st = gemm_tiles(device, m, n, k, alpha, a, packed ? view_of(packed) : c->data, beta, c));
    return st;
}

static Status gemm_ours(Device *device, bool trans_a, bool trans_b, int m, int n, int k,
                        float alpha, View a, int lda, View b, int ldb, float beta, View c,
                        int ldc) {
    GemmLayout al = trans_a ? (GemmLayout){a, 1, lda, 1 << 30, 0} : gemm_layout_plain(a, lda);
    GemmLayout bl = gemm_layout_plain(b, ldb), cl = gemm_layout_plain(c, ldc);
    GemmRoute route = gemm_route(device, trans_a, trans_b, m, n, k);
    if (route.swapped) {
        /* C^T is C with rows and columns swapped: column i of C^T is group i of one
         * element, ldc apart. */
        GemmLayout ct = {c, 1, 1, 1, ldc};
        return multiply_along(device, &route, k, alpha, &bl, &al, true, beta, &ct);
    }
    return multiply_along(device, &route, k, alpha, &al, &bl, trans_b, beta, &cl);
}

void gemm_route_text(const Device *device, bool trans_a, bool trans_b, int m, int n, int k, char *out, size_t cap) {
    if (gemm_gpu_enabled(device)) {
        GemmGpuParams p = gemm_gpu_params(device);
        snprintf(out, cap, "GPU tiles %dx%dx%d%s", p.mwg, p.nwg, p.kwg,
                 gemm_split_chunk_depth(device, m, n, k) < k ? ", split-k" : "");
        return;
    }
    GemmRoute r = gemm_route(device, trans_a, trans_b, m, n, k);
    const char *how = r.local_b ? "local-B" : packs_a(device, ceil_div(r.n, gemm_tile_n(device))) ? "packed-A" : "A in place";
    snprintf(out, cap, "%s%s%s", how, r.swapped ? ", swapped" : "", gemm_split_chunk_depth(device, r.m, r.n, k) < k ? ", split-k" : "");
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

/* CLBlast with split-k: its GEMMs parallelize over the output only, so a weight gradient
 * (m x n of a few thousand, k = pixels of the batch) ran on a handful of a GPU's cores:
 * 8.5 ms for 16 x 9 x 200704 on an H200. The depth is cut into chunks computed as one
 * strided batch (the remainder as one more product) into partial products that
 * gemm_sum_chunks adds into C. */
static Status clblast_split_k(Device *device, bool trans_a, bool trans_b, int m, int n, int k, int depth,
                              float alpha, View a, int lda, View b, int ldb, float beta, View c, int ldc) {
    int full = k / depth, rest = k % depth, chunks = full + (rest > 0);
    size_t mn = (size_t)m * (size_t)n;
    size_t a_stride = trans_a ? (size_t)depth * (size_t)lda : (size_t)depth;
    size_t b_stride = trans_b ? (size_t)depth : (size_t)depth * (size_t)ldb;
    Buffer *partial;
    Status st = scratch_get(device, SCRATCH_GEMM_PARTIAL, (size_t)chunks * mn * sizeof(float), &partial);
    /* beta = 0 over the scratch, whose old contents may hold anything (0 * NaN is NaN). */
    if (st == BC_OK) st = buffer_fill_zero(device, partial, 0, (size_t)chunks * mn * sizeof(float));
    if (st == BC_OK)
        st = device_gemm_clblast_batched(device, trans_a, trans_b, (size_t)m, (size_t)n, (size_t)depth, 1.0f, a.buffer,
                                         a.offset, (size_t)lda, a_stride, b.buffer, b.offset, (size_t)ldb, b_stride,
                                         0.0f, partial, 0, (size_t)n, mn, (size_t)full);
    if (st == BC_OK && rest > 0)
        st = device_gemm_clblast(device, trans_a, trans_b, (size_t)m, (size_t)n, (size_t)rest, 1.0f, a.buffer,
                                 a.offset + (size_t)full * a_stride, (size_t)lda, b.buffer,
                                 b.offset + (size_t)full * b_stride, (size_t)ldb, 0.0f, partial, (size_t)full * mn,
                                 (size_t)n);
    GemmLayout cl = gemm_layout_plain(c, ldc);
    if (st == BC_OK) st = gemm_sum_chunks(device, partial, chunks, m, n, alpha, beta, &cl);
    return st;
}

Status gemm_with_path(Device *device, GemmPath path, bool trans_a, bool trans_b, int m, int n,
                      int k, float alpha, View a, int lda, View b, int ldb, float beta, View c,
                      int ldc) {
    Status st = check_args(m, n, k, a, lda, b, ldb, c, ldc, trans_a, trans_b);
    if (st != BC_OK) return st;
    if (m == 0 || n == 0) return BC_OK;
    switch (path) {
    case GEMM_PATH_OURS:
        if (gemm_gpu_enabled(device))
            return gemm_gpu(device, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return gemm_ours(device, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    case GEMM_PATH_CLBLAST:
        /* C = beta * C is all k == 0 asks for, and CLBlast may reject the empty product. */
        if (k == 0)
            return gemm_ours(device, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        int depth = gemm_split_chunk_depth(device, m, n, k);
        if (depth < k)
            return clblast_split_k(device, trans_a, trans_b, m, n, k, depth, alpha, a, lda, b, ldb, beta, c, ldc);
        return device_gemm_clblast(device, trans_a, trans_b, (size_t)m, (size_t)n, (size_t)k,
                                   alpha, a.buffer, a.offset, (size_t)lda, b.buffer, b.offset,
                                   (size_t)ldb, beta, c.buffer, c.offset, (size_t)ldc);
    }
    return error_set(BC_ERR_USAGE, "gemm: unknown path %d", (int)path);
}

Status gemm(Device *device, bool trans_a, bool trans_b, int m, int n, int k, float alpha, View a,
            int lda, View b, int ldb, float beta, View c, int ldc) {
    GemmPath path = device_profile_get(device, "GEMM_PATH") == GEMM_PATH_CLBLAST
                        ? GEMM_PATH_CLBLAST
                        : GEMM_PATH_OURS;
    return gemm_with_path(device, path, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                          ldc);
}
