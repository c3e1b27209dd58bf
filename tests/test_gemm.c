/* test_gemm.c — gemm on the device (our kernels and CLBlast) against the double reference:
 * all four transpose combinations, sizes that are not multiples of any tile, k = 0,
 * padded leading dimensions, views at non-zero offsets, beta 0 over NaN garbage; the CPU
 * profile's split-k (ours and CLBlast's), two-panel, swapped A * B^T and local-memory B paths
 * forced on; the GPU kernels (cl/gemm_gpu.cl) with several parameter sets and split-k, on
 * odd and on vector-aligned placements.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/ops.h"
#include "ops/gemm_gpu.h"
#include "ops/scratch.h"
#include "ref/gemm_ref.h"
#include "ref/gradcheck.h"
#include "test_util.h"

typedef struct {
    int m, n, k;
} Dims;

static const Dims full_dims[] = {{1, 1, 1},    {7, 13, 5},  {33, 17, 9}, {9, 40, 0},
                                 {64, 48, 31}, {100, 37, 129}, {5, 200, 3}, {17, 1, 64}};
static const Dims small_dims[] = {{1, 1, 1}, {7, 13, 5}, {9, 17, 0}, {10, 20, 9}};

/* Where the operands lie: view offsets and the padding of their leading dimensions. */
typedef struct {
    int a_off, b_off, c_off, a_pad, b_pad, c_pad;
} Placement;

/* Odd offsets and leading dimensions: no row starts vector-aligned. */
static const Placement odd_placement = {5, 7, 3, 3, 2, 1};

/* One GEMM through `path` against the reference, operands placed as `at`; the whole C buffer
 * is compared, so writes outside the m x n block (into padding) are caught too. */
static void check_placed(GemmPath path, Dims d, bool ta, bool tb, float alpha, float beta, uint64_t seed,
                         Placement at) {
    Device *dev = test_device();
    const int a_off = at.a_off, b_off = at.b_off, c_off = at.c_off;
    int lda = (ta ? d.m : d.k) + at.a_pad, ldb = (tb ? d.k : d.n) + at.b_pad, ldc = d.n + at.c_pad;
    size_t a_len = (size_t)a_off + (size_t)(ta ? d.k : d.m) * lda;
    size_t b_len = (size_t)b_off + (size_t)(tb ? d.n : d.k) * ldb;
    size_t c_len = (size_t)c_off + (size_t)d.m * ldc;
    float *a = test_alloc_uniform(a_len, seed, -1, 1);
    float *b = test_alloc_uniform(b_len, seed + 1, -1, 1);
    float *c = test_alloc_uniform(c_len, seed + 2, -1, 1);
    if (beta == 0.0f) /* garbage that must not leak through 0 * C */
        for (int i = 0; i < d.m; i++)
            for (int j = 0; j < d.n; j++) c[c_off + (size_t)i * ldc + j] = NAN;
    Buffer *ba = test_upload(a, a_len), *bb = test_upload(b, b_len), *bc = test_upload(c, c_len);
    TEST_CHECK(gemm_with_path(dev, path, ta, tb, d.m, d.n, d.k, alpha, (View){ba, a_off}, lda,
                              (View){bb, b_off}, ldb, beta, (View){bc, c_off}, ldc));
    float *got = test_download(bc, c_len);

    double *ra = ref_doubles_from_floats(a, a_len), *rb = ref_doubles_from_floats(b, b_len), *rc = ref_doubles_from_floats(c, c_len);
    gemm_ref(ta, tb, d.m, d.n, d.k, alpha, ra + a_off, lda, rb + b_off, ldb, beta, rc + c_off, ldc);
    float *want = ref_floats_from_doubles(rc, c_len);
    char what[160];
    snprintf(what, sizeof what, "gemm path %d %c%c m=%d n=%d k=%d alpha=%g beta=%g", (int)path,
             ta ? 'T' : 'N', tb ? 'T' : 'N', d.m, d.n, d.k, alpha, beta);
    test_assert_close(got, want, c_len, 1e-5 * (d.k + 1), 1e-4, what);

    free(a), free(b), free(c), free(got), free(ra), free(rb), free(rc), free(want);
    buffer_release(ba), buffer_release(bb), buffer_release(bc);
}

