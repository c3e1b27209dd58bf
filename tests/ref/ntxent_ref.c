/* ntxent_ref.c — plain-C NT-Xent and the collapse monitor in double (see ntxent_ref.h). */
#include <math.h>
#include <stdlib.h>

#include "ref/loss_ref.h"
#include "ref/ntxent_ref.h"

static double dot(const double *a, const double *b, int dim) {
    double s = 0.0;
    for (int j = 0; j < dim; j++) s += a[j] * b[j];
    return s;
}

static int positive_of(int i, int rows) { return i < rows / 2 ? i + rows / 2 : i - rows / 2; }

/* Logits l_ik = cos(z_i, z_k) / t and, per row, the softmax over k != i. */
static void softmax_rows(double *probs, const double *n, int rows, int dim, double temperature) {
    for (int i = 0; i < rows; i++) {
        double top = -INFINITY, sum = 0.0;
        double *p = probs + (size_t)i * rows;
        for (int k = 0; k < rows; k++) {
            p[k] = dot(n + (size_t)i * dim, n + (size_t)k * dim, dim) / temperature;
            if (k != i && p[k] > top) top = p[k];
        }
        for (int k = 0; k < rows; k++) sum += k == i ? 0.0 : exp(p[k] - top);
        for (int k = 0; k < rows; k++) p[k] = k == i ? 0.0 : exp(p[k] - top) / sum;
    }
}

double ntxent_ref_forward(const double *z, int rows, int dim, double temperature) {
    double *n = malloc((size_t)rows * dim * sizeof *n), *probs = malloc((size_t)rows * rows * sizeof *probs);
    if (!n || !probs) abort();
    l2_normalize_ref_forward(n, z, rows, dim);
    softmax_rows(probs, n, rows, dim, temperature);
    double loss = 0.0;
    for (int i = 0; i < rows; i++) loss -= log(probs[(size_t)i * rows + positive_of(i, rows)]);
    free(n);
    free(probs);
    return loss / rows;
}

void ntxent_ref_backward(double *d_z, const double *z, int rows, int dim, double temperature) {
    double *n = malloc((size_t)rows * dim * sizeof *n), *probs = malloc((size_t)rows * rows * sizeof *probs);
    double *d_n = calloc((size_t)rows * dim, sizeof *d_n);
    if (!n || !probs || !d_n) abort();
    l2_normalize_ref_forward(n, z, rows, dim);
    softmax_rows(probs, n, rows, dim, temperature);
    /* Row i's term depends on n_i through every l_ik and on each n_k through l_ik. */
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < rows; k++) {
            if (k == i) continue;
            double g = (probs[(size_t)i * rows + k] - (k == positive_of(i, rows))) / (rows * temperature);
            for (int j = 0; j < dim; j++) {
                d_n[(size_t)i * dim + j] += g * n[(size_t)k * dim + j];
                d_n[(size_t)k * dim + j] += g * n[(size_t)i * dim + j];
            }
        }
    l2_normalize_ref_backward(d_z, d_n, z, rows, dim);
    free(n);
    free(probs);
    free(d_n);
}

void l2_normalize_ref_backward(double *d_in, const double *d_out, const double *in, int batch, int dim) {
    for (int i = 0; i < batch; i++) {
        const double *x = in + (size_t)i * dim, *g = d_out + (size_t)i * dim;
        double *d = d_in + (size_t)i * dim;
        double norm = sqrt(dot(x, x, dim));
        if (norm <= 1e-12) {
            for (int j = 0; j < dim; j++) d[j] = g[j] / 1e-12;
            continue;
        }
        double xg = dot(x, g, dim);
        for (int j = 0; j < dim; j++) d[j] = g[j] / norm - x[j] * xg / (norm * norm * norm);
    }
}

double collapse_monitor_ref(const double *z, int batch, int dim) {
    double *n = malloc((size_t)batch * dim * sizeof *n);
    if (!n) abort();
    l2_normalize_ref_forward(n, z, batch, dim);
    double total = 0.0;
    for (int j = 0; j < dim; j++) {
        double mean = 0.0, squares = 0.0;
        for (int i = 0; i < batch; i++) mean += n[(size_t)i * dim + j];
        mean /= batch;
        for (int i = 0; i < batch; i++) squares += (n[(size_t)i * dim + j] - mean) * (n[(size_t)i * dim + j] - mean);
        total += sqrt(squares / (batch - 1));
    }
    free(n);
    return total / dim;
}
