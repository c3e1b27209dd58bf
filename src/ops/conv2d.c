/* conv2d.c — convolution (no bias) as im2col + GEMM, forward and both backward passes, over
 * chunks of images so the patch matrix stays within a bounded scratch buffer. With our GEMM
 * the patches are written straight into its packed-panel layout and NCHW tensors are read
 * and written in place (one GEMM per chunk); with CLBlast the patches are plain and each
 * image gets its own GEMM. Stride-1 square kernels on CPU drivers (CONV_DIRECT) skip the
 * patch matrix in forward and backward data: see conv2d_direct.c. On GPUs (CONV_IGEMM) every
 * pass is one implicit GEMM over the whole batch instead: see conv2d_igemm.c. */
#include <string.h>

#include "ops/conv2d_direct.h"
#include "ops/conv2d_igemm.h"
#include "ops/conv2d_paths.h"
#include "ops/conv2d_wgrad.h"
#include "ops/gemm_tiles.h"
#include "ops/scratch.h"

typedef struct {
    int ksize, out_h, out_w, pixels; /* pixels = out_h * out_w */
    int chunk;                       /* images per GEMM */
    bool ours;                       /* our GEMM (fused layouts) or the generic path */
    int lanes;                       /* panel width of the patch matrix (1 = plain) */
    bool vector;                     /* CONV_VECTOR: the panel-at-a-time CPU kernels */
} ConvPlan;

static Status plan(Device *device, const Conv2dShape *s, ConvPlan *p) {
    if (s->n < 0 || s->c_in < 1 || s->c_out < 1 || s->kernel_h < 1 || s->kernel_w < 1 ||
        s->stride < 1 || s->pad < 0 || s->h < 1 || s->w < 1)
        return error_set(BC_ERR_USAGE, "conv2d: bad shape n=%d c_in=%d %dx%d c_out=%d kernel %dx%d "
                         "stride %d pad %d", s->n, s->c_in, s->h, s->w, s->c_out, s->kernel_h,
                         s->kernel_w, s->stride, s->pad);
    p->out_h = conv2d_out_h(s);
    p->out_w = conv2d_out_w(s);
    if (p->out_h < 1 || p->out_w < 1)
        return error_set(BC_ERR_USAGE, "conv2d: kernel %dx%d larger than the padded %dx%d input",
                         s->kernel_h, s->kernel_w, s->h, s->w);
    p->ksize = s->c_in * s->kernel_h * s->kernel_w;
    p->pixels = p->out_h * p->out_w;
    p->ours = device_profile_get(device, "GEMM_PATH") != GEMM_PATH_CLBLAST;
    p->lanes = p->ours ? gemm_tile_n(device) : 1;
    p->vector = device_profile_get(device, "CONV_VECTOR") != 0;
    /* Bounded by CONV_SCRATCH_KB of patches (+ one panel of padding). */
    size_t budget = (size_t)device_profile_get(device, "CONV_SCRATCH_KB") << 10;
    size_t per_image = (size_t)p->ksize * (size_t)p->pixels * sizeof(float);
    size_t chunk = budget / (per_image ? per_image : 1);
    p->chunk = chunk < 1 ? 1 : chunk > (size_t)s->n ? (s->n > 0 ? s->n : 1) : (int)chunk;
    return BC_OK;
}

static size_t patch_floats(const ConvPlan *p, int images) {
    size_t pos = (size_t)images * (size_t)p->pixels, k = (size_t)p->ksize;
    size_t lanes = (size_t)p->lanes;
    /* The padded dimension is the one split into panels: either of them, take the larger. */
    size_t a = (pos + lanes - 1) / lanes * lanes * k, b = (k + lanes - 1) / lanes * lanes * pos;
    return a > b ? a : b;
}

enum { CONV_POS_CHUNK = 32 }; /* as in cl/conv2d.cl */

static Status run_im2col(Device *device, Buffer *cols, View in, const Conv2dShape *s,
                         const ConvPlan *p, int images, bool by_pixel) {
    int npos = images * p->pixels;
    int rows = by_pixel ? p->ksize : npos, qs = by_pixel ? npos : p->ksize;
    size_t panels = (size_t)((qs + p->lanes - 1) / p->lanes);
    const char *name = "im2col";
    size_t items = panels * (size_t)rows;
    if (p->vector && p->lanes > 1) { /* the panel kernels take their width from GEMM_TILE_N */
        name = by_pixel ? "im2col_panels_by_pixel" : "im2col_panels_by_pos";
        items = by_pixel ? panels : panels * (size_t)((npos + CONV_POS_CHUNK - 1) / CONV_POS_CHUNK);
    }
    Kernel *kernel;
    Status st = kernel_get(device, "conv2d", name, &kernel);
    if (st != BC_OK) return st;
    KernelArg args[] = {ARG_VIEW_OF(cols, 0), ARG_VIEW(in), ARG_I(images), ARG_I(s->c_in),
                        ARG_I(s->h), ARG_I(s->w), ARG_I(s->kernel_h), ARG_I(s->kernel_w),
                        ARG_I(s->stride), ARG_I(s->pad), ARG_I(p->out_h), ARG_I(p->out_w),
                        ARG_I(p->lanes), ARG_I(by_pixel)};
    int count = (int)(sizeof args / sizeof *args);
    return kernel_launch_1d(device, kernel, items, args, strcmp(name, "im2col") == 0 ? count : count - 2);
}

