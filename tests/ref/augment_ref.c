/* augment_ref.c — the augmentation pipeline written the plain way: whole-image steps one
 * after another in double (crop+resize, flip, jitter ops in the drawn order, grayscale,
 * blur, solarize, normalize), following torchvision's definitions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/augment.h"
#include "ref/augment_ref.h"

static double luma(const double *v) { return 0.2989 * v[0] + 0.587 * v[1] + 0.114 * v[2]; }
static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

/* Bilinear sample of box (x0, y0, cw, ch) at output pixel (ox, oy); colour into v[3]. */
static void sample(const uint8_t *img, int w, int c, int x0, int y0, int cw, int ch, int ox,
                   int oy, int oh, int ow, double *v) {
    double sx = (ox + 0.5) * ((double)cw / ow) - 0.5, sy = (oy + 0.5) * ((double)ch / oh) - 0.5;
    sx = sx < 0 ? 0 : sx > cw - 1 ? cw - 1 : sx;
    sy = sy < 0 ? 0 : sy > ch - 1 ? ch - 1 : sy;
    int ix = (int)floor(sx), iy = (int)floor(sy);
    int ix1 = ix + 1 < cw ? ix + 1 : cw - 1, iy1 = iy + 1 < ch ? iy + 1 : ch - 1;
    double lx = sx - ix, ly = sy - iy;
    for (int k = 0; k < 3; k++) {
        int ck = c == 1 ? 0 : k;
#define PX(xx, yy) (img[((size_t)(y0 + (yy)) * w + (x0 + (xx))) * c + ck] / 255.0)
        v[k] = (1 - ly) * ((1 - lx) * PX(ix, iy) + lx * PX(ix1, iy)) +
               ly * ((1 - lx) * PX(ix, iy1) + lx * PX(ix1, iy1));
#undef PX
    }
}

/* torchvision _rgb2hsv / _hsv2rgb with the shift in between. */
static void shift_hue(double *v, double shift) {
    double r = v[0], g = v[1], b = v[2];
    double maxc = fmax(r, fmax(g, b)), minc = fmin(r, fmin(g, b));
    int eqc = maxc == minc;
    double cr = maxc - minc, s = cr / (eqc ? 1 : maxc), crd = eqc ? 1 : cr;
    double rc = (maxc - r) / crd, gc = (maxc - g) / crd, bc = (maxc - b) / crd, h;
    if (maxc == r) h = bc - gc;
    else if (maxc == g) h = 2 + rc - bc;
    else h = 4 + gc - rc;
    h = fmod(h / 6 + 1, 1);
    h += shift;
    h -= floor(h);
    double i = floor(h * 6), f = h * 6 - i;
    int sector = (int)i % 6;
    double p = clamp01(maxc * (1 - s)), q = clamp01(maxc * (1 - s * f)), t = clamp01(maxc * (1 - s * (1 - f)));
    const double table[6][3] = {{maxc, t, p}, {q, maxc, p}, {p, maxc, t},
                                {p, q, maxc}, {t, p, maxc}, {maxc, p, q}};
    memcpy(v, table[sector], sizeof table[sector]);
}

static int reflect(int i, int n) {
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    i = abs(i) % period;
    return i >= n ? period - i : i;
}

