/* ntxent.c — SimCLR's NT-Xent loss and its gradient on the device: host side of
 * cl/ntxent.cl. The 2N x 2N similarity matrix and the gradient's two products go through
 * the GEMM; the rows' softmax runs in one kernel. Nothing here reads values back. */
#include <limits.h>
#include <math.h>

#include "ops/ops_internal.h"
#include "ops/scratch.h"

static Status check_ntxent(int rows, int dim, float temperature, const char *op) {
    if (rows < 2 || dim < 1) return error_set(BC_ERR_USAGE, "%s: %d images (at least 1) dim=%d", op, rows / 2, dim);
    if ((long long)rows * rows > INT_MAX || (long long)rows * dim > INT_MAX)
        return error_set(BC_ERR_USAGE, "%s: %d rows x %d exceed the int range of the kernels", op, rows, dim);
    if (!(temperature > 0.0f) || !isfinite(temperature))
        return error_set(BC_ERR_USAGE, "%s: the temperature must be positive (got %g)", op, (double)temperature);
    return BC_OK;
}

Status ntxent_forward(Device *device, View loss, View normalized, View d_logits, View z_first, View z_second,
                      int images, int dim, float temperature) {
    int rows = 2 * images;
    Status st = check_ntxent(rows, dim, temperature, "ntxent_forward");
    /* The two views' normalized rows, one above the other: the GEMM's operand. */
    if (st == BC_OK) st = l2_normalize_forward(device, normalized, z_first, images, dim);
    if (st == BC_OK) st = l2_normalize_forward(device, view_at(normalized, (size_t)images * dim), z_second, images, dim);
    /* logits = normalized normalized^T / t: cosine similarities over the temperature. */
    if (st == BC_OK)
        st = gemm(device, false, true, rows, rows, dim, 1.0f / temperature, normalized, dim, normalized, dim, 0.0f,
                  d_logits, rows);
    Buffer *terms;
    if (st == BC_OK && (st = scratch_get(device, SCRATCH_LOSS_TERMS, (size_t)rows * sizeof(float), &terms)) != BC_OK)
        return error_wrap(st, "ntxent_forward: ");
    Kernel *k;
    if (st == BC_OK) st = kernel_get(device, "ntxent", "ntxent_rows", &k);
    if (st == BC_OK) st = KERNEL_LAUNCH_1D(device, k, (size_t)rows, ARG_BUF(terms), ARG_VIEW(d_logits), ARG_I(rows));
    if (st == BC_OK) st = write_mean_of_rows(device, loss, terms, rows);
    return st;
}

Status ntxent_backward(Device *device, View d_first, View d_second, View d_normalized, View d_logits,
                       View normalized, View z_first, View z_second, int images, int dim, float temperature) {
    int rows = 2 * images;
    Status st = check_ntxent(rows, dim, temperature, "ntxent_backward");
    /* l_ik = n_i . n_k / t is symmetric in i and k, so dL/dn = (G + G^T) n / t. */
    float alpha = 1.0f / temperature;
    if (st == BC_OK)
        st = gemm(device, false, false, rows, dim, rows, alpha, d_logits, rows, normalized, dim, 0.0f, d_normalized,
                  dim);
    if (st == BC_OK)
        st = gemm(device, true, false, rows, dim, rows, alpha, d_logits, rows, normalized, dim, 1.0f, d_normalized,
                  dim);
    if (st == BC_OK) st = l2_normalize_backward(device, d_first, d_normalized, z_first, images, dim);
    if (st == BC_OK)
        st = l2_normalize_backward(device, d_second, view_at(d_normalized, (size_t)images * dim), z_second, images,
                                   dim);
    return st;
}

Status l2_normalize_backward(Device *device, View d_in, View d_out, View in, int batch, int dim) {
    if (batch < 1 || dim < 1 || (long long)batch * dim > INT_MAX)
        return error_set(BC_ERR_USAGE, "l2_normalize_backward: batch=%d dim=%d", batch, dim);
    Kernel *k;
    Status st = kernel_get(device, "ntxent", "l2_normalize_backward_rows", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, (size_t)batch, ARG_VIEW(d_in), ARG_VIEW(d_out), ARG_VIEW(in), ARG_I(batch),
                            ARG_I(dim));
}
