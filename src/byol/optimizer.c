/* optimizer.c — SGD and LARS updates over a parameter arena (semantics in optimizer.h):
 * which parts and tables of the arena; the kernels are ops' (src/ops/optim.c). */
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

/* The arena's optimizer tables as the kernels read them. */
static ParamTable param_table(const Arena *arena) {
    return (ParamTable){arena_table_buffer(arena), arena_entry_count(arena), arena_chunk_map_buffer(arena),
                        ARENA_ALIGN};
}

Status lars_compute_trust_ratios(Arena *arena, const OptimizerConfig *config) {
    Status st = check_trained(arena, "lars");
    if (st != BC_OK) return st;
    ParamTable table = param_table(arena);
    return lars_trust_ratios(arena_device(arena), arena_entry_scratch_buffer(arena),
                             view_of(arena_buffer(arena, ARENA_PARAMS)), view_of(arena_buffer(arena, ARENA_GRADS)),
                             &table, config->weight_decay, config->trust_coefficient);
}

Status optimizer_step(Arena *arena, const OptimizerConfig *config, float learning_rate) {
    Status st = check_trained(arena, "optimizer_step");
    size_t n = arena_floats(arena, ARENA_PARAMS);
    if (st != BC_OK || n == 0) return st;
    Device *device = arena_device(arena);
    View w = view_of(arena_buffer(arena, ARENA_PARAMS)), g = view_of(arena_buffer(arena, ARENA_GRADS)),
         m = view_of(arena_buffer(arena, ARENA_MOMENTUM));
    ParamTable table = param_table(arena);
    if (config->kind == OPTIMIZER_SGD)
        return sgd_apply(device, w, g, m, &table, n, config->weight_decay, learning_rate, config->momentum);
    if ((st = lars_compute_trust_ratios(arena, config)) != BC_OK) return st;
    return lars_apply(device, w, g, m, &table, arena_entry_scratch_buffer(arena), n, config->weight_decay,
                      learning_rate, config->momentum);
}
