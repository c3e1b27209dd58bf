/* loss.c — L2 normalization, the BYOL loss and softmax cross-entropy: host side of
 * cl/loss.cl. Loss values land in a 1-float device View; nothing here reads them back. */
#include <limits.h>

#include "byolcl/ops.h"
#include "ops/scratch.h"
#include "ops/ops_internal.h"

static Status check_rows(int batch, int dim, const char *op) {
    if (batch < 1 || dim < 1)
        return error_set(BC_ERR_USAGE, "%s: batch=%d dim=%d must be positive", op, batch, dim);
    if ((long long)batch * dim > INT_MAX)
        return error_set(BC_ERR_USAGE, "%s: %d x %d values exceed the int range of the kernels", op,
                         batch, dim);
    return BC_OK;
}

/* Averages the per-row terms (scratch SCRATCH_LOSS_TERMS) into the loss view. */
Status write_mean_of_rows(Device *device, View loss, Buffer *terms, int batch) {
    Kernel *k;
    Status st = kernel_get(device, "loss", "mean_of_rows", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, 1, ARG_VIEW(loss), ARG_BUF(terms), ARG_I(batch));
}

Status l2_normalize_forward(Device *device, View out, View in, int batch, int dim) {
    Status st = check_rows(batch, dim, "l2_normalize_forward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "loss", "l2_normalize_rows", &k)) != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, (size_t)batch, ARG_VIEW(out), ARG_VIEW(in), ARG_I(batch),
                            ARG_I(dim));
}

Status byol_loss_forward(Device *device, View loss, View p, View z, int batch, int dim) {
    Status st = check_rows(batch, dim, "byol_loss_forward");
    if (st != BC_OK) return st;
    Buffer *terms;
    if ((st = scratch_get(device, SCRATCH_LOSS_TERMS, (size_t)batch * sizeof(float), &terms)) != BC_OK)
        return error_wrap(st, "byol_loss_forward: ");
    Kernel *k;
    if ((st = kernel_get(device, "loss", "byol_loss_rows", &k)) != BC_OK) return st;
    st = KERNEL_LAUNCH_1D(device, k, (size_t)batch, ARG_BUF(terms), ARG_VIEW(p), ARG_VIEW(z),
                          ARG_I(batch), ARG_I(dim));
    if (st != BC_OK) return st;
    return write_mean_of_rows(device, loss, terms, batch);
}

Status byol_loss_backward(Device *device, View d_p, View p, View z, int batch, int dim,
                          float scale) {
    Status st = check_rows(batch, dim, "byol_loss_backward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "loss", "byol_loss_backward_rows", &k)) != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, (size_t)batch, ARG_VIEW(d_p), ARG_VIEW(p), ARG_VIEW(z),
                            ARG_I(batch), ARG_I(dim), ARG_F(scale));
}

Status softmax_cross_entropy_forward(Device *device, View loss, View probs, View logits,
                                     View labels, int batch, int classes) {
    Status st = check_rows(batch, classes, "softmax_cross_entropy_forward");
    if (st != BC_OK) return st;
    Buffer *terms;
    if ((st = scratch_get(device, SCRATCH_LOSS_TERMS, (size_t)batch * sizeof(float), &terms)) != BC_OK)
        return error_wrap(st, "softmax_cross_entropy_forward: ");
    Kernel *k;
    if ((st = kernel_get(device, "loss", "softmax_cross_entropy_rows", &k)) != BC_OK) return st;
    st = KERNEL_LAUNCH_1D(device, k, (size_t)batch, ARG_BUF(terms), ARG_VIEW(probs),
                          ARG_VIEW(logits), ARG_VIEW(labels), ARG_I(batch), ARG_I(classes));
    if (st != BC_OK) return st;
    return write_mean_of_rows(device, loss, terms, batch);
}

Status softmax_cross_entropy_backward(Device *device, View d_logits, View probs, View labels,
                                      int batch, int classes) {
    Status st = check_rows(batch, classes, "softmax_cross_entropy_backward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "loss", "softmax_cross_entropy_backward", &k)) != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, (size_t)batch * classes, ARG_VIEW(d_logits),
                            ARG_VIEW(probs), ARG_VIEW(labels), ARG_I(batch), ARG_I(classes));
}

Status loss_guard_update(Device *device, View loss, int count, View first_bad, int step) {
    if (count < 1 || step < 0)
        return error_set(BC_ERR_USAGE, "loss_guard_update: bad count %d or step %d", count, step);
    Kernel *k;
    Status st = kernel_get(device, "loss", "loss_guard", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, 1, ARG_VIEW(loss), ARG_I(count), ARG_VIEW(first_bad), ARG_I(step));
}
