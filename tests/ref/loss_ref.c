/* loss_ref.c — plain-C losses in double (see loss_ref.h). */
#include <math.h>
#include <stddef.h>

#include "ref/loss_ref.h"

static const double l2_eps = 1e-12;

static double norm(const double *x, int dim) {
    double ss = 0;
    for (int j = 0; j < dim; j++) ss += x[j] * x[j];
    return sqrt(ss);
}

void l2_normalize_ref_forward(double *out, const double *in, int batch, int dim) {
    for (int r = 0; r < batch; r++) {
        const double *x = in + (size_t)r * dim;
        double scale = 1.0 / fmax(norm(x, dim), l2_eps);
        for (int j = 0; j < dim; j++) out[(size_t)r * dim + j] = x[j] * scale;
    }
}

double byol_loss_ref_forward(const double *p, const double *z, int batch, int dim) {
    double total = 0;
    for (int r = 0; r < batch; r++) {
        const double *a = p + (size_t)r * dim, *b = z + (size_t)r * dim;
        double dot = 0;
        for (int j = 0; j < dim; j++) dot += a[j] * b[j];
        total += 2 - 2 * dot / (fmax(norm(a, dim), l2_eps) * fmax(norm(b, dim), l2_eps));
    }
    return total / batch;
}

void byol_loss_ref_backward(double *d_p, const double *p, const double *z, int batch, int dim,
                            double scale) {
    for (int r = 0; r < batch; r++) {
        const double *a = p + (size_t)r * dim, *b = z + (size_t)r * dim;
        double *g = d_p + (size_t)r * dim;
        double np = norm(a, dim), nz = fmax(norm(b, dim), l2_eps), dot = 0;
        for (int j = 0; j < dim; j++) dot += a[j] * b[j] / nz;
        double f = -2.0 * scale / batch;
        for (int j = 0; j < dim; j++)
            g[j] = np > l2_eps ? f * (b[j] / nz / np - dot * a[j] / (np * np * np))
                               : f * b[j] / nz / l2_eps;
    }
}

double softmax_cross_entropy_ref_forward(double *probs, const double *logits, const int *labels,
                                         int batch, int classes) {
    double total = 0;
    for (int r = 0; r < batch; r++) {
        const double *x = logits + (size_t)r * classes;
        double top = x[0], sum = 0;
        for (int j = 1; j < classes; j++) top = fmax(top, x[j]);
        for (int j = 0; j < classes; j++) sum += exp(x[j] - top);
        if (probs)
            for (int j = 0; j < classes; j++) probs[(size_t)r * classes + j] = exp(x[j] - top) / sum;
        total += log(sum) - (x[labels[r]] - top);
    }
    return total / batch;
}

void softmax_cross_entropy_ref_backward(double *d_logits, const double *probs, const int *labels,
                                        int batch, int classes) {
    for (int r = 0; r < batch; r++)
        for (int j = 0; j < classes; j++) {
            size_t k = (size_t)r * classes + j;
            d_logits[k] = (probs[k] - (labels[r] == j ? 1.0 : 0.0)) / batch;
        }
}

int loss_guard_ref(int first_bad, const float *loss, int count, int step) {
    if (first_bad >= 0) return first_bad;
    for (int i = 0; i < count; i++)
        if (!isfinite(loss[i])) return step;
    return -1;
}
