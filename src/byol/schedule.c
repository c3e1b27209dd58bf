/* schedule.c — learning-rate and target-EMA schedules (definitions and off-by-one
 * conventions in schedule.h). */
#include <math.h>

#include "byolcl/schedule.h"

static const double PI = 3.14159265358979323846;

/* value * (1 + cos(pi * min(step, steps) / steps)) / 2 */
static double cosine_decay(double value, int64_t step, int64_t steps) {
    if (steps <= 0) return value;
    if (step > steps) step = steps;
    if (step < 0) step = 0;
    return value * 0.5 * (1.0 + cos(PI * (double)step / (double)steps));
}

double peak_learning_rate(const LrSchedule *s) { return s->base_lr * s->batch / 256.0; }

double learning_rate_at(const LrSchedule *s, int64_t step) {
    double peak = peak_learning_rate(s);
    if (step < s->warmup_steps) return peak * (double)(step < 0 ? 0 : step) / (double)s->warmup_steps;
    return cosine_decay(peak, step - s->warmup_steps, s->total_steps - s->warmup_steps);
}

double target_tau_at(double tau_base, int64_t step, int64_t total_steps) {
    if (tau_base == 0.0) return 0.0; /* the paper's stop-gradient ablation keeps tau = 0 throughout */
    return 1.0 - (1.0 - tau_base) * cosine_decay(1.0, step, total_steps);
}
