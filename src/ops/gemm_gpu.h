/* gemm_gpu.h — our GPU SGEMM (cl/gemm_gpu.cl): local-memory tiles and register tiles, sized
 * by the device profile's GEMM_GPU_* keys; gemm() takes it when GEMM_GPU is 1 (GPU default). */
#ifndef BYOLCL_OPS_GEMM_GPU_H
#define BYOLCL_OPS_GEMM_GPU_H

#include <stddef.h>

#include "byolcl/ops.h"

/* The kernel's sizes: work-group tile MWG x NWG, KWG deep per local-memory slice, MDIMC x
 * NDIMC work-items, VW-wide vectors, PAD floats of padding per local row, DB two slices. */
typedef struct {
    int mwg, nwg, kwg, mdimc, ndimc, vw, pad, db;
} GemmGpuParams;

/* The profile's keys of each field, in the struct's order (the tuner sets them by name). */
extern const char *const gemm_gpu_param_keys[8];

bool gemm_gpu_enabled(const Device *device);
GemmGpuParams gemm_gpu_params(const Device *device);
Status gemm_gpu_params_apply(Device *device, const GemmGpuParams *p);
/* Local memory a work-group of p uses, in bytes. */
size_t gemm_gpu_local_bytes(const GemmGpuParams *p);
/* NULL when p builds and runs on a device with `info`, else why not (static text). */
const char *gemm_gpu_params_problem(const GemmGpuParams *p, const DeviceInfo *info);

/* C = alpha * op(A) * op(B) + beta * C (arguments checked by gemm_with_path). */
Status gemm_gpu(Device *device, bool trans_a, bool trans_b, int m, int n, int k, float alpha, View a, int lda,
                View b, int ldb, float beta, View c, int ldc);

#endif