/* An NCHW tensor of `images` images with `channels` channels as a grouped matrix
 * (channel x (image, pixel)). */
static GemmLayout nchw_as_matrix(View v, int channels, int pixels) {
    return (GemmLayout){v, pixels, 1, pixels, channels * pixels};
}

/* out = conv(in, weight) + beta * out (beta is 0 or 1). */
static Status forward_into(Device *device, View out, View in, View weight, const Conv2dShape *s,
                           float beta) {
    ConvPlan p;
    Status st = plan(device, s, &p);
    if (st == BC_OK && conv2d_direct_applies(device, s)) return conv2d_direct_into(device, out, in, weight, s, false, beta);
    for (int img0 = 0; st == BC_OK && img0 < s->n; img0 += p.chunk) {
        int images = s->n - img0 < p.chunk ? s->n - img0 : p.chunk;
        View in_c = view_at(in, (size_t)img0 * s->c_in * s->h * s->w);
        View out_c = view_at(out, (size_t)img0 * s->c_out * p.pixels);
        Buffer *cols;
        st = scratch_get(device, SCRATCH_CONV_COLUMNS, patch_floats(&p, images) * sizeof(float), &cols);
        if (st == BC_OK) st = run_im2col(device, cols, in_c, s, &p, images, true);
        if (st != BC_OK) break;
        if (p.ours) {
            GemmLayout a = gemm_layout_plain(weight, p.ksize);
            GemmLayout c = nchw_as_matrix(out_c, s->c_out, p.pixels);
            SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_COLUMNS),
                            st = gemm_tiles(device, s->c_out, images * p.pixels, p.ksize, 1.0f, &a,
                                            view_of(cols), beta, &c));
            continue;
        }
        /* Plain patches^T (pixels x ksize) per image. */
        for (int i = 0; st == BC_OK && i < images; i++)
            SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_COLUMNS),
                            st = gemm(device, false, true, s->c_out, p.pixels, p.ksize, 1.0f, weight, p.ksize,
                                      view_at(view_of(cols), (size_t)i * p.pixels * p.ksize), p.ksize, beta,
                                      view_at(out_c, (size_t)i * s->c_out * p.pixels), p.pixels));
    }
    return st;
}

Status conv2d_forward(Device *device, View out, View in, View weight, const Conv2dShape *s) {
    ConvPlan p;
    Status st = plan(device, s, &p);
    if (st == BC_OK)
        st = conv2d_igemm_applies(device, s) ? conv2d_igemm_forward(device, out, in, weight, s, 0.0f)
                                             : forward_into(device, out, in, weight, s, 0.0f);
    return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_forward: ");
}

static Status run_col2im(Device *device, View d_in, Buffer *cols, int ld, const Conv2dShape *s,
                         const ConvPlan *p, int images, bool accumulate) {
    /* col2im_panels divides by a 16-bit reciprocal, exact within these bounds. */
    bool panels = p->vector && s->stride <= 16 && s->h + s->pad < 4096 && s->w + s->pad < 4096;
    bool stride2 = p->vector && s->stride == 2; /* the model's downsampling layers */
    Kernel *kernel;
    Status st = kernel_get(device, "conv2d",
                           stride2 ? "col2im_stride2" : panels ? "col2im_panels" : "col2im", &kernel);
    if (st != BC_OK) return st;
    KernelArg args[] = {ARG_VIEW(d_in), ARG_VIEW_OF(cols, 0), ARG_I(ld), ARG_I(images),
                        ARG_I(s->c_in), ARG_I(s->h), ARG_I(s->w), ARG_I(s->kernel_h),
                        ARG_I(s->kernel_w), ARG_I(s->stride), ARG_I(s->pad), ARG_I(p->out_h),
                        ARG_I(p->out_w), ARG_I(accumulate)};
    int count = (int)(sizeof args / sizeof *args);
    if (stride2) {
        int tn = gemm_tile_n(device);
        size_t items = (size_t)images * (size_t)s->c_in * (size_t)s->h * (size_t)((s->w + tn - 1) / tn);
        return kernel_launch_1d(device, kernel, items, args, count);
    }
    if (panels) {
        int tn = gemm_tile_n(device), hw = s->h * s->w;
        size_t items = (size_t)images * (size_t)s->c_in * (size_t)((hw + tn - 1) / tn);
        return kernel_launch_1d(device, kernel, items, args, count);
    }
    size_t range[3] = {(size_t)s->w, (size_t)s->h, (size_t)images * (size_t)s->c_in};
    return kernel_launch(device, kernel, 3, range, NULL, args, count);
}

