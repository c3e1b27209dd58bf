/* batchnorm_ref.c — plain-C batch normalization in double (see batchnorm_ref.h). */
#include <math.h>
#include <stddef.h>

#include "ref/batchnorm_ref.h"

static size_t at(int i, int ch, int s, int c, int spatial) {
    return ((size_t)i * c + ch) * spatial + s;
}

void batchnorm_ref_forward_train(double *out, double *save_mean, double *save_invstd,
                                 double *running_mean, double *running_var, const double *in,
                                 const double *gamma, const double *beta, int n, int c,
                                 int spatial, double eps, double momentum) {
    double count = (double)n * spatial;
    for (int ch = 0; ch < c; ch++) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < spatial; s++) sum += in[at(i, ch, s, c, spatial)];
        double mean = sum / count, m2 = 0;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < spatial; s++) {
                double d = in[at(i, ch, s, c, spatial)] - mean;
                m2 += d * d;
            }
        double invstd = 1.0 / sqrt(m2 / count + eps);
        for (int i = 0; i < n; i++)
            for (int s = 0; s < spatial; s++) {
                size_t k = at(i, ch, s, c, spatial);
                out[k] = (in[k] - mean) * invstd * gamma[ch] + beta[ch];
            }
        if (save_mean) save_mean[ch] = mean;
        if (save_invstd) save_invstd[ch] = invstd;
        double unbiased = count > 1 ? m2 / (count - 1) : 0;
        if (running_mean) running_mean[ch] = (1 - momentum) * running_mean[ch] + momentum * mean;
        if (running_var) running_var[ch] = (1 - momentum) * running_var[ch] + momentum * unbiased;
    }
}

void batchnorm_ref_forward_eval(double *out, const double *in, const double *gamma,
                                const double *beta, const double *running_mean,
                                const double *running_var, int n, int c, int spatial, double eps) {
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            double invstd = 1.0 / sqrt(running_var[ch] + eps);
            for (int s = 0; s < spatial; s++) {
                size_t k = at(i, ch, s, c, spatial);
                out[k] = (in[k] - running_mean[ch]) * invstd * gamma[ch] + beta[ch];
            }
        }
}

void batchnorm_ref_backward(double *d_in, double *d_gamma, double *d_beta, const double *d_out,
                            const double *in, const double *save_mean, const double *save_invstd,
                            const double *gamma, int n, int c, int spatial) {
    double count = (double)n * spatial;
    for (int ch = 0; ch < c; ch++) {
        double sum_dy = 0, sum_dy_xhat = 0;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < spatial; s++) {
                size_t k = at(i, ch, s, c, spatial);
                sum_dy += d_out[k];
                sum_dy_xhat += d_out[k] * (in[k] - save_mean[ch]) * save_invstd[ch];
            }
        d_beta[ch] += sum_dy;
        d_gamma[ch] += sum_dy_xhat;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < spatial; s++) {
                size_t k = at(i, ch, s, c, spatial);
                double xhat = (in[k] - save_mean[ch]) * save_invstd[ch];
                d_in[k] = gamma[ch] * save_invstd[ch] *
                          (d_out[k] - sum_dy / count - xhat * sum_dy_xhat / count);
            }
    }
}
