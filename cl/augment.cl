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

/* torchvision's luma weights (rgb_to_grayscale). */
static float luma(float3 v) { return 0.2989f * v.x + 0.587f * v.y + 0.114f * v.z; }

static float3 blend(float3 a, float3 b, float ratio) {
    return clamp(ratio * a + (1.0f - ratio) * b, 0.0f, 1.0f);
}

/* torchvision's adjust_hue on float images: RGB -> HSV, h += shift (mod 1), HSV -> RGB. */
static float3 shift_hue(float3 v, float shift) {
    float r = v.x, g = v.y, b = v.z;
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
    float p = clamp(val * (1.0f - s), 0.0f, 1.0f);
    float q = clamp(val * (1.0f - s * f), 0.0f, 1.0f);
    float t = clamp(val * (1.0f - s * (1.0f - f)), 0.0f, 1.0f);
    switch (i) {
    case 0: return (float3)(val, t, p);
    case 1: return (float3)(q, val, p);
    case 2: return (float3)(p, val, t);
    case 3: return (float3)(p, q, val);
    case 4: return (float3)(t, p, val);
    default: return (float3)(val, p, q);
    }
}

/* One jitter op; the factor is exactly neutral when the op is switched off. */
static float3 jitter_op(int op, float3 v, __global const float *p, int c, float mean) {
    if (op == OP_BRIGHTNESS) {
        float f = p[P_BRIGHTNESS];
        return f == 1.0f ? v : clamp(v * f, 0.0f, 1.0f);
    }
    if (op == OP_CONTRAST) {
        float f = p[P_CONTRAST];
        return f == 1.0f ? v : blend(v, (float3)(mean), f);
    }
    if (c == 1) return v; /* saturation and hue are no-ops on gray data */
    if (op == OP_SATURATION) {
        float f = p[P_SATURATION];
        return f == 1.0f ? v : blend(v, (float3)(luma(v)), f);
    }
    float shift = p[P_HUE];
    return shift == 0.0f ? v : shift_hue(v, shift);
}

static float3 load_u8(__global const uchar *img, int w, int c, int x, int y) {
    __global const uchar *px = img + (y * w + x) * c;
    if (c == 1) return (float3)(px[0] / 255.0f);
    return (float3)(px[0], px[1], px[2]) / 255.0f;
}

/* Bilinear sample of the crop box at output pixel (ox, oy), half-pixel centres (PyTorch's
 * align_corners=False), clamped to the box. */
static float3 sample_crop(__global const uchar *img, int w, int c, __global const float *p,
                          int ox, int oy, int oh, int ow) {
    int x0 = (int)p[P_CROP_X], y0 = (int)p[P_CROP_Y];
    int cw = (int)p[P_CROP_W], ch = (int)p[P_CROP_H];
    if (p[P_FLIP] != 0.0f) ox = ow - 1 - ox;
    float sx = clamp(((float)ox + 0.5f) * ((float)cw / (float)ow) - 0.5f, 0.0f, (float)(cw - 1));
    float sy = clamp(((float)oy + 0.5f) * ((float)ch / (float)oh) - 0.5f, 0.0f, (float)(ch - 1));
    int ix = (int)sx, iy = (int)sy;
    int ix1 = min(ix + 1, cw - 1), iy1 = min(iy + 1, ch - 1);
    float lx = sx - (float)ix, ly = sy - (float)iy;
    float3 a = load_u8(img, w, c, x0 + ix, y0 + iy), b = load_u8(img, w, c, x0 + ix1, y0 + iy);
    float3 d = load_u8(img, w, c, x0 + ix, y0 + iy1), e = load_u8(img, w, c, x0 + ix1, y0 + iy1);
    return (1.0f - ly) * ((1.0f - lx) * a + lx * b) + ly * ((1.0f - lx) * d + lx * e);
}

static float solarize_normalize(float x, __global const float *p, float mean, float inv_std) {
    if (p[P_SOLARIZE] != 0.0f && x >= p[P_SOLARIZE_THRESHOLD]) x = 1.0f - x;
    return (x - mean) * inv_std;
}

static void store_pixel(__global float *dst, int plane, int pix, int c, float3 v) {
    dst[pix] = v.x;
    if (c == 3) {
        dst[plane + pix] = v.y;
        dst[2 * plane + pix] = v.z;
    }
}

static float3 load_pixel(__global const float *src, int plane, int pix, int c) {
    if (c == 1) return (float3)(src[pix]);
    return (float3)(src[pix], src[plane + pix], src[2 * plane + pix]);
}

/* The tail of the fused pass: grayscale, and when no blur follows, solarize + normalize. */
static float3 finish_color(float3 v, __global const float *p, int c, int finish, float3 mean,
                           float3 inv_std) {
    if (c == 3 && p[P_GRAYSCALE] != 0.0f) v = (float3)(luma(v));
    if (finish) {
        v.x = solarize_normalize(v.x, p, mean.x, inv_std.x);
        v.y = solarize_normalize(v.y, p, mean.y, inv_std.y);
        v.z = solarize_normalize(v.z, p, mean.z, inv_std.z);
    }
    return v;
}

