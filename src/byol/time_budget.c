/* time_budget.c — planning a run's length from a time budget (see time_budget.h). */
#include <math.h>
#include <stdlib.h>

#include "byol/time_budget.h"

void time_budget_start(TimeBudget *b, double seconds, double now, int64_t first_step) {
    b->deadline = now + seconds;
    /* The final checkpoint and summary: 1% of the budget, at least 1 s, at most 10 s. */
    b->reserve_s = fmin(10.0, fmax(1.0, 0.01 * seconds));
    if (b->reserve_s > 0.5 * seconds) b->reserve_s = 0.5 * seconds;
    b->first_step = first_step;
    b->pace_from_step = -1;
    b->pace_from_time = 0;
    b->refine_until = now + 0.5 * seconds;
    b->planned = false;
}

bool time_budget_needs_finish(const TimeBudget *b, int64_t steps_done) {
    int64_t done_here = steps_done - b->first_step;
    return !b->planned && (done_here == TIME_BUDGET_WARM_STEPS || done_here == TIME_BUDGET_PLAN_STEP);
}

double time_budget_pace(const TimeBudget *b, int64_t steps_done, double now) {
    if (b->pace_from_step < 0 || steps_done <= b->pace_from_step) return 0;
    return (now - b->pace_from_time) / (double)(steps_done - b->pace_from_step);
}

int64_t time_budget_observe(TimeBudget *b, int64_t steps_done, double now, int64_t current_total) {
    int64_t done_here = steps_done - b->first_step;
    if (b->pace_from_step < 0) {
        if (done_here < TIME_BUDGET_WARM_STEPS) return current_total;
        b->pace_from_step = steps_done;
        b->pace_from_time = now;
        /* Out of time already (startup ate the budget): end here. */
        if (now >= b->deadline - b->reserve_s) {
            b->planned = true;
            return steps_done;
        }
        return current_total;
    }
    if (b->planned ? now > b->refine_until : done_here < TIME_BUDGET_PLAN_STEP) return current_total;
    double pace = time_budget_pace(b, steps_done, now);
    if (!(pace > 0)) return current_total;
    double left = b->deadline - b->reserve_s - now;
    int64_t total = steps_done + (left > 0 ? (int64_t)floor(left / pace) : 0);
    if (b->planned && llabs(total - current_total) <= (int64_t)(TIME_BUDGET_TOLERANCE * (double)current_total))
        return current_total;
    b->planned = true;
    return total;
}