static void check_one(GemmPath path, Dims d, bool ta, bool tb, float alpha, float beta, uint64_t seed) {
    check_placed(path, d, ta, tb, alpha, beta, seed, odd_placement);
}

static void check_path(GemmPath path) {
    const Dims *dims = test_small() ? small_dims : full_dims;
    size_t count = test_small() ? sizeof small_dims / sizeof *small_dims
                                : sizeof full_dims / sizeof *full_dims;
    uint64_t seed = 1000 * (uint64_t)path;
    for (size_t i = 0; i < count; i++)
        for (int t = 0; t < 4; t++) {
            check_one(path, dims[i], t & 1, t & 2, 1.0f, 0.0f, seed += 3);
            check_one(path, dims[i], t & 1, t & 2, -1.5f, 1.0f, seed += 3);
            if (!test_small()) check_one(path, dims[i], t & 1, t & 2, 0.5f, -0.25f, seed += 3);
        }
}

static void test_our_gemm_matches_reference(void **state) {
    (void)state;
    check_path(GEMM_PATH_OURS);
}

static void test_clblast_gemm_matches_reference(void **state) {
    (void)state;
    check_path(GEMM_PATH_CLBLAST);
}

/* Tiles of other sizes (a tuned profile may pick them) give the same result. */
static void test_other_tile_sizes_match_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int tile_m = device_profile_get(dev, "GEMM_TILE_M"), tile_n = device_profile_get(dev, "GEMM_TILE_N");
    const int tiles[][2] = {{4, 8}, {3, 4}};
    for (int t = 0; t < 2; t++) {
        TEST_CHECK(device_profile_set(dev, "GEMM_TILE_M", tiles[t][0]));
        TEST_CHECK(device_profile_set(dev, "GEMM_TILE_N", tiles[t][1]));
        for (int tr = 0; tr < 4; tr++) check_one(GEMM_PATH_OURS, (Dims){11, 9, 6}, tr & 1, tr & 2, 1.0f, 0.5f, 77 + tr);
    }
    TEST_CHECK(device_profile_set(dev, "GEMM_TILE_M", tile_m));
    TEST_CHECK(device_profile_set(dev, "GEMM_TILE_N", tile_n));
}

/* The packed-A kernels (GEMM_PACK_A, the CPU default; oclgrind presents itself as a GPU)
 * give the same results, with one and with two panels per work-item, and other tiles. */
static void test_packed_a_gemm_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int pack_a = device_profile_get(dev, "GEMM_PACK_A"), tile_m = device_profile_get(dev, "GEMM_TILE_M");
    TEST_CHECK(device_profile_set(dev, "GEMM_PACK_A", 1));
    check_path(GEMM_PATH_OURS);
    /* 5 x 16-wide panels take the one-panel kernel, 8 and 9 the two-panel one (and n of
     * at most two panels the unpacked one). */
    const Dims panel_dims[] = {{13, 70, 11}, {13, 128, 11}, {13, 140, 11}};
    TEST_CHECK(device_profile_set(dev, "GEMM_TILE_M", 5));
    for (int i = 0; i < 3; i++)
        for (int tr = 0; tr < 4; tr++)
            check_one(GEMM_PATH_OURS, panel_dims[i], tr & 1, tr & 2, 1.0f, 0.5f, 91 + 4 * i + tr);
    TEST_CHECK(device_profile_set(dev, "GEMM_TILE_M", tile_m));
    TEST_CHECK(device_profile_set(dev, "GEMM_PACK_A", pack_a));
}

