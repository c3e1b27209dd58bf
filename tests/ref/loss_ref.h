/* loss_ref.h — plain-C L2 normalization, BYOL loss and softmax cross-entropy in double: the
 * reference for cl/loss.cl. Rows are (batch, dim) row-major. */
#ifndef BYOLCL_LOSS_REF_H
#define BYOLCL_LOSS_REF_H

void l2_normalize_ref_forward(double *out, const double *in, int batch, int dim);
/* mean over rows of 2 - 2 cos(p, z), norms clamped at 1e-12 */
double byol_loss_ref_forward(const double *p, const double *z, int batch, int dim);
/* d_p = scale * dL/dp */
void byol_loss_ref_backward(double *d_p, const double *p, const double *z, int batch, int dim,
                            double scale);
/* Returns the mean cross-entropy; probs (batch, classes) may be NULL. */
double softmax_cross_entropy_ref_forward(double *probs, const double *logits, const int *labels,
                                         int batch, int classes);
/* The loss guard: first_bad if it is already >= 0, else step when any of the count values
 * is not finite, else -1. */
int loss_guard_ref(int first_bad, const float *loss, int count, int step);
void softmax_cross_entropy_ref_backward(double *d_logits, const double *probs, const int *labels,
                                        int batch, int classes);

#endif
