/* batchnorm_ref.h — plain-C batch normalization in double: the reference for
 * cl/batchnorm.cl and the function the gradient checks differentiate. */
#ifndef BYOLCL_BATCHNORM_REF_H
#define BYOLCL_BATCHNORM_REF_H

/* Layout (n, c, spatial). Writes out, save_mean, save_invstd (biased var) and moves the
 * running statistics (unbiased var) by `momentum`; either running pointer may be NULL. */
void batchnorm_ref_forward_train(double *out, double *save_mean, double *save_invstd,
                                 double *running_mean, double *running_var, const double *in,
                                 const double *gamma, const double *beta, int n, int c,
                                 int spatial, double eps, double momentum);
void batchnorm_ref_forward_eval(double *out, const double *in, const double *gamma,
                                const double *beta, const double *running_mean,
                                const double *running_var, int n, int c, int spatial, double eps);
/* d_in =; d_gamma, d_beta += */
void batchnorm_ref_backward(double *d_in, double *d_gamma, double *d_beta, const double *d_out,
                            const double *in, const double *save_mean, const double *save_invstd,
                            const double *gamma, int n, int c, int spatial);

#endif
