/* elementwise_ref.c — plain-C ReLU and residual add in double (see elementwise_ref.h). */
#include "ref/elementwise_ref.h"

void relu_ref_forward(double *out, const double *in, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = in[i] > 0 ? in[i] : 0;
}

void relu_ref_backward(double *d_in, const double *d_out, const double *out, size_t count) {
    for (size_t i = 0; i < count; i++) d_in[i] = out[i] > 0 ? d_out[i] : 0;
}

void residual_add_ref_forward(double *out, const double *a, const double *b, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = a[i] + b[i];
}

void residual_add_ref_backward(double *d_x, const double *d_out, size_t count) {
    for (size_t i = 0; i < count; i++) d_x[i] += d_out[i];
}
