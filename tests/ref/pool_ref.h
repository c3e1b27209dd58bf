/* pool_ref.h — plain-C max pool 3x3 stride 2 pad 1 and global average pool in double: the
 * reference for cl/pool.cl. Layout (n, c, h, w). */
#ifndef BYOLCL_POOL_REF_H
#define BYOLCL_POOL_REF_H

/* argmax: per output, the index within its (n, c) plane of the first maximum in scan order. */
void maxpool_ref_forward(double *out, int *argmax, const double *in, int n, int c, int h, int w);
/* d_in = scatter of d_out to the argmax positions (the reference may scatter; the device
 * gathers). */
void maxpool_ref_backward(double *d_in, const double *d_out, const int *argmax, int n, int c,
                          int h, int w);
void global_avgpool_ref_forward(double *out, const double *in, int n, int c, int h, int w);
void global_avgpool_ref_backward(double *d_in, const double *d_out, int n, int c, int h, int w);

#endif
