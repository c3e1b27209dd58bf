/* conv2d_ref.c — plain-C reference convolution in double: the direct seven-loop form, so it
 * shares nothing with the device's im2col + GEMM. */
#include <string.h>

#include "ref/conv2d_ref.h"

/* Calls visit(in index, weight index, out index) for every multiply of the convolution. */
#define CONV_FOR_EACH_TAP(s, oh, ow, BODY)                                                     \
    for (int b = 0; b < (s)->n; b++)                                                           \
        for (int co = 0; co < (s)->c_out; co++)                                                \
            for (int oy = 0; oy < (oh); oy++)                                                  \
                for (int ox = 0; ox < (ow); ox++)                                              \
                    for (int ci = 0; ci < (s)->c_in; ci++)                                     \
                        for (int ky = 0; ky < (s)->kernel_h; ky++)                             \
                            for (int kx = 0; kx < (s)->kernel_w; kx++) {                       \
                                int y = oy * (s)->stride - (s)->pad + ky;                      \
                                int x = ox * (s)->stride - (s)->pad + kx;                      \
                                if (y < 0 || y >= (s)->h || x < 0 || x >= (s)->w) continue;    \
                                long in_i = (((long)b * (s)->c_in + ci) * (s)->h + y) * (s)->w + x; \
                                long w_i = (((long)co * (s)->c_in + ci) * (s)->kernel_h + ky) *     \
                                               (s)->kernel_w + kx;                             \
                                long out_i = (((long)b * (s)->c_out + co) * (oh) + oy) * (ow) + ox; \
                                BODY;                                                          \
                            }

void conv2d_forward_ref(double *out, const double *in, const double *weight, const Conv2dShape *s) {
    int oh = conv2d_out_h(s), ow = conv2d_out_w(s);
    memset(out, 0, sizeof(double) * (size_t)s->n * s->c_out * oh * ow);
    CONV_FOR_EACH_TAP(s, oh, ow, out[out_i] += in[in_i] * weight[w_i])
}

void conv2d_backward_data_ref(double *d_in, const double *d_out, const double *weight,
                              const Conv2dShape *s, bool accumulate) {
    int oh = conv2d_out_h(s), ow = conv2d_out_w(s);
    if (!accumulate) memset(d_in, 0, sizeof(double) * (size_t)s->n * s->c_in * s->h * s->w);
    CONV_FOR_EACH_TAP(s, oh, ow, d_in[in_i] += d_out[out_i] * weight[w_i])
}

void conv2d_backward_weights_ref(double *d_weight, const double *d_out, const double *in,
                                 const Conv2dShape *s) {
    int oh = conv2d_out_h(s), ow = conv2d_out_w(s);
    CONV_FOR_EACH_TAP(s, oh, ow, d_weight[w_i] += d_out[out_i] * in[in_i])
}
