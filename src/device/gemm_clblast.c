/* gemm_clblast.c — SGEMM through CLBlast on the device's queue (row-major). The device
 * profile's GEMM_PATH decides whether the ops layer calls this or our own kernels. */
#include <stdio.h>

#include "device/device_internal.h"

#include <clblast_c.h> /* after cl_check.h: it fixes the OpenCL target version */

Status device_gemm_clblast(Device *device, bool trans_a, bool trans_b, size_t m, size_t n,
                           size_t k, float alpha, const Buffer *a, size_t a_offset, size_t lda,
                           const Buffer *b, size_t b_offset, size_t ldb, float beta, Buffer *c,
                           size_t c_offset, size_t ldc) {
    if (m == 0 || n == 0) return BC_OK;
    /* When profiling, a marker before the call opens the span: CLBlast's event covers only
     * its last kernel, and it may run several (padding, transposition, the GEMM). */
    cl_event event = NULL, since = NULL;
    if (device->profiling) CL_CHECK(clEnqueueMarkerWithWaitList(device->queue, 0, NULL, &since));
    CLBlastStatusCode code = CLBlastSgemm(
        CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, alpha, a->mem, a_offset, lda,
        b->mem, b_offset, ldb, beta, c->mem, c_offset, ldc, &device->queue, &event);
    if (code != CLBlastSuccess) {
        if (since) clReleaseEvent(since);
        return error_set(code == CLBlastInsufficientMemoryTemp || code == CLBlastOpenCLOutOfHostMemory
                             ? BC_ERR_OUT_OF_MEMORY
                             : BC_ERR_OPENCL,
                         "CLBlastSgemm(%zu x %zu x %zu) failed with CLBlast status %d%s", m, n, k,
                         (int)code,
                         (int)code < 0 && (int)code > -100 ? " (an OpenCL error code)" : "");
    }
    static const Kernel clblast_pseudo_kernel = {.name = "clblast_sgemm"};
    if (device->profiling && event) return device_remember_event(device, event, since, &clblast_pseudo_kernel);
    if (since) clReleaseEvent(since);
    if (event) clReleaseEvent(event);
    return BC_OK;
}
