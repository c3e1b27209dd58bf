/* train_guard.c — the run's non-finite guard: a device int that a one-work-item kernel sets
 * to the first step whose loss was NaN or infinite (checked every step, read back only when
 * the loss is read anyway or before a checkpoint), and the truthful account of what was
 * saved when it trips. */
#include <stdio.h>

#include "byol/train_internal.h"
#include "byolcl/ops.h"

Status train_guard_create(Device *device, int64_t last_saved_step, TrainGuard *guard) {
    *guard = (TrainGuard){.device = device, .last_saved_step = last_saved_step};
    const int none = -1;
    Status st = buffer_create(device, sizeof none, &guard->first_bad);
    if (st == BC_OK) st = buffer_write(device, guard->first_bad, 0, sizeof none, &none);
    return st;
}

void train_guard_destroy(TrainGuard *guard) {
    buffer_release(guard->first_bad);
    guard->first_bad = NULL;
}

Status train_guard_after_step(TrainGuard *guard, Buffer *loss, int terms, int64_t step) {
    return loss_guard_update(guard->device, view_of(loss), terms, view_of(guard->first_bad),
                             step > INT32_MAX ? INT32_MAX : (int)step);
}

void train_guard_saved(TrainGuard *guard, int64_t step) { guard->last_saved_step = step; }

Status train_guard_check(TrainGuard *guard, const TrainConfig *config, const char *checkpoint_path) {
    int first_bad;
    Status st = buffer_read(guard->device, guard->first_bad, 0, sizeof first_bad, &first_bad);
    if (st != BC_OK || first_bad < 0) return st;
    char saved[4400];
    if (guard->last_saved_step >= 0)
        snprintf(saved, sizeof saved, "The last checkpoint, %s (step %lld, before the divergence), was kept; "
                 "nothing after it was saved.", checkpoint_path, (long long)guard->last_saved_step);
    else
        snprintf(saved, sizeof saved, "Nothing was saved: no checkpoint had been written before step %d.",
                 first_bad);
    return error_set(BC_ERR_NUMERIC,
                     "the loss became NaN or infinite at step %d: training diverged. Likely causes: a "
                     "learning rate too high for this optimizer (--lr, now %g with %s) or no warmup. %s",
                     first_bad, config->base_lr, optimizer_kind_name(config->optimizer.kind), saved);
}
