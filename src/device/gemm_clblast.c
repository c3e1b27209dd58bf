/* gemm_clblast.c — SGEMM through CLBlast on the device's queue (row-major). The device
 * profile's GEMM_PATH decides whether the ops layer calls this or our own kernels. */
#include <stdio.h>

#include "device/device_internal.h"

#include <clblast_c.h> /* after cl_check.h: it fixes the OpenCL target version */

Status device_gemm_clblast_batched(Device *device, bool trans_a, bool trans_b, size_t m, size_t n, size_t k,
                                   float alpha, const Buffer *a, size_t a_offset, size_t lda, size_t a_stride,
                                   const Buffer *b, size_t b_offset, size_t ldb, size_t b_stride, float beta,
                                   Buffer *c, size_t c_offset, size_t ldc, size_t c_stride, size_t batch) {
    if (m == 0 || n == 0 || batch == 0) return BC_OK;
    /* When profiling, a marker before the call opens the span: CLBlast's event covers only
     * its last kernel, and it may run several (padding, transposition, the GEMM). */
    cl_event event = NULL, since = NULL;
    if (device->profiling) CL_CHECK(clEnqueueMarkerWithWaitList(device->queue, 0, NULL, &since));
    CLBlastTranspose ta = trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode code =
        batch == 1 ? CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a->mem, a_offset, lda, b->mem,
                                  b_offset, ldb, beta, c->mem, c_offset, ldc, &device->queue, &event)
                   : CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a->mem, a_offset, lda,
                                                a_stride, b->mem, b_offset, ldb, b_stride, beta, c->mem, c_offset,
                                                ldc, c_stride, batch, &device->queue, &event);
    if (code != CLBlastSuccess) {
        if (since) clReleaseEvent(since);
        return error_set(code == CLBlastInsufficientMemoryTemp || code == CLBlastOpenCLOutOfHostMemory
                             ? BC_ERR_OUT_OF_MEMORY
                             : BC_ERR_OPENCL,
                         "CLBlastSgemm%s(%zu x %zu x %zu, batch %zu) failed with CLBlast status %d%s",
                         batch == 1 ? "" : "StridedBatched", m, n, k, batch, (int)code,
                         (int)code < 0 && (int)code > -100 ? " (an OpenCL error code)" : "");
    }
    static const Kernel clblast_pseudo_kernel = {.name = "clblast_sgemm"};
    if (device->profiling && event) return device_remember_event(device, event, since, &clblast_pseudo_kernel);
    if (since) clReleaseEvent(since);
    if (event) clReleaseEvent(event);
    return BC_OK;
}

Status device_gemm_clblast(Device *device, bool trans_a, bool trans_b, size_t m, size_t n,
                           size_t k, float alpha, const Buffer *a, size_t a_offset, size_t lda,
                           const Buffer *b, size_t b_offset, size_t ldb, float beta, Buffer *c,
                           size_t c_offset, size_t ldc) {
    return device_gemm_clblast_batched(device, trans_a, trans_b, m, n, k, alpha, a, a_offset, lda, 0, b, b_offset,
                                       ldb, 0, beta, c, c_offset, ldc, 0, 1);
}