/* Sets profile `key` to `value`, returning the value it had. */
static int swap_profile_key(const char *key, int value) {
    Device *dev = test_device();
    int old = device_profile_get(dev, key);
    TEST_CHECK(device_profile_set(dev, key, value));
    return old;
}

/* The paths for long depths and weight gradients, forced on whatever the device: split-k
 * in chunks of 8 (ours and CLBlast's) (k = 129, 31: not multiples of the chunk; 17 x 1 x 64: one column), two
 * panels per in-place work-item, A * B^T as (B * A^T)^T, with packed and in-place A. */
static void test_split_k_and_swapped_gemm_match_reference(void **state) {
    (void)state;
    const char *keys[] = {"GEMM_SPLIT_K", "GEMM_SPLIT_RATIO", "GEMM_TILE_NP", "GEMM_NT_SWAP",
                          "GEMM_PACK_A", "GEMM_PACK_A_MIN_PANELS"};
    const int values[] = {8, 1, 2, 1, 1, 3};
    int saved[6];
    for (int i = 0; i < 6; i++) saved[i] = swap_profile_key(keys[i], values[i]);
    check_path(GEMM_PATH_OURS);
    check_path(GEMM_PATH_CLBLAST); /* split-k as a strided batch plus the remainder */
    /* n of 8 panels and more, so that A is packed, and m < n for the swap. */
    const Dims long_dims[] = {{13, 140, 75}, {5, 40, 300}};
    for (int min_panels = 3; min_panels <= 9; min_panels += 6) {
        swap_profile_key("GEMM_PACK_A_MIN_PANELS", min_panels);
        for (int i = 0; i < 2; i++)
            for (int tr = 0; tr < 4; tr++)
                check_one(GEMM_PATH_OURS, long_dims[i], tr & 1, tr & 2, 1.0f, 0.5f, 131 + 4 * i + tr);
    }
    for (int i = 0; i < 6; i++) swap_profile_key(keys[i], saved[i]);
}

/* op(B) read in place through local memory (GEMM_LOCAL_B, the CPU default up to 128 rows),
 * forced on for every shape: one and two panels per work-item (5 and 9 panels), partial
 * last panels, A and A^T; with B^T the packing path still runs. */
static void test_local_b_gemm_matches_reference(void **state) {
    (void)state;
    const char *keys[] = {"GEMM_LOCAL_B", "GEMM_LOCAL_B_MIN_ITEMS", "GEMM_LOCAL_B_MAX_M", "GEMM_SPLIT_K"};
    const int values[] = {1, 1, 1 << 30, 0};
    int saved[4];
    for (int i = 0; i < 4; i++) saved[i] = swap_profile_key(keys[i], values[i]);
    check_path(GEMM_PATH_OURS);
    const Dims panel_dims[] = {{13, 70, 11}, {13, 140, 11}, {5, 40, 300}};
    for (int i = 0; i < 3; i++)
        for (int tr = 0; tr < 4; tr++)
            check_one(GEMM_PATH_OURS, panel_dims[i], tr & 1, tr & 2, 1.0f, 0.5f, 171 + 4 * i + tr);
    for (int i = 0; i < 4; i++) swap_profile_key(keys[i], saved[i]);
}

/* The GPU kernels' parameter sets (GEMM_GPU_MWG, NWG, KWG, MDIMC, NDIMC, VW, PAD, DB): the
 * defaults, double-buffered, and the tuner's extremes: tiny tiles of 4 x 4 per work-item with
 * a 4-deep slice, scalar loads (VW 1) with odd padding on rectangular tiles, 128 x 64 tiles of
 * 8 x 8 per work-item with float8s and no padding, and the largest tile of the search (128 x
 * 128 x 32 over 256 work-items, 35 KB of local memory). */
static const GemmGpuParams gpu_sets[] = {
    {64, 64, 16, 8, 8, 4, 4, 0},    {64, 64, 16, 8, 8, 4, 4, 1},      {8, 16, 4, 2, 4, 2, 2, 1},
    {16, 32, 8, 4, 8, 1, 1, 0},     {128, 64, 16, 16, 8, 8, 0, 1},    {128, 128, 32, 16, 16, 8, 8, 0},
};

