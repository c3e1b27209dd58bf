/* ntxent_ref.h — plain-C NT-Xent (SimCLR), the backward of L2 normalization and the
 * collapse monitor in double: the references for cl/ntxent.cl and cl/collapse.cl. Rows are
 * (rows, dim) row-major; rows i and i + rows/2 are the two views of one image. */
#ifndef BYOLCL_NTXENT_REF_H
#define BYOLCL_NTXENT_REF_H

/* mean over rows of -log(exp(cos(z_i, z_p) / t) / sum_{k != i} exp(cos(z_i, z_k) / t)) */
double ntxent_ref_forward(const double *z, int rows, int dim, double temperature);
/* d_z = dL/dz, derived directly (not through the device's factorization) */
void ntxent_ref_backward(double *d_z, const double *z, int rows, int dim, double temperature);
/* d_in = J^T d_out for y = x / max(|x|, 1e-12), per row */
void l2_normalize_ref_backward(double *d_in, const double *d_out, const double *in, int batch, int dim);
/* mean over columns of the sample std over rows of the L2-normalized rows */
double collapse_monitor_ref(const double *z, int batch, int dim);

#endif
