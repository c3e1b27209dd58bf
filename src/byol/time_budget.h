/* time_budget.h — `byolcl train --minutes N`: the run's length planned from its measured step
 * time, so that the learning-rate and tau schedules end when the budget does.
 *
 * The plan is made at step TIME_BUDGET_PLAN_STEP from the steps after the first two (which
 * pay for first-use costs), and refined at every loss read-back until half the budget has
 * passed, from the average pace since then (kNN monitors and checkpoints included). A
 * refinement that moves the end by less than TIME_BUDGET_TOLERANCE is ignored, so the
 * schedules do not jitter. Pure arithmetic on times the caller passes: tested with a fake
 * clock. */
#ifndef BYOLCL_TIME_BUDGET_H
#define BYOLCL_TIME_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define TIME_BUDGET_WARM_STEPS 2
#define TIME_BUDGET_PLAN_STEP 10
#define TIME_BUDGET_TOLERANCE 0.005

typedef struct {
    double deadline;           /* clock time at which the run should be done */
    double reserve_s;          /* kept for the final checkpoint */
    int64_t first_step;        /* where this invocation started */
    int64_t pace_from_step;    /* the step whose end started the pace measurement, -1 before */
    double pace_from_time;
    double refine_until;       /* clock time after which the plan stays as it is */
    bool planned;
} TimeBudget;

/* `seconds` of budget left from `now` (a resumed run passes what its checkpoint had not
 * spent), the invocation starting at `first_step`. */
void time_budget_start(TimeBudget *b, double seconds, double now, int64_t first_step);
/* Whether the step just finished must be waited for: the warm-up end and the first plan
 * need the device's real time, not the queue's. */
bool time_budget_needs_finish(const TimeBudget *b, int64_t steps_done);
/* Called with the device idle after `steps_done` steps: records the pace start, or plans
 * / refines the end. Returns the total step count to use (current_total when unchanged). */
int64_t time_budget_observe(TimeBudget *b, int64_t steps_done, double now, int64_t current_total);
/* The seconds per step the plan rests on (0 before the first plan). */
double time_budget_pace(const TimeBudget *b, int64_t steps_done, double now);

#endif
