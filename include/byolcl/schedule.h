/* schedule.h — the BYOL schedules as pure host functions: learning rate (linear warmup,
 * then cosine decay to 0) and the target EMA rate tau (cosine from tau_base to 1).
 *
 * Steps count from 0: step k is the (k+1)-th optimizer update. The values for step k are the
 * ones that update uses, as in the BYOL reference code (byol/utils/schedules.py):
 *   peak  = base_lr * batch / 256
 *   lr(k) = peak * k / W                                    for k < W (so lr(0) = 0)
 *         = peak * (1 + cos(pi * min(k - W, K - W) / (K - W))) / 2   for k >= W
 *   tau(k) = 1 - (1 - tau_base) * (cos(pi * min(k, K) / K) + 1) / 2
 * with W warmup steps and K total steps: tau(0) = tau_base for the EMA after the first
 * update, tau(K) = 1. When K <= W there is no room to decay and lr stays at peak after
 * warmup; K <= 0 gives tau = tau_base. tau_base 0 is the paper's ablation "target = online
 * with a stop-gradient" (BYOL table 5a) and stays 0 at every step; tau_base 1 never moves
 * the target (a fixed random network). */
#ifndef BYOLCL_SCHEDULE_H
#define BYOLCL_SCHEDULE_H

#include <stdint.h>

typedef struct {
    double base_lr;       /* per 256 images: 0.2 in the paper (LARS) */
    int batch;
    int64_t warmup_steps; /* W */
    int64_t total_steps;  /* K */
} LrSchedule;

double peak_learning_rate(const LrSchedule *s);
double learning_rate_at(const LrSchedule *s, int64_t step);
double target_tau_at(double tau_base, int64_t step, int64_t total_steps);

#endif
