/* augment_params.c — per-image random parameters from Philox4x32-10 keyed by (seed, epoch,
 * step, image index, view). Computed on the host in double, so every device sees the same
 * numbers; each quantity has a fixed counter slot, so changing one probability does not
 * shift the draws of the others. */
#include <math.h>
#include <string.h>

#include "byolcl/augment.h"

void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* Counter word 3 = view << 16 | block: the blocks each image uses. */
enum {
    BLOCK_COINS = 0,   /* flip, jitter, grayscale, blur */
    BLOCK_FACTORS = 1, /* brightness, contrast, saturation, hue */
    BLOCK_MISC = 2,    /* solarize, sigma, order draw 1, order draw 2 */
    BLOCK_ORDER = 3,   /* order draw 3 */
    BLOCK_CROP = 4,    /* attempt t uses block 4 + t: area, aspect, y, x */
    CROP_ATTEMPTS = 10 /* as torchvision's RandomResizedCrop */
};

typedef struct {
    uint32_t counter[4], key[2];
} Stream;

static void draw(const Stream *s, int block, uint32_t out[4]) {
    uint32_t counter[4] = {s->counter[0], s->counter[1], s->counter[2], s->counter[3] | (uint32_t)block};
    philox4x32_10(counter, s->key, out);
}

static double unit(uint32_t u) { return u * 0x1p-32; } /* [0, 1) */
static double between(uint32_t u, double lo, double hi) { return lo + (hi - lo) * unit(u); }
static int below(uint32_t u, int m) { return (int)(((uint64_t)u * (uint64_t)m) >> 32); } /* [0, m) */

void augment_output_size(const AugmentConfig *config, int h, int w, int *out_h, int *out_w) {
    *out_h = config->out_h > 0 ? config->out_h : h;
    *out_w = config->out_w > 0 ? config->out_w : w;
}

int augment_blur_radius(const AugmentConfig *config, int out_h, int out_w) {
    int side = out_h < out_w ? out_h : out_w;
    int size = (int)(config->blur_kernel_fraction * (float)side);
    if (size % 2 == 0) size++;
    if (size < 3) size = 3;
    return size / 2;
}

int augment_param_stride(const AugmentConfig *config, int out_h, int out_w) {
    return AUGMENT_P_WEIGHTS + augment_blur_radius(config, out_h, out_w) + 1;
}

/* torchvision's Gaussian kernel: taps at integer offsets, normalized to sum 1. */
static void set_blur_weights(float *p, int radius, double sigma) {
    double sum = 0;
    for (int k = -radius; k <= radius; k++) sum += exp(-0.5 * (k / sigma) * (k / sigma));
    for (int k = 0; k <= radius; k++)
        p[AUGMENT_P_WEIGHTS + k] = (float)(exp(-0.5 * (k / sigma) * (k / sigma)) / sum);
}

void augment_params_identity(const AugmentConfig *config, int h, int w, float *params) {
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    int stride = augment_param_stride(config, oh, ow);
    memset(params, 0, (size_t)stride * sizeof *params);
    params[AUGMENT_P_CROP_W] = (float)w;
    params[AUGMENT_P_CROP_H] = (float)h;
    params[AUGMENT_P_BRIGHTNESS] = params[AUGMENT_P_CONTRAST] = params[AUGMENT_P_SATURATION] = 1;
    for (int k = 0; k < 4; k++) params[AUGMENT_P_ORDER + k] = (float)k;
    params[AUGMENT_P_SOLARIZE_THRESHOLD] = 0.5f;
    params[AUGMENT_P_WEIGHTS] = 1;
}

