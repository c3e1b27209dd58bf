/* linear_ref.h — plain-C reference fully connected layer in double; weight (out, in). */
#ifndef BYOLCL_LINEAR_REF_H
#define BYOLCL_LINEAR_REF_H

/* out (batch, out_f) = in (batch, in_f) * weight^T + bias (bias may be NULL) */
void linear_forward_ref(double *out, const double *in, const double *weight, const double *bias,
                        int batch, int in_f, int out_f);
/* d_in = d_out * weight (skipped when NULL); d_weight += d_out^T * in; d_bias += column sums
 * of d_out (skipped when NULL) */
void linear_backward_ref(double *d_in, double *d_weight, double *d_bias, const double *d_out,
                         const double *in, const double *weight, int batch, int in_f, int out_f);

#endif