/* One work-group per image (get_local_size(0) a power of two; `partial` holds one float per
 * work-item). out (n, c, oh, ow): un-normalized colours, or the finished view when `finish`.
 * Contrast blends with the mean luma of the whole image as it is when contrast runs, so the
 * ops before it are applied and stored first, the group reduces the mean, then each
 * work-item finishes the pixels it stored. */
__kernel void augment_color(VIEW(float, out), __global const uchar *images,
                            __global const float *params, int stride, int n, int h, int w, int c,
                            int oh, int ow, int finish, float mean0, float mean1, float mean2,
                            float inv_std0, float inv_std1, float inv_std2,
                            __local float *partial) {
    int img = get_group_id(0), lid = get_local_id(0), local_size = get_local_size(0);
    if (img >= n) return; /* whole groups only: the barriers below stay uniform */
    __global const float *p = params + img * stride;
    __global const uchar *src = images + (size_t)img * h * w * c;
    int plane = oh * ow;
    __global float *dst = VIEW_PTR(out) + (size_t)img * c * plane;
    float3 mean = (float3)(mean0, mean1, mean2), inv_std = (float3)(inv_std0, inv_std1, inv_std2);

    bool jitter = p[P_JITTER] != 0.0f;
    int contrast_at = 4; /* position of contrast in the op order; 4 = not applied */
    if (jitter && p[P_CONTRAST] != 1.0f)
        for (int k = 0; k < 4; k++)
            if ((int)p[P_ORDER + k] == OP_CONTRAST) contrast_at = k;
    int first_ops = jitter ? contrast_at : 0;

    float sum = 0.0f;
    for (int pix = lid; pix < plane; pix += local_size) {
        float3 v = sample_crop(src, w, c, p, pix % ow, pix / ow, oh, ow);
        for (int k = 0; k < first_ops; k++) v = jitter_op((int)p[P_ORDER + k], v, p, c, 0.0f);
        if (contrast_at < 4) {
            sum += c == 3 ? luma(v) : v.x;
        } else {
            for (int k = first_ops; jitter && k < 4; k++) v = jitter_op((int)p[P_ORDER + k], v, p, c, 0.0f);
            v = finish_color(v, p, c, finish, mean, inv_std);
        }
        store_pixel(dst, plane, pix, c, v);
    }
    if (contrast_at == 4) return; /* uniform across the group: the parameters are per image */

    partial[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = local_size / 2; s > 0; s >>= 1) {
        if (lid < s) partial[lid] += partial[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float image_mean = partial[0] / (float)plane;
    for (int pix = lid; pix < plane; pix += local_size) {
        float3 v = load_pixel(dst, plane, pix, c);
        for (int k = contrast_at; k < 4; k++) v = jitter_op((int)p[P_ORDER + k], v, p, c, image_mean);
        store_pixel(dst, plane, pix, c, finish_color(v, p, c, finish, mean, inv_std));
    }
}

/* torchvision pads with "reflect": -1 -> 1, n -> n - 2. */
static int reflect(int i, int n) {
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    i = abs(i) % period;
    return i >= n ? period - i : i;
}

/* Horizontal blur pass over planes (n * c, oh, ow); images without blur are copied. */
__kernel void augment_blur_rows(VIEW(float, out), VIEW(const float, in),
                                __global const float *params, int stride, int planes, int c,
                                int oh, int ow, int radius) {
    int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    if (x >= ow || y >= oh || z >= planes) return;
    __global const float *p = params + (z / c) * stride;
    __global const float *row = VIEW_PTR(in) + ((size_t)z * oh + y) * ow;
    float acc;
    if (p[P_BLUR] == 0.0f) {
        acc = row[x];
    } else {
        acc = 0.0f;
        for (int k = -radius; k <= radius; k++) acc += p[P_WEIGHTS + abs(k)] * row[reflect(x + k, ow)];
    }
    VIEW_PTR(out)[((size_t)z * oh + y) * ow + x] = acc;
}

/* Vertical blur pass, then solarize and normalize: the view's last pass. */
__kernel void augment_blur_columns_finish(VIEW(float, out), VIEW(const float, in),
                                          __global const float *params, int stride, int planes,
                                          int c, int oh, int ow, int radius, float mean0,
                                          float mean1, float mean2, float inv_std0,
                                          float inv_std1, float inv_std2) {
    int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    if (x >= ow || y >= oh || z >= planes) return;
    __global const float *p = params + (z / c) * stride;
    __global const float *column = VIEW_PTR(in) + (size_t)z * oh * ow + x;
    float acc;
    if (p[P_BLUR] == 0.0f) {
        acc = column[y * ow];
    } else {
        acc = 0.0f;
        for (int k = -radius; k <= radius; k++)
            acc += p[P_WEIGHTS + abs(k)] * column[reflect(y + k, oh) * ow];
    }
    int ch = z % c;
    float mean = ch == 0 ? mean0 : ch == 1 ? mean1 : mean2;
    float inv_std = ch == 0 ? inv_std0 : ch == 1 ? inv_std1 : inv_std2;
    VIEW_PTR(out)[((size_t)z * oh + y) * ow + x] = solarize_normalize(acc, p, mean, inv_std);
}
