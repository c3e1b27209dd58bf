/* optim_ref.h — plain-C optimizer updates in double, written straight from PyTorch's SGD
 * and optax.lars, the target EMA and the non-finite count: the reference for cl/optim.cl.
 * A table has `entries` rows of ARENA_TABLE_COLUMNS ints (offset, count, flags), flags
 * ARENA_FLAG_DECAY (weight decay) and ARENA_FLAG_ADAPT (LARS trust ratio), as in arena.h. */
#ifndef BYOLCL_OPTIM_REF_H
#define BYOLCL_OPTIM_REF_H

#include <stddef.h>

#include "byolcl/arena.h"

/* v = momentum*v + (g + wd*w [DECAY]); w -= lr*v, over every row's floats. */
void sgd_ref(double *w, double *v, const float *g, const int *table, int entries, double wd, double lr,
             double momentum);
/* eta*||w||/||g + wd*w|| for a row flagged ADAPT (decay where flagged DECAY); 1 otherwise
 * and where either norm is 0. */
double lars_trust_ratio_ref(const double *w, const float *g, const int *row, double wd, double eta);
/* t = -lr*(g + wd*w [DECAY])*trust [ADAPT] + momentum*t; w += t. */
void lars_ref(double *w, double *t, const float *g, const int *table, int entries, double wd, double eta,
              double lr, double momentum);
/* target = tau*target + (1 - tau)*online */
void ema_ref(double *target, const float *online, size_t n, double tau);
int count_nonfinite_ref(const float *x, size_t n);

#endif
