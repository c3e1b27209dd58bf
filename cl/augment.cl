/* augment.cl — BYOL's augmentations: a fused crop/flip/jitter/grayscale pass (one work-group
 * per image, so contrast can take the image mean), then a separable Gaussian blur whose
 * second pass also solarizes and normalizes. Parameters: see augment.h (AUGMENT_P_*). */

/* Mirrors the AUGMENT_P_* layout in include/byolcl/augment.h. */
#define P_CROP_X 0
#define P_CROP_Y 1
#define P_CROP_W 2
#define P_CROP_H 3
#define P_FLIP 4
#define P_JITTER 5
#define P_BRIGHTNESS 6
#define P_CONTRAST 7
#define P_SATURATION 8
#define P_HUE 9
#define P_ORDER 10
#define P_GRAYSCALE 14
#define P_BLUR 15
#define P_SOLARIZE 17
#define P_SOLARIZE_THRESHOLD 18
#define P_WEIGHTS 19

#define OP_BRIGHTNESS 0
#define OP_CONTRAST 1
#define OP_SATURATION 2
#define OP_HUE 3

/* A pixel as three scalars, passed by pointer and changed in place: oclgrind's
 * uninitialized-value checker crashes on the shuffles float3 compiles to, and oclgrind cannot
 * run the alias-scope intrinsics LLVM adds when it inlines struct returns. Gray uses r. */
typedef struct {
    float r, g, b;
} Rgb;

static void set_rgb(Rgb *v, float r, float g, float b) {
    v->r = r;
    v->g = g;
    v->b = b;
}

/* torchvision's luma weights (rgb_to_grayscale). */
static float luma(const Rgb *v) { return 0.2989f * v->r + 0.587f * v->g + 0.114f * v->b; }

static float clamp01(float x) { return clamp(x, 0.0f, 1.0f); }

/* torchvision's _blend: ratio * a + (1 - ratio) * b, clamped. */
static void blend(Rgb *a, float other, float ratio) {
    set_rgb(a, clamp01(ratio * a->r + (1.0f - ratio) * other),
            clamp01(ratio * a->g + (1.0f - ratio) * other),
            clamp01(ratio * a->b + (1.0f - ratio) * other));
}

/* torchvision's adjust_hue on float images: RGB -> HSV, h += shift (mod 1), HSV -> RGB. */
static void shift_hue(Rgb *v, float shift) {
    float r = v->r, g = v->g, b = v->b;
    float maxc = fmax(r, fmax(g, b)), minc = fmin(r, fmin(g, b));
    bool eqc = maxc == minc;
    float cr = maxc - minc;
    float s = cr / (eqc ? 1.0f : maxc);
    float crd = eqc ? 1.0f : cr;
    float rc = (maxc - r) / crd, gc = (maxc - g) / crd, bc = (maxc - b) / crd;
    float h;
    if (maxc == r) h = bc - gc;
    else if (maxc == g) h = 2.0f + rc - bc;
    else h = 4.0f + gc - rc;
    h = fmod(h / 6.0f + 1.0f, 1.0f);
    h = h + shift;
    h = h - floor(h);
    float h6 = h * 6.0f, fi = floor(h6), f = h6 - fi;
    int i = ((int)fi) % 6;
    float val = maxc;
    float p = clamp01(val * (1.0f - s));
    float q = clamp01(val * (1.0f - s * f));
    float t = clamp01(val * (1.0f - s * (1.0f - f)));
    switch (i) {
    case 0: set_rgb(v, val, t, p); break;
    case 1: set_rgb(v, q, val, p); break;
    case 2: set_rgb(v, p, val, t); break;
    case 3: set_rgb(v, p, q, val); break;
    case 4: set_rgb(v, t, p, val); break;
    default: set_rgb(v, val, p, q); break;
    }
}

/* One jitter op; the factor is exactly neutral when the op is switched off. */
static void jitter_op(int op, Rgb *v, __global const float *p, int c, float mean) {
    if (op == OP_BRIGHTNESS) {
        float f = p[P_BRIGHTNESS];
        if (f != 1.0f) set_rgb(v, clamp01(v->r * f), clamp01(v->g * f), clamp01(v->b * f));
    } else if (op == OP_CONTRAST) {
        float f = p[P_CONTRAST];
        if (f != 1.0f) blend(v, mean, f);
    } else if (c == 1) {
        return; /* saturation and hue are no-ops on gray data */
    } else if (op == OP_SATURATION) {
        float f = p[P_SATURATION];
        if (f != 1.0f) blend(v, luma(v), f);
    } else if (p[P_HUE] != 0.0f) {
        shift_hue(v, p[P_HUE]);
    }
}

