/* gemm_gpu.c — launches our GPU SGEMM (cl/gemm_gpu.cl): one kernel per transposition over
 * (column tiles, row tiles, depth chunks), its sizes from the profile's GEMM_GPU_* keys,
 * checked here before anything is built; split-k chunks summed by gemm.c's gemm_sum_chunks. */
#include <stdio.h>

#include "ops/gemm_gpu.h"
#include "ops/gemm_tiles.h"
#include "ops/scratch.h"
#include "util/int_math.h"

const char *const gemm_gpu_param_keys[8] = {"GEMM_GPU_MWG",   "GEMM_GPU_NWG", "GEMM_GPU_KWG", "GEMM_GPU_MDIMC",
                                            "GEMM_GPU_NDIMC", "GEMM_GPU_VW",  "GEMM_GPU_PAD", "GEMM_GPU_DB"};

bool gemm_gpu_enabled(const Device *device) { return device_profile_get(device, "GEMM_GPU") != 0; }

GemmGpuParams gemm_gpu_params(const Device *device) {
    return (GemmGpuParams){device_profile_get(device, "GEMM_GPU_MWG"), device_profile_get(device, "GEMM_GPU_NWG"),
                           device_profile_get(device, "GEMM_GPU_KWG"), device_profile_get(device, "GEMM_GPU_MDIMC"),
                           device_profile_get(device, "GEMM_GPU_NDIMC"), device_profile_get(device, "GEMM_GPU_VW"),
                           device_profile_get(device, "GEMM_GPU_PAD"), device_profile_get(device, "GEMM_GPU_DB")};
}

Status gemm_gpu_params_apply(Device *device, const GemmGpuParams *p) {
    const int values[8] = {p->mwg, p->nwg, p->kwg, p->mdimc, p->ndimc, p->vw, p->pad, p->db};
    Status st = BC_OK;
    for (int i = 0; st == BC_OK && i < 8; i++) st = device_profile_set(device, gemm_gpu_param_keys[i], values[i]);
    return st;
}

size_t gemm_gpu_local_bytes(const GemmGpuParams *p) {
    return (size_t)(p->db ? 2 : 1) * (size_t)p->kwg * (size_t)(p->mwg + p->nwg + 2 * p->pad) * sizeof(float);
}

/* The constraints gemm_gpu.cl's #errors state, plus the device's limits. */
const char *gemm_gpu_params_problem(const GemmGpuParams *p, const DeviceInfo *info) {
    if (p->vw != 1 && p->vw != 2 && p->vw != 4 && p->vw != 8) return "GEMM_GPU_VW is not 1, 2, 4 or 8";
    if (p->mwg % (p->mdimc * p->vw) || p->nwg % (p->ndimc * p->vw))
        return "GEMM_GPU_MWG (NWG) is not a multiple of GEMM_GPU_MDIMC (NDIMC) x GEMM_GPU_VW";
    if (p->kwg % p->vw || p->pad % p->vw) return "GEMM_GPU_KWG or GEMM_GPU_PAD is not a multiple of GEMM_GPU_VW";
    int threads = p->mdimc * p->ndimc;
    if ((p->mwg * p->kwg) % (threads * p->vw) || (p->nwg * p->kwg) % (threads * p->vw))
        return "GEMM_GPU_MWG (NWG) x KWG does not split into VW-wide loads per work-item";
    if (info->max_work_group_size && (size_t)threads > info->max_work_group_size)
        return "GEMM_GPU_MDIMC x NDIMC exceeds the device's work-group size";
    if (info->local_mem_bytes && gemm_gpu_local_bytes(p) > info->local_mem_bytes)
        return "the GEMM_GPU tiles exceed the device's local memory";
    return NULL;
}

static Status params_checked(const Device *device, GemmGpuParams *p) {
    *p = gemm_gpu_params(device);
    const char *problem = gemm_gpu_params_problem(p, device_info(device));
    if (!problem) return BC_OK;
    return error_set(BC_ERR_USAGE,
                     "gemm: device profile %s (GEMM_GPU_MWG=%d NWG=%d KWG=%d MDIMC=%d NDIMC=%d VW=%d PAD=%d DB=%d)",
                     problem, p->mwg, p->nwg, p->kwg, p->mdimc, p->ndimc, p->vw, p->pad, p->db);
}

/* Whether rows of a matrix at v with leading dimension ld start VW-aligned (the kernel's
 * vector loads and stores need it; the buffer itself is aligned far beyond a float8). */
static int aligned(View v, int ld, int vw) { return v.offset % (size_t)vw == 0 && ld % vw == 0; }

static Status launch(Device *device, const GemmGpuParams *p, bool trans_a, bool trans_b, int m, int n, int k,
                     float alpha, View a, int lda, View b, int ldb, float beta, View c, int ldc, int depth,
                     int chunk_stride) {
    static const char *const names[4] = {"gemm_gpu_nn", "gemm_gpu_nt", "gemm_gpu_tn", "gemm_gpu_tt"};
    Kernel *kernel;
    Status st = kernel_get(device, "gemm_gpu", names[(trans_a ? 2 : 0) + (trans_b ? 1 : 0)], &kernel);
    if (st != BC_OK) return st;
    int chunks = k > 0 ? ceil_div(k, depth) : 1;
    int vec_c = aligned(c, ldc, p->vw) && chunk_stride % p->vw == 0;
    size_t local[3] = {(size_t)p->ndimc, (size_t)p->mdimc, 1};
    size_t global[3] = {(size_t)ceil_div(n, p->nwg) * local[0], (size_t)ceil_div(m, p->mwg) * local[1], (size_t)chunks};
    KernelArg args[] = {ARG_VIEW(a), ARG_I(lda), ARG_VIEW(b), ARG_I(ldb), ARG_VIEW(c), ARG_I(ldc),
                        ARG_I(m), ARG_I(n), ARG_I(k), ARG_F(alpha), ARG_F(beta), ARG_I(depth),
                        ARG_I(chunk_stride), ARG_I(aligned(a, lda, p->vw)), ARG_I(aligned(b, ldb, p->vw)), ARG_I(vec_c)};
    return kernel_launch(device, kernel, 3, global, local, args, (int)(sizeof args / sizeof *args));
}

Status gemm_gpu(Device *device, bool trans_a, bool trans_b, int m, int n, int k, float alpha, View a, int lda,
                View b, int ldb, float beta, View c, int ldc) {
    GemmGpuParams p;
    Status st = params_checked(device, &p);
    if (st != BC_OK) return st;
    /* With k == 0 the kernel reads neither A nor B (which may be VIEW_NONE): C stands in. */
    if (k == 0) a = b = c;
    /* Chunks of whole slices, so every chunk's slices start VW-aligned. */
    int depth = gemm_split_chunk_depth(device, m, n, k);
    if (depth < k) depth = ceil_div(depth, p.kwg) * p.kwg;
    if (depth >= k)
        return launch(device, &p, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, k > 0 ? k : 1, 0);
    /* Split-k: every chunk's product into scratch (plain m x n, m * n apart), then summed. */
    int chunks = ceil_div(k, depth);
    Buffer *partial;
    st = scratch_get(device, SCRATCH_GEMM_PARTIAL, (size_t)chunks * m * n * sizeof(float), &partial);
    if (st == BC_OK)
        st = launch(device, &p, trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, view_of(partial), n, depth,
                    m * n);
    GemmLayout cl = gemm_layout_plain(c, ldc);
    if (st == BC_OK) st = gemm_sum_chunks(device, partial, chunks, m, n, alpha, beta, &cl);
    return st;
}