/* Aligned rows (vector loads and stores) with padded leading dimensions, and unpadded. */
static const Placement aligned_placements[] = {{8, 16, 8, 8, 0, 8}, {0, 0, 0, 0, 0, 0}};

/* Shapes that fill whole tiles of every set and then some (the vector paths and the edges
 * in one product), and one of several tiles each way. */
static const Dims aligned_dims[] = {{128, 128, 64}, {136, 72, 40}};

static void check_gpu_set(const GemmGpuParams *p, uint64_t seed) {
    Device *dev = test_device();
    TEST_CHECK(gemm_gpu_params_apply(dev, p));
    check_path(GEMM_PATH_OURS);
    /* oclgrind (small): the second shape only, which has whole and partial tiles each way. */
    for (int i = test_small() ? 1 : 0; i < 2; i++)
        for (int t = 0; t < 4; t++)
            for (int at = 0; at < (test_small() ? 1 : 2); at++)
                check_placed(GEMM_PATH_OURS, aligned_dims[i], t & 1, t & 2, 1.0f, at ? 0.0f : 0.5f, seed + 8 * i + t,
                             aligned_placements[at]);
}

/* The GPU kernels (GEMM_GPU, the GPU default) forced on, with each parameter set; then
 * split-k in chunks rounded up to whole slices (k = 129, 31 and the aligned shapes' 64 and 40:
 * remainders and exact multiples). */
static void test_gpu_gemm_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    GemmGpuParams saved = gemm_gpu_params(dev);
    int enabled = swap_profile_key("GEMM_GPU", 1);
    /* oclgrind (small): the defaults, and the tiny double-buffered tiles (most slices and
     * barriers per product), which split-k then runs as well. */
    for (size_t i = 0; i < sizeof gpu_sets / sizeof *gpu_sets; i++)
        if (!test_small() || i == 0 || i == 2) check_gpu_set(&gpu_sets[i], 300 + 40 * i);
    int depth = swap_profile_key("GEMM_SPLIT_K", 8), ratio = swap_profile_key("GEMM_SPLIT_RATIO", 1);
    if (!test_small()) check_gpu_set(&gpu_sets[0], 600);
    check_gpu_set(&gpu_sets[2], 640);
    swap_profile_key("GEMM_SPLIT_K", depth);
    swap_profile_key("GEMM_SPLIT_RATIO", ratio);
    TEST_CHECK(gemm_gpu_params_apply(dev, &saved));
    swap_profile_key("GEMM_GPU", enabled);
}

/* A parameter set the kernel cannot run is refused before anything is built, naming the key. */
static void test_gpu_gemm_refuses_inconsistent_sizes(void **state) {
    (void)state;
    Device *dev = test_device();
    GemmGpuParams saved = gemm_gpu_params(dev), bad = saved;
    int enabled = swap_profile_key("GEMM_GPU", 1);
    bad.mwg = 48; /* not a multiple of MDIMC x VW = 32 */
    TEST_CHECK(gemm_gpu_params_apply(dev, &bad));
    Buffer *x = test_alloc_device(16);
    View v = view_of(x);
    assert_int_equal(gemm(dev, false, false, 2, 2, 2, 1, v, 2, v, 2, 0, v, 2), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "GEMM_GPU_MWG"));
    error_clear();
    assert_int_equal(device_profile_set(dev, "GEMM_GPU_VW", 3), BC_ERR_USAGE);
    error_clear();
    buffer_release(x);
    TEST_CHECK(gemm_gpu_params_apply(dev, &saved));
    swap_profile_key("GEMM_GPU", enabled);
}