/* torchvision's RandomResizedCrop.get_params, with Python's round-half-even (rint). */
static void draw_crop(const Stream *s, const AugmentViewConfig *v, int h, int w, float *p) {
    double area = (double)h * w, log_lo = log(v->crop_aspect_min), log_hi = log(v->crop_aspect_max);
    for (int t = 0; t < CROP_ATTEMPTS; t++) {
        uint32_t u[4];
        draw(s, BLOCK_CROP + t, u);
        double target = area * between(u[0], v->crop_area_min, v->crop_area_max);
        double aspect = exp(between(u[1], log_lo, log_hi));
        int cw = (int)rint(sqrt(target * aspect)), ch = (int)rint(sqrt(target / aspect));
        if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
            p[AUGMENT_P_CROP_Y] = (float)below(u[2], h - ch + 1);
            p[AUGMENT_P_CROP_X] = (float)below(u[3], w - cw + 1);
            p[AUGMENT_P_CROP_W] = (float)cw;
            p[AUGMENT_P_CROP_H] = (float)ch;
            return;
        }
    }
    /* Fallback: the largest centred crop within the aspect range. */
    double in_ratio = (double)w / h;
    int cw = w, ch = h;
    if (in_ratio < v->crop_aspect_min) ch = (int)rint(w / (double)v->crop_aspect_min);
    else if (in_ratio > v->crop_aspect_max) cw = (int)rint(h * (double)v->crop_aspect_max);
    if (ch < 1) ch = 1;
    if (cw < 1) cw = 1;
    p[AUGMENT_P_CROP_Y] = (float)((h - ch) / 2);
    p[AUGMENT_P_CROP_X] = (float)((w - cw) / 2);
    p[AUGMENT_P_CROP_W] = (float)cw;
    p[AUGMENT_P_CROP_H] = (float)ch;
}

/* Factor ~ U[max(0, 1-s), 1+s]; strength 0 leaves the op out (factor exactly 1). */
static float jitter_factor(uint32_t u, float strength) {
    if (strength <= 0) return 1.0f;
    return (float)between(u, fmax(0.0, 1.0 - strength), 1.0 + strength);
}

void augment_params_compute(const AugmentConfig *config, int view, uint64_t seed, int epoch,
                            int step, int first_index, int n, int h, int w, float *params) {
    const AugmentViewConfig *v = &config->view[view ? 1 : 0];
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    int radius = augment_blur_radius(config, oh, ow), stride = augment_param_stride(config, oh, ow);
    for (int i = 0; i < n; i++) {
        float *p = params + (size_t)i * stride;
        augment_params_identity(config, h, w, p);
        Stream s = {{(uint32_t)epoch, (uint32_t)step, (uint32_t)(first_index + i), (uint32_t)(view ? 1 : 0) << 16},
                    {(uint32_t)seed, (uint32_t)(seed >> 32)}};
        uint32_t coins[4], factors[4], misc[4], order[4];
        draw(&s, BLOCK_COINS, coins);
        draw(&s, BLOCK_FACTORS, factors);
        draw(&s, BLOCK_MISC, misc);
        draw(&s, BLOCK_ORDER, order);

        draw_crop(&s, v, h, w, p);
        p[AUGMENT_P_FLIP] = unit(coins[0]) < v->flip_prob;
        if (unit(coins[1]) < v->jitter_prob) {
            p[AUGMENT_P_JITTER] = 1;
            p[AUGMENT_P_BRIGHTNESS] = jitter_factor(factors[0], v->brightness);
            p[AUGMENT_P_CONTRAST] = jitter_factor(factors[1], v->contrast);
            p[AUGMENT_P_SATURATION] = jitter_factor(factors[2], v->saturation);
            p[AUGMENT_P_HUE] = v->hue > 0 ? (float)between(factors[3], -v->hue, v->hue) : 0.0f;
            /* Fisher-Yates, as torch.randperm(4) orders the ops. */
            int perm[4] = {0, 1, 2, 3};
            const uint32_t draws[3] = {misc[2], misc[3], order[0]};
            for (int k = 3; k >= 1; k--) {
                int j = below(draws[3 - k], k + 1), tmp = perm[k];
                perm[k] = perm[j];
                perm[j] = tmp;
            }
            for (int k = 0; k < 4; k++) p[AUGMENT_P_ORDER + k] = (float)perm[k];
        }
        p[AUGMENT_P_GRAYSCALE] = unit(coins[2]) < v->grayscale_prob;
        if (unit(coins[3]) < v->blur_prob) {
            double sigma = between(misc[1], v->blur_sigma_min, v->blur_sigma_max);
            p[AUGMENT_P_BLUR] = 1;
            p[AUGMENT_P_SIGMA] = (float)sigma;
            set_blur_weights(p, radius, sigma);
        }
        p[AUGMENT_P_SOLARIZE] = unit(misc[0]) < v->solarize_prob;
        p[AUGMENT_P_SOLARIZE_THRESHOLD] = v->solarize_threshold;
    }
}