/* With stride 1 the input gradient is itself a convolution: of d_out, padded by
 * kernel - 1 - pad, with the kernel flipped in space and c_in / c_out swapped. On CPU
 * drivers (CONV_DIRECT, or else CONV_VECTOR) that runs through the fast forward path and
 * skips col2im. */
static bool backward_data_as_forward(Device *device, const Conv2dShape *s, const ConvPlan *p) {
    return (conv2d_direct_applies(device, s) || (p->ours && p->vector)) && s->stride == 1 &&
           s->kernel_h == s->kernel_w && s->pad <= s->kernel_h - 1;
}

/* The stride-1 convolution of d_out whose output is s's input gradient. */
static Conv2dShape flipped_shape(const Conv2dShape *s, const ConvPlan *p) {
    return (Conv2dShape){.n = s->n, .c_in = s->c_out, .h = p->out_h, .w = p->out_w, .c_out = s->c_in,
                         .kernel_h = s->kernel_h, .kernel_w = s->kernel_w, .stride = 1,
                         .pad = s->kernel_h - 1 - s->pad};
}

static Status backward_data_by_flipped_kernel(Device *device, View d_in, View d_out, View weight,
                                              const Conv2dShape *s, const ConvPlan *p,
                                              bool accumulate) {
    Conv2dShape t = flipped_shape(s, p);
    if (conv2d_direct_applies(device, &t)) return conv2d_direct_into(device, d_in, d_out, weight, &t, true, accumulate);
    size_t count = (size_t)s->c_out * (size_t)p->ksize;
    Buffer *flipped;
    Kernel *kernel;
    Status st = scratch_get(device, SCRATCH_CONV_FLIPPED_WEIGHT, count * sizeof(float), &flipped);
    if (st == BC_OK) st = kernel_get(device, "conv2d", "conv2d_flip_weights", &kernel);
    if (st == BC_OK)
        st = KERNEL_LAUNCH_1D(device, kernel, count, ARG_VIEW_OF(flipped, 0), ARG_VIEW(weight),
                              ARG_I(s->c_out), ARG_I(s->c_in), ARG_I(s->kernel_h), ARG_I(s->kernel_w));
    if (st == BC_OK)
        SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_FLIPPED_WEIGHT),
                        st = forward_into(device, d_in, d_out, view_of(flipped), &t, accumulate ? 1.0f : 0.0f));
    return st;
}

Status conv2d_backward_data(Device *device, View d_in, View d_out, View weight,
                            const Conv2dShape *s, bool accumulate) {
    ConvPlan p;
    Status st = plan(device, s, &p);
    if (st == BC_OK && conv2d_igemm_applies(device, s)) {
        st = conv2d_igemm_backward_data(device, d_in, d_out, weight, s, accumulate);
        return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_data: ");
    }
    if (st == BC_OK && s->n > 0 && conv2d_direct_backward_s2_applies(device, s)) {
        st = conv2d_direct_backward_s2(device, d_in, d_out, weight, s, accumulate);
        return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_data: ");
    }
    if (st == BC_OK && s->n > 0 && backward_data_as_forward(device, s, &p)) {
        st = backward_data_by_flipped_kernel(device, d_in, d_out, weight, s, &p, accumulate);
        return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_data: ");
    }
    for (int img0 = 0; st == BC_OK && img0 < s->n; img0 += p.chunk) {
        int images = s->n - img0 < p.chunk ? s->n - img0 : p.chunk;
        int npos = images * p.pixels;
        View d_out_c = view_at(d_out, (size_t)img0 * s->c_out * p.pixels);
        /* Columns (ksize x npos, plain) = weight^T * d_out. */
        Buffer *cols;
        st = scratch_get(device, SCRATCH_CONV_COLUMNS, (size_t)p.ksize * npos * sizeof(float), &cols);
        if (st != BC_OK) break;
        if (p.ours) {
            Buffer *packed;
            GemmLayout b = nchw_as_matrix(d_out_c, s->c_out, p.pixels);
            st = scratch_get(device, SCRATCH_CONV_PACKED_GRAD,
                             gemm_packed_b_count(device, s->c_out, npos) * sizeof(float), &packed);
            if (st == BC_OK) st = gemm_pack_b_into(device, view_of(packed), &b, false, s->c_out, npos);
            GemmLayout a = {weight, 1, p.ksize, 1 << 30, 0}; /* weight^T */
            GemmLayout c = gemm_layout_plain(view_of(cols), npos);
            if (st == BC_OK)
                SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_COLUMNS) | SCRATCH_BIT(SCRATCH_CONV_PACKED_GRAD),
                                st = gemm_tiles(device, p.ksize, npos, s->c_out, 1.0f, &a, view_of(packed),
                                                0.0f, &c));
        } else {
            for (int i = 0; st == BC_OK && i < images; i++)
                SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_COLUMNS),
                                st = gemm(device, true, false, p.ksize, p.pixels, s->c_out, 1.0f, weight,
                                          p.ksize, view_at(d_out_c, (size_t)i * s->c_out * p.pixels), p.pixels,
                                          0.0f, view_at(view_of(cols), (size_t)i * p.pixels), npos));
        }
        if (st == BC_OK)
            st = run_col2im(device, view_at(d_in, (size_t)img0 * s->c_in * s->h * s->w), cols, npos,
                            s, &p, images, accumulate);
    }
    return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_data: ");
}

