/* collapse.c — the collapse monitor on the device (host side of cl/collapse.cl): the
 * standard deviation over the batch of the L2-normalized rows, averaged over dimensions.
 * The value stays on the device until the training loop reads the loss. */
#include <limits.h>

#include "ops/ops_internal.h"
#include "ops/scratch.h"

Status collapse_monitor_forward(Device *device, View out, View z, int batch, int dim) {
    if (batch < 2 || dim < 1 || (long long)batch * dim > INT_MAX)
        return error_set(BC_ERR_USAGE, "collapse_monitor_forward: batch=%d (at least 2) dim=%d", batch, dim);
    Buffer *inv_norms, *column_std;
    Status st = scratch_get(device, SCRATCH_COLLAPSE_INV_NORMS, (size_t)batch * sizeof(float), &inv_norms);
    if (st == BC_OK) st = scratch_get(device, SCRATCH_COLLAPSE_COLUMN_STD, (size_t)dim * sizeof(float), &column_std);
    if (st != BC_OK) return error_wrap(st, "collapse_monitor_forward: ");
    Kernel *norms, *spread;
    if ((st = kernel_get(device, "collapse", "row_inverse_norms", &norms)) != BC_OK) return st;
    if ((st = kernel_get(device, "collapse", "normalized_column_std", &spread)) != BC_OK) return st;
    st = KERNEL_LAUNCH_1D(device, norms, (size_t)batch, ARG_BUF(inv_norms), ARG_VIEW(z), ARG_I(batch), ARG_I(dim));
    if (st == BC_OK)
        st = KERNEL_LAUNCH_1D(device, spread, (size_t)dim, ARG_BUF(column_std), ARG_VIEW(z), ARG_BUF(inv_norms),
                              ARG_I(batch), ARG_I(dim));
    if (st == BC_OK) st = write_mean_of_rows(device, out, column_std, dim);
    return st;
}
