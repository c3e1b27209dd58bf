/* optim.c — host side of cl/optim.cl: the flat optimizer updates (SGD, LARS's trust ratios
 * and update), the target EMA and the non-finite counter. Which parameters and which
 * schedule are the trainer's business (src/byol); this file only launches. */
#include "byolcl/ops.h"

Status lars_trust_ratios(Device *device, Buffer *trust, View w, View g, const ParamTable *table,
                         float weight_decay, float trust_coefficient) {
    if (table->entries == 0) return BC_OK;
    Kernel *k;
    Status st = kernel_get(device, "optim", "lars_trust_ratios", &k);
    if (st != BC_OK) return st;
    /* One work-group per entry; its size must equal the kernel's reqd_work_group_size,
     * which is the BC_WG_1D define. */
    size_t local = (size_t)device_profile_get(device, "WG_1D");
    size_t global = (size_t)table->entries * local;
    return KERNEL_LAUNCH(device, k, 1, &global, &local, ARG_BUF(trust), ARG_VIEW(w), ARG_VIEW(g),
                         ARG_BUF(table->table), ARG_I(table->entries), ARG_F(weight_decay),
                         ARG_F(trust_coefficient));
}

Status lars_apply(Device *device, View w, View g, View trace, const ParamTable *table,
                  const Buffer *trust, size_t n, float weight_decay, float learning_rate, float momentum) {
    if (n == 0) return BC_OK;
    Kernel *k;
    Status st = kernel_get(device, "optim", "lars_apply", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, n, ARG_VIEW(w), ARG_VIEW(g), ARG_VIEW(trace),
                            ARG_BUF(table->chunk_map), ARG_I(table->chunk), ARG_BUF(table->table),
                            ARG_BUF(trust), ARG_I(n), ARG_F(weight_decay), ARG_F(learning_rate),
                            ARG_F(momentum));
}

Status sgd_apply(Device *device, View w, View g, View velocity, const ParamTable *table, size_t n,
                 float weight_decay, float learning_rate, float momentum) {
    if (n == 0) return BC_OK;
    Kernel *k;
    Status st = kernel_get(device, "optim", "sgd_apply", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, n, ARG_VIEW(w), ARG_VIEW(g), ARG_VIEW(velocity),
                            ARG_BUF(table->chunk_map), ARG_I(table->chunk), ARG_BUF(table->table),
                            ARG_I(n), ARG_F(weight_decay), ARG_F(learning_rate), ARG_F(momentum));
}

Status ema_update(Device *device, View target, View online, size_t n, double tau) {
    if (n == 0) return BC_OK;
    if (!(tau >= 0.0 && tau <= 1.0)) return error_set(BC_ERR_USAGE, "ema_update: tau %g outside [0, 1]", tau);
    Kernel *k;
    Status st = kernel_get(device, "optim", "ema_update", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, n, ARG_VIEW(target), ARG_VIEW(online), ARG_I(n),
                            ARG_F((float)tau), ARG_F((float)(1.0 - tau)));
}

Status count_nonfinite(Device *device, Buffer *count, View x, size_t n) {
    if (buffer_bytes(count) < sizeof(int))
        return error_set(BC_ERR_USAGE, "count_nonfinite: the count buffer is smaller than an int");
    Status st = buffer_fill_zero(device, count, 0, sizeof(int));
    Kernel *k;
    if (st == BC_OK) st = kernel_get(device, "optim", "count_nonfinite", &k);
    if (st != BC_OK || n == 0) return st;
    return KERNEL_LAUNCH_1D(device, k, n, ARG_BUF(count), ARG_VIEW(x), ARG_I(n));
}
