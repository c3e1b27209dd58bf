/* optimizer_ref.c — SGD and LARS on the host in double (see optimizer_ref.h). */
#include <math.h>
#include <stdlib.h>

#include "ref/optimizer_ref.h"

static double norm2(const double *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

void optimizer_ref_step(const Arena *arena, const OptimizerConfig *cfg, double lr, double *w, const double *g,
                        double *v) {
    for (int e = 0; e < arena_entry_count(arena); e++) {
        const ArenaEntry *entry = arena_entry(arena, e);
        if (entry->kind == PARAM_BN_STAT) continue;
        bool decays = entry->kind == PARAM_WEIGHT;
        size_t o = entry->offset, n = entry->count;
        double *u = malloc(n * sizeof(double));
        if (!u) abort();
        for (size_t i = 0; i < n; i++) u[i] = g[o + i] + (decays ? cfg->weight_decay * w[o + i] : 0.0);
        if (cfg->kind == OPTIMIZER_SGD) {
            for (size_t i = 0; i < n; i++) {
                v[o + i] = cfg->momentum * v[o + i] + u[i];
                w[o + i] -= lr * v[o + i];
            }
        } else {
            double trust = 1.0, wn = norm2(w + o, n), un = norm2(u, n);
            if (decays && wn > 0 && un > 0) trust = cfg->trust_coefficient * wn / un;
            for (size_t i = 0; i < n; i++) {
                v[o + i] = -lr * trust * u[i] + cfg->momentum * v[o + i];
                w[o + i] += v[o + i];
            }
        }
        free(u);
    }
}