static float load_u8(__global const uchar *img, int w, int c, int x, int y, int k) {
    return img[(y * w + x) * c + k] / 255.0f;
}

/* Bilinear sample of the crop box at output pixel (ox, oy), half-pixel centres (PyTorch's
 * align_corners=False), clamped to the box. */
static void sample_crop(Rgb *v, __global const uchar *img, int w, int c, __global const float *p,
                        int ox, int oy, int oh, int ow) {
    int x0 = (int)p[P_CROP_X], y0 = (int)p[P_CROP_Y];
    int cw = (int)p[P_CROP_W], ch = (int)p[P_CROP_H];
    if (p[P_FLIP] != 0.0f) ox = ow - 1 - ox;
    float sx = clamp(((float)ox + 0.5f) * ((float)cw / (float)ow) - 0.5f, 0.0f, (float)(cw - 1));
    float sy = clamp(((float)oy + 0.5f) * ((float)ch / (float)oh) - 0.5f, 0.0f, (float)(ch - 1));
    int ix = (int)sx, iy = (int)sy;
    int ix0 = x0 + ix, iy0 = y0 + iy, ix1 = x0 + min(ix + 1, cw - 1), iy1 = y0 + min(iy + 1, ch - 1);
    float lx = sx - (float)ix, ly = sy - (float)iy;
    float out[3] = {0.0f, 0.0f, 0.0f};
    for (int k = 0; k < c; k++)
        out[k] = (1.0f - ly) * ((1.0f - lx) * load_u8(img, w, c, ix0, iy0, k) + lx * load_u8(img, w, c, ix1, iy0, k)) +
                 ly * ((1.0f - lx) * load_u8(img, w, c, ix0, iy1, k) + lx * load_u8(img, w, c, ix1, iy1, k));
    set_rgb(v, out[0], out[1], out[2]);
}

/* torchvision pads with "reflect": -1 -> 1, n -> n - 2. The radius is below the side (the
 * kernel is at most the side), so one reflection suffices; the clamp covers n == 1. abs() is
 * the builtin: oclgrind cannot run the llvm.abs intrinsic that `i < 0 ? -i : i` becomes. */
static int reflect(int i, int n) {
    i = (int)abs(i);
    if (i >= n) i = 2 * n - 2 - i;
    return clamp(i, 0, n - 1);
}

static float solarize_normalize(float x, __global const float *p, float mean, float inv_std) {
    if (p[P_SOLARIZE] != 0.0f && x >= p[P_SOLARIZE_THRESHOLD]) x = 1.0f - x;
    return (x - mean) * inv_std;
}

static void store_pixel(__global float *dst, int plane, int pix, int c, const Rgb *v) {
    dst[pix] = v->r;
    if (c == 3) {
        dst[plane + pix] = v->g;
        dst[2 * plane + pix] = v->b;
    }
}


/* The tail of the fused pass: grayscale, and when no blur follows, solarize + normalize. */
static void finish_color(Rgb *v, __global const float *p, int c, int finish, float mean0,
                         float mean1, float mean2, float inv_std0, float inv_std1, float inv_std2) {
    if (c == 3 && p[P_GRAYSCALE] != 0.0f) {
        float gray = luma(v);
        set_rgb(v, gray, gray, gray);
    }
    if (finish)
        set_rgb(v, solarize_normalize(v->r, p, mean0, inv_std0), solarize_normalize(v->g, p, mean1, inv_std1),
                solarize_normalize(v->b, p, mean2, inv_std2));
}

/* Output pixels lid, lid + step, ... as (x, y) without a division: oclgrind cannot check the
 * `freeze` LLVM adds when it pairs a division with the matching remainder. */
static void first_pixel(int lid, int ow, int *x, int *y) {
    *x = lid;
    *y = 0;
    while (*x >= ow) *x -= ow, (*y)++;
}

static void next_pixel(int step, int ow, int oh, int *x, int *y) {
    *x += step;
    while (*x >= ow && *y < oh) *x -= ow, (*y)++;
}

/* One work-group per image, at most BC_AUGMENT_WG work-items. out (n, c, oh, ow): un-normalized colours, or the finished view when `finish`.
 * Contrast blends with the mean luma of the whole image as it is when contrast runs, so when
 * the image's jitter includes contrast a first sweep sums the luma after the ops before it
 * and the group reduces it; the second sweep recomputes each pixel (cheaper than storing
 * and re-reading it) and applies everything. */