Status conv2d_backward_weights(Device *device, View d_weight, View d_out, View in,
                               const Conv2dShape *s) {
    ConvPlan p;
    Status st = plan(device, s, &p);
    if (st == BC_OK && conv2d_igemm_applies(device, s)) {
        st = conv2d_igemm_backward_weights(device, d_weight, d_out, in, s);
        return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_weights: ");
    }
    if (st == BC_OK && conv2d_wgrad_direct_applies(device, s)) {
        st = conv2d_wgrad_direct(device, d_weight, d_out, in, s);
        return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_weights: ");
    }
    for (int img0 = 0; st == BC_OK && img0 < s->n; img0 += p.chunk) {
        int images = s->n - img0 < p.chunk ? s->n - img0 : p.chunk;
        View in_c = view_at(in, (size_t)img0 * s->c_in * s->h * s->w);
        View d_out_c = view_at(d_out, (size_t)img0 * s->c_out * p.pixels);
        Buffer *cols;
        st = scratch_get(device, SCRATCH_CONV_COLUMNS, patch_floats(&p, images) * sizeof(float), &cols);
        if (st != BC_OK) break;
        if (p.ours) {
            /* d_weight (c_out x ksize) += d_out (c_out x npos, NCHW in place) * patches^T,
             * the patches^T packed by im2col. */
            st = run_im2col(device, cols, in_c, s, &p, images, false);
            GemmLayout a = nchw_as_matrix(d_out_c, s->c_out, p.pixels);
            GemmLayout c = gemm_layout_plain(d_weight, p.ksize);
            if (st == BC_OK)
                SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_COLUMNS),
                                st = gemm_tiles(device, s->c_out, p.ksize, images * p.pixels, 1.0f, &a,
                                                view_of(cols), 1.0f, &c));
            continue;
        }
        st = run_im2col(device, cols, in_c, s, &p, images, true); /* plain patches^T */
        for (int i = 0; st == BC_OK && i < images; i++)
            SCRATCH_HOLDING(SCRATCH_BIT(SCRATCH_CONV_COLUMNS),
                            st = gemm(device, false, false, s->c_out, p.ksize, p.pixels, 1.0f,
                                      view_at(d_out_c, (size_t)i * s->c_out * p.pixels), p.pixels,
                                      view_at(view_of(cols), (size_t)i * p.pixels * p.ksize), p.ksize, 1.0f,
                                      d_weight, p.ksize));
    }
    return st == BC_OK ? BC_OK : error_wrap(st, "conv2d_backward_weights: ");
}

const char *conv2d_path_name(Device *device, const Conv2dShape *s, Conv2dPass pass) {
    ConvPlan p = {0};
    if (plan(device, s, &p) != BC_OK) return "invalid shape";
    Conv2dShape flipped = flipped_shape(s, &p);
    if (conv2d_igemm_applies(device, s)) return "implicit GEMM";
    switch (pass) {
    case CONV2D_FORWARD:
        return conv2d_direct_applies(device, s) ? "direct" : "im2col + GEMM";
    case CONV2D_BACKWARD_DATA:
        if (conv2d_direct_backward_s2_applies(device, s)) return "direct (stride-2 input gradient)";
        if (!backward_data_as_forward(device, s, &p)) return "GEMM + col2im";
        return conv2d_direct_applies(device, &flipped) ? "direct (flipped kernel)" : "im2col + GEMM";
    case CONV2D_BACKWARD_WEIGHTS:
        return conv2d_wgrad_direct_applies(device, s) ? "direct 3x3 weight gradient" : "im2col + GEMM";
    }
    return "unknown pass";
}
