/* pool_ref.c — plain-C max pool and global average pool in double (see pool_ref.h). */
#include <stddef.h>

#include "ref/pool_ref.h"

static int out_size(int size) { return (size + 2 - 3) / 2 + 1; }

void maxpool_ref_forward(double *out, int *argmax, const double *in, int n, int c, int h, int w) {
    int oh = out_size(h), ow = out_size(w);
    for (int plane = 0; plane < n * c; plane++) {
        const double *x = in + (size_t)plane * h * w;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int best = -1;
                for (int y = 2 * oy - 1; y <= 2 * oy + 1; y++)
                    for (int xx = 2 * ox - 1; xx <= 2 * ox + 1; xx++) {
                        if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                        if (best < 0 || x[y * w + xx] > x[best]) best = y * w + xx;
                    }
                size_t o = (size_t)plane * oh * ow + (size_t)oy * ow + ox;
                out[o] = x[best];
                argmax[o] = best;
            }
    }
}

void maxpool_ref_backward(double *d_in, const double *d_out, const int *argmax, int n, int c,
                          int h, int w) {
    int oh = out_size(h), ow = out_size(w);
    for (size_t i = 0; i < (size_t)n * c * h * w; i++) d_in[i] = 0;
    for (int plane = 0; plane < n * c; plane++)
        for (int o = 0; o < oh * ow; o++) {
            size_t k = (size_t)plane * oh * ow + o;
            d_in[(size_t)plane * h * w + argmax[k]] += d_out[k];
        }
}

void global_avgpool_ref_forward(double *out, const double *in, int n, int c, int h, int w) {
    int spatial = h * w;
    for (int plane = 0; plane < n * c; plane++) {
        double sum = 0;
        for (int s = 0; s < spatial; s++) sum += in[(size_t)plane * spatial + s];
        out[plane] = sum / spatial;
    }
}

void global_avgpool_ref_backward(double *d_in, const double *d_out, int n, int c, int h, int w) {
    int spatial = h * w;
    for (int plane = 0; plane < n * c; plane++)
        for (int s = 0; s < spatial; s++) d_in[(size_t)plane * spatial + s] = d_out[plane] / spatial;
}
