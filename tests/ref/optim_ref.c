/* optim_ref.c — plain-C SGD, LARS, EMA and non-finite count in double (see optim_ref.h). */
#include "ref/optim_ref.h"

#include <math.h>

void sgd_ref(double *w, double *v, const float *g, const int *table, int entries, double wd, double lr,
             double momentum) {
    for (int e = 0; e < entries; e++) {
        const int *row = table + ARENA_TABLE_COLUMNS * e;
        double decay = row[2] & ARENA_FLAG_DECAY ? wd : 0.0;
        for (int j = row[0]; j < row[0] + row[1]; j++) {
            v[j] = momentum * v[j] + (g[j] + decay * w[j]);
            w[j] -= lr * v[j];
        }
    }
}

double lars_trust_ratio_ref(const double *w, const float *g, const int *row, double wd, double eta) {
    if (!(row[2] & ARENA_FLAG_ADAPT)) return 1.0;
    double decay = row[2] & ARENA_FLAG_DECAY ? wd : 0.0, sw = 0, su = 0;
    for (int j = row[0]; j < row[0] + row[1]; j++) {
        double u = g[j] + decay * w[j];
        sw += w[j] * w[j];
        su += u * u;
    }
    return sw == 0 || su == 0 ? 1.0 : eta * sqrt(sw) / sqrt(su);
}

void lars_ref(double *w, double *t, const float *g, const int *table, int entries, double wd, double eta,
              double lr, double momentum) {
    for (int e = 0; e < entries; e++) {
        const int *row = table + ARENA_TABLE_COLUMNS * e;
        double decay = row[2] & ARENA_FLAG_DECAY ? wd : 0.0;
        double trust = lars_trust_ratio_ref(w, g, row, wd, eta);
        for (int j = row[0]; j < row[0] + row[1]; j++) {
            t[j] = -lr * ((g[j] + decay * w[j]) * trust) + momentum * t[j];
            w[j] += t[j];
        }
    }
}

void ema_ref(double *target, const float *online, size_t n, double tau) {
    for (size_t i = 0; i < n; i++) target[i] = tau * target[i] + (1 - tau) * online[i];
}

int count_nonfinite_ref(const float *x, size_t n) {
    int count = 0;
    for (size_t i = 0; i < n; i++) count += !isfinite(x[i]);
    return count;
}