/* One jitter op over the whole image (plane pixels, 3 doubles each). */
static void jitter_image(double *img, int plane, int c, int op, const float *p) {
    if (op == AUGMENT_OP_BRIGHTNESS && p[AUGMENT_P_BRIGHTNESS] != 1) {
        for (int i = 0; i < 3 * plane; i++) img[i] = clamp01(img[i] * p[AUGMENT_P_BRIGHTNESS]);
    } else if (op == AUGMENT_OP_CONTRAST && p[AUGMENT_P_CONTRAST] != 1) {
        double mean = 0, f = p[AUGMENT_P_CONTRAST];
        for (int i = 0; i < plane; i++) mean += c == 3 ? luma(img + 3 * i) : img[3 * i];
        mean /= plane;
        for (int i = 0; i < 3 * plane; i++) img[i] = clamp01(f * img[i] + (1 - f) * mean);
    } else if (op == AUGMENT_OP_SATURATION && c == 3 && p[AUGMENT_P_SATURATION] != 1) {
        double f = p[AUGMENT_P_SATURATION];
        for (int i = 0; i < plane; i++) {
            double g = luma(img + 3 * i);
            for (int k = 0; k < 3; k++) img[3 * i + k] = clamp01(f * img[3 * i + k] + (1 - f) * g);
        }
    } else if (op == AUGMENT_OP_HUE && c == 3 && p[AUGMENT_P_HUE] != 0) {
        for (int i = 0; i < plane; i++) shift_hue(img + 3 * i, p[AUGMENT_P_HUE]);
    }
}

/* Separable blur of channel k in place, reflect padding, taps from the parameters. */
static void blur_channel(double *img, double *tmp, int k, int oh, int ow, int radius, const float *p) {
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double acc = 0;
            for (int d = -radius; d <= radius; d++)
                acc += p[AUGMENT_P_WEIGHTS + abs(d)] * img[3 * (y * ow + reflect(x + d, ow)) + k];
            tmp[y * ow + x] = acc;
        }
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double acc = 0;
            for (int d = -radius; d <= radius; d++)
                acc += p[AUGMENT_P_WEIGHTS + abs(d)] * tmp[reflect(y + d, oh) * ow + x];
            img[3 * (y * ow + x) + k] = acc;
        }
}

void augment_ref(float *out, const uint8_t *images, const float *params, int stride, int n, int h,
                 int w, int c, int oh, int ow, int radius, const float mean[3], const float std[3]) {
    int plane = oh * ow;
    double *img = malloc(sizeof(double) * 3 * plane), *tmp = malloc(sizeof(double) * plane);
    for (int i = 0; i < n; i++) {
        const float *p = params + (size_t)i * stride;
        const uint8_t *src = images + (size_t)i * h * w * c;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                int sx = p[AUGMENT_P_FLIP] != 0 ? ow - 1 - x : x; /* flip the resized crop */
                sample(src, w, c, (int)p[AUGMENT_P_CROP_X], (int)p[AUGMENT_P_CROP_Y],
                       (int)p[AUGMENT_P_CROP_W], (int)p[AUGMENT_P_CROP_H], sx, y, oh, ow,
                       img + 3 * (y * ow + x));
            }
        if (p[AUGMENT_P_JITTER] != 0)
            for (int k = 0; k < 4; k++) jitter_image(img, plane, c, (int)p[AUGMENT_P_ORDER + k], p);
        if (c == 3 && p[AUGMENT_P_GRAYSCALE] != 0)
            for (int j = 0; j < plane; j++) img[3 * j] = img[3 * j + 1] = img[3 * j + 2] = luma(img + 3 * j);
        if (p[AUGMENT_P_BLUR] != 0)
            for (int k = 0; k < c; k++) blur_channel(img, tmp, k, oh, ow, radius, p);
        for (int k = 0; k < c; k++)
            for (int j = 0; j < plane; j++) {
                double x = img[3 * j + k];
                if (p[AUGMENT_P_SOLARIZE] != 0 && x >= p[AUGMENT_P_SOLARIZE_THRESHOLD]) x = 1 - x;
                out[((size_t)i * c + k) * plane + j] = (float)((x - mean[k]) / std[k]);
            }
    }
    free(img);
    free(tmp);
}

void augment_ref_resize(float *out, const uint8_t *images, int n, int h, int w, int c, int oh, int ow) {
    int plane = oh * ow;
    for (int i = 0; i < n; i++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double v[3];
                sample(images + (size_t)i * h * w * c, w, c, 0, 0, w, h, x, y, oh, ow, v);
                for (int k = 0; k < c; k++) out[((size_t)i * c + k) * plane + y * ow + x] = (float)v[k];
            }
}