__kernel void augment_color(VIEW(float, out), __global const uchar *images,
                            __global const float *params, int stride, int n, int h, int w, int c,
                            int oh, int ow, int finish, float mean0, float mean1, float mean2,
                            float inv_std0, float inv_std1, float inv_std2) {
    __local float partial[BC_AUGMENT_WG];
    int img = get_group_id(0), lid = get_local_id(0), local_size = get_local_size(0);
    if (img >= n) return; /* whole groups only: the barriers below stay uniform */
    __global const float *p = params + img * stride;
    __global const uchar *src = images + (size_t)img * h * w * c;
    int plane = oh * ow;
    __global float *dst = VIEW_PTR(out) + (size_t)img * c * plane;

    int ops = p[P_JITTER] != 0.0f ? 4 : 0;
    int contrast_at = 4; /* position of contrast in the op order; 4 = not applied */
    if (ops && p[P_CONTRAST] != 1.0f)
        for (int k = 0; k < 4; k++)
            if ((int)p[P_ORDER + k] == OP_CONTRAST) contrast_at = k;

    float image_mean = 0.0f;
    int x, y;
    if (contrast_at < 4) { /* uniform across the group: the parameters are per image */
        float sum = 0.0f;
        first_pixel(lid, ow, &x, &y);
        for (int pix = lid; pix < plane; pix += local_size, next_pixel(local_size, ow, oh, &x, &y)) {
            Rgb v;
            sample_crop(&v, src, w, c, p, x, y, oh, ow);
            for (int k = 0; k < contrast_at; k++) jitter_op((int)p[P_ORDER + k], &v, p, c, 0.0f);
            sum += c == 3 ? luma(&v) : v.r;
        }
        /* Every work-item adds the partial sums itself, in the same order: one barrier, and
         * the same mean in every work-item whatever the device. */
        partial[lid] = sum;
        barrier(CLK_LOCAL_MEM_FENCE);
        float total = 0.0f;
        for (int i = 0; i < local_size; i++) total += partial[i];
        image_mean = total / (float)plane;
    }
    first_pixel(lid, ow, &x, &y);
    for (int pix = lid; pix < plane; pix += local_size, next_pixel(local_size, ow, oh, &x, &y)) {
        Rgb v;
        sample_crop(&v, src, w, c, p, x, y, oh, ow);
        for (int k = 0; k < ops; k++) jitter_op((int)p[P_ORDER + k], &v, p, c, image_mean);
        finish_color(&v, p, c, finish, mean0, mean1, mean2, inv_std0, inv_std1, inv_std2);
        store_pixel(dst, plane, pix, c, &v);
    }
}

/* Horizontal blur pass over (n, c, oh, ow); images without blur are copied. */
__kernel void augment_blur_rows(VIEW(float, out), VIEW(const float, in),
                                __global const float *params, int stride, int n, int c, int oh,
                                int ow, int radius) {
    int x = get_global_id(0), y = get_global_id(1), img = get_global_id(2);
    if (x >= ow || y >= oh || img >= n) return;
    __global const float *p = params + img * stride;
    bool blur = p[P_BLUR] != 0.0f;
    for (int ch = 0; ch < c; ch++) {
        size_t row_at = (((size_t)img * c + ch) * oh + y) * ow;
        __global const float *row = VIEW_PTR(in) + row_at;
        float acc = row[x];
        if (blur) {
            acc *= p[P_WEIGHTS];
            for (int k = 1; k <= radius; k++)
                acc += p[P_WEIGHTS + k] * (row[reflect(x - k, ow)] + row[reflect(x + k, ow)]);
        }
        VIEW_PTR(out)[row_at + x] = acc;
    }
}

/* Vertical blur pass, then solarize and normalize: the view's last pass. */
__kernel void augment_blur_columns_finish(VIEW(float, out), VIEW(const float, in),
                                          __global const float *params, int stride, int n, int c,
                                          int oh, int ow, int radius, float mean0, float mean1,
                                          float mean2, float inv_std0, float inv_std1,
                                          float inv_std2) {
    int x = get_global_id(0), y = get_global_id(1), img = get_global_id(2);
    if (x >= ow || y >= oh || img >= n) return;
    __global const float *p = params + img * stride;
    bool blur = p[P_BLUR] != 0.0f;
    for (int ch = 0; ch < c; ch++) {
        size_t plane_at = ((size_t)img * c + ch) * oh * ow;
        __global const float *column = VIEW_PTR(in) + plane_at + x;
        float acc = column[y * ow];
        if (blur) {
            acc *= p[P_WEIGHTS];
            for (int k = 1; k <= radius; k++)
                acc += p[P_WEIGHTS + k] * (column[reflect(y - k, oh) * ow] + column[reflect(y + k, oh) * ow]);
        }
        float mean = ch == 0 ? mean0 : ch == 1 ? mean1 : mean2;
        float inv_std = ch == 0 ? inv_std0 : ch == 1 ? inv_std1 : inv_std2;
        VIEW_PTR(out)[plane_at + y * ow + x] = solarize_normalize(acc, p, mean, inv_std);
    }
}
