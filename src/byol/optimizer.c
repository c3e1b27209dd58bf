/* optimizer.c — SGD and LARS updates over a parameter arena (semantics in optimizer.h),
 * launched as flat kernels from cl/optim.cl. */
#include <strings.h>

#include "byolcl/optimizer.h"

const char *optimizer_kind_name(OptimizerKind kind) {
    return kind == OPTIMIZER_LARS ? "lars" : "sgd";
}

Status optimizer_kind_parse(const char *text, OptimizerKind *out) {
    if (strcasecmp(text, "sgd") == 0) *out = OPTIMIZER_SGD;
    else if (strcasecmp(text, "lars") == 0) *out = OPTIMIZER_LARS;
    else return error_set(BC_ERR_USAGE, "unknown optimizer '%s' (choose lars or sgd)", text);
    return BC_OK;
}

OptimizerConfig optimizer_config_default(OptimizerKind kind) {
    return (OptimizerConfig){.kind = kind, .momentum = 0.9f, .weight_decay = 1.5e-6f,
                             .trust_coefficient = 1e-3f};
}

static Status check_trained(const Arena *arena, const char *what) {
    if (!arena_device(arena) || !arena_buffer(arena, ARENA_GRADS) || !arena_table_buffer(arena))
        return error_set(BC_ERR_USAGE, "%s: the arena is not allocated for training", what);
    return BC_OK;
}

Status lars_compute_trust_ratios(Arena *arena, const OptimizerConfig *config) {
    Status st = check_trained(arena, "lars");
    if (st != BC_OK || arena_entry_count(arena) == 0) return st;
    Device *device = arena_device(arena);
    Kernel *k;
    if ((st = kernel_get(device, "optim", "lars_trust_ratios", &k)) != BC_OK) return st;
    /* Must equal the kernel's reqd_work_group_size, which is the BC_WG_1D define. */
    size_t local = (size_t)device_profile_get(device, "WG_1D");
    size_t global = (size_t)arena_entry_count(arena) * local;
    return KERNEL_LAUNCH(device, k, 1, &global, &local, ARG_BUF(arena_entry_scratch_buffer(arena)),
                         ARG_VIEW_OF(arena_buffer(arena, ARENA_PARAMS), 0),
                         ARG_VIEW_OF(arena_buffer(arena, ARENA_GRADS), 0),
                         ARG_BUF(arena_table_buffer(arena)), ARG_I(arena_entry_count(arena)),
                         ARG_F(config->weight_decay), ARG_F(config->trust_coefficient));
}

Status optimizer_step(Arena *arena, const OptimizerConfig *config, float learning_rate) {
    Status st = check_trained(arena, "optimizer_step");
    size_t n = arena_floats(arena, ARENA_PARAMS);
    if (st != BC_OK || n == 0) return st;
    Device *device = arena_device(arena);
    Buffer *w = arena_buffer(arena, ARENA_PARAMS), *g = arena_buffer(arena, ARENA_GRADS),
           *m = arena_buffer(arena, ARENA_MOMENTUM);
    Kernel *k;
    if (config->kind == OPTIMIZER_SGD) {
        if ((st = kernel_get(device, "optim", "sgd_apply", &k)) != BC_OK) return st;
        return KERNEL_LAUNCH_1D(device, k, n, ARG_VIEW_OF(w, 0), ARG_VIEW_OF(g, 0),
                                ARG_VIEW_OF(m, 0), ARG_BUF(arena_chunk_map_buffer(arena)),
                                ARG_I(ARENA_ALIGN), ARG_BUF(arena_table_buffer(arena)), ARG_I(n),
                                ARG_F(config->weight_decay), ARG_F(learning_rate),
                                ARG_F(config->momentum));
    }
    if ((st = lars_compute_trust_ratios(arena, config)) != BC_OK) return st;
    if ((st = kernel_get(device, "optim", "lars_apply", &k)) != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, n, ARG_VIEW_OF(w, 0), ARG_VIEW_OF(g, 0), ARG_VIEW_OF(m, 0),
                            ARG_BUF(arena_chunk_map_buffer(arena)), ARG_I(ARENA_ALIGN),
                            ARG_BUF(arena_table_buffer(arena)),
                            ARG_BUF(arena_entry_scratch_buffer(arena)), ARG_I(n),
                            ARG_F(config->weight_decay), ARG_F(learning_rate),
                            ARG_F(config->momentum));
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
