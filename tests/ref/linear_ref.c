/* linear_ref.c — plain-C reference fully connected layer in double. */
#include <stddef.h>

#include "ref/linear_ref.h"

void linear_forward_ref(double *out, const double *in, const double *weight, const double *bias,
                        int batch, int in_f, int out_f) {
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < out_f; o++) {
            double sum = bias ? bias[o] : 0.0;
            for (int i = 0; i < in_f; i++) sum += in[(long)b * in_f + i] * weight[(long)o * in_f + i];
            out[(long)b * out_f + o] = sum;
        }
}

void linear_backward_ref(double *d_in, double *d_weight, double *d_bias, const double *d_out,
                         const double *in, const double *weight, int batch, int in_f, int out_f) {
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < out_f; o++) {
            double g = d_out[(long)b * out_f + o];
            if (d_bias) d_bias[o] += g;
            for (int i = 0; i < in_f; i++) d_weight[(long)o * in_f + i] += g * in[(long)b * in_f + i];
        }
    if (!d_in) return;
    for (int b = 0; b < batch; b++)
        for (int i = 0; i < in_f; i++) {
            double sum = 0.0;
            for (int o = 0; o < out_f; o++) sum += d_out[(long)b * out_f + o] * weight[(long)o * in_f + i];
            d_in[(long)b * in_f + i] = sum;
        }
}