/* gemm() follows the profile's GEMM_PATH. */
static void test_profile_path_dispatch(void **state) {
    (void)state;
    Device *dev = test_device();
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 2, 1, 0, 3}, want[4] = {5, 11, 14, 23};
    Buffer *ba = test_upload(a, 6), *bb = test_upload(b, 6), *bc = test_alloc_device(4);
    /* (2x3) * (3x2) */
    TEST_CHECK(gemm(dev, false, false, 2, 2, 3, 1.0f, view_of(ba), 3, view_of(bb), 2, 0.0f,
                    view_of(bc), 2));
    float *got = test_download(bc, 4);
    test_assert_close(got, want, 4, 1e-6, 1e-6, "gemm via profile");
    free(got);
    buffer_release(ba), buffer_release(bb), buffer_release(bc);
}

/* src/ops/scratch.h's nesting rule is checked: inside an op holding GEMM's slots, our gemm
 * (which packs B^T into one of them) is refused with the slot named; outside, it runs. */
static void test_scratch_nesting_rule_is_checked(void **state) {
    (void)state;
    Device *dev = test_device();
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 0, 0, 1, 3}, want[4] = {5, 11, 14, 23};
    Buffer *ba = test_upload(a, 6), *bb = test_upload(b, 6), *bc = test_alloc_device(4);
    unsigned gemm_slots = SCRATCH_BIT(SCRATCH_GEMM_PACKED_B) | SCRATCH_BIT(SCRATCH_GEMM_PACKED_A) |
                          SCRATCH_BIT(SCRATCH_GEMM_PARTIAL);
    Status st;
    SCRATCH_HOLDING(gemm_slots, st = gemm_with_path(dev, GEMM_PATH_OURS, false, true, 2, 2, 3, 1.0f, view_of(ba), 3,
                                                    view_of(bb), 3, 0.0f, view_of(bc), 2));
    assert_int_equal(st, BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "scratch slot"));
    TEST_CHECK(gemm_with_path(dev, GEMM_PATH_OURS, false, true, 2, 2, 3, 1.0f, view_of(ba), 3, view_of(bb), 3,
                              0.0f, view_of(bc), 2));
    float *got = test_download(bc, 4);
    test_assert_close(got, want, 4, 1e-6, 1e-6, "gemm A * B^T");
    free(got);
    buffer_release(ba), buffer_release(bb), buffer_release(bc);
}

static void test_bad_arguments_are_errors(void **state) {
    (void)state;
    Device *dev = test_device();
    Buffer *x = test_alloc_device(16);
    View v = view_of(x);
    assert_int_equal(gemm(dev, false, false, 2, 2, 3, 1, v, 2, v, 2, 0, v, 2), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "leading dimension"));
    assert_int_equal(gemm(dev, false, false, -1, 2, 3, 1, v, 3, v, 2, 0, v, 2), BC_ERR_USAGE);
    buffer_release(x);
}

/* The CPU kernels are what the tests before the GPU ones check, on every device (oclgrind
 * presents itself as a GPU, whose profile turns GEMM_GPU on). */
static int cpu_kernels_first(void **state) {
    (void)state;
    return device_profile_set(test_device(), "GEMM_GPU", 0) == BC_OK ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_gemm_matches_reference),
        cmocka_unit_test(test_clblast_gemm_matches_reference),
        cmocka_unit_test(test_other_tile_sizes_match_reference),
        cmocka_unit_test(test_packed_a_gemm_matches_reference),
        cmocka_unit_test(test_split_k_and_swapped_gemm_match_reference),
        cmocka_unit_test(test_local_b_gemm_matches_reference),
        cmocka_unit_test(test_gpu_gemm_matches_reference),
        cmocka_unit_test(test_gpu_gemm_refuses_inconsistent_sizes),
        cmocka_unit_test(test_profile_path_dispatch),
        cmocka_unit_test(test_scratch_nesting_rule_is_checked),
        cmocka_unit_test(test_bad_arguments_are_errors),
    };
    return cmocka_run_group_tests(tests, cpu_kernels_first, test_teardown_device);
}
