/* ema.c — the target network follows the online one: EMA of the parameters (the kernel is
 * ops' ema_update), copy of the BatchNorm running statistics (see ema.h and the prefix
 * layout in arena.h). */
#include "byolcl/ema.h"

static Status check_pair(const Arena *target, const Arena *online, const char *what) {
    if (!arena_device(target) || arena_device(target) != arena_device(online))
        return error_set(BC_ERR_USAGE, "%s: both arenas must be allocated on the same device", what);
    if (!arena_is_prefix_of(target, online))
        return error_set(BC_ERR_USAGE, "%s: the target's table is not a prefix of the online "
                         "network's (build encoder | projector first, in the same order)", what);
    return BC_OK;
}

static Status copy_prefix(Arena *target, const Arena *online, ArenaPart part) {
    size_t n = arena_floats(target, part);
    if (n == 0) return BC_OK;
    return buffer_copy(arena_device(target), arena_buffer(online, part), 0,
                       arena_buffer(target, part), 0, n * sizeof(float));
}

Status target_copy_from_online(Arena *target, const Arena *online) {
    Status st = check_pair(target, online, "target_copy_from_online");
    if (st == BC_OK) st = copy_prefix(target, online, ARENA_PARAMS);
    if (st == BC_OK) st = copy_prefix(target, online, ARENA_STATE);
    return st;
}

Status target_update(Arena *target, const Arena *online, double tau) {
    Status st = check_pair(target, online, "target_update");
    if (st != BC_OK) return st;
    st = ema_update(arena_device(target), view_of(arena_buffer(target, ARENA_PARAMS)),
                    (View){arena_buffer(online, ARENA_PARAMS), 0},
                    arena_floats(target, ARENA_PARAMS), tau);
    if (st == BC_OK) st = copy_prefix(target, online, ARENA_STATE);
    return st;
}
