/* knn_ref.c — brute-force weighted kNN in double (see knn_ref.h). */
#include <math.h>
#include <stdlib.h>

#include "ref/knn_ref.h"

typedef struct {
    double sim;
    size_t index;
} Scored;

static int more_similar_first(const void *a, const void *b) {
    const Scored *x = a, *y = b;
    if (x->sim != y->sim) return x->sim > y->sim ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static double norm(const float *v, int dim) {
    double s = 0;
    for (int d = 0; d < dim; d++) s += (double)v[d] * v[d];
    return fmax(sqrt(s), 1e-12);
}

void knn_predict_ref(const float *train, const int32_t *train_labels, size_t n_train, const float *test,
                     size_t n_test, int dim, int classes, int k, double temperature, int32_t *predictions) {
    Scored *scored = malloc(n_train * sizeof *scored);
    double *votes = malloc((size_t)classes * sizeof *votes);
    if ((size_t)k > n_train) k = (int)n_train;
    for (size_t i = 0; i < n_test; i++) {
        const float *q = test + i * (size_t)dim;
        double qn = norm(q, dim);
        for (size_t j = 0; j < n_train; j++) {
            const float *t = train + j * (size_t)dim;
            double dot = 0;
            for (int d = 0; d < dim; d++) dot += (double)q[d] * t[d];
            scored[j] = (Scored){dot / (qn * norm(t, dim)), j};
        }
        qsort(scored, n_train, sizeof *scored, more_similar_first);
        for (int c = 0; c < classes; c++) votes[c] = 0;
        for (int j = 0; j < k; j++) votes[train_labels[scored[j].index]] += exp(scored[j].sim / temperature);
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (votes[c] > votes[best]) best = c;
        predictions[i] = best;
    }
    free(scored);
    free(votes);
}
