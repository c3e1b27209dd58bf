/* scratch.c — scratch_get and the held-slot mask behind SCRATCH_HOLDING (see scratch.h). */
#include "ops/scratch.h"

/* Slots the ops up the call stack hold; per thread, like the ops' calls. */
static _Thread_local unsigned held_by_callers;

unsigned scratch_hold(unsigned slots) {
    unsigned before = held_by_callers;
    held_by_callers |= slots;
    return before;
}

void scratch_restore(unsigned held_before) { held_by_callers = held_before; }

Status scratch_get(Device *device, ScratchSlot slot, size_t bytes, Buffer **out) {
    if (held_by_callers & SCRATCH_BIT(slot))
        return error_set(BC_ERR_USAGE, "scratch slot %d is held by a calling op (src/ops/scratch.h's nesting rule)",
                         (int)slot);
    return device_scratch(device, (int)slot, bytes, out);
}
