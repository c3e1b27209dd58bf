/* augment.h — BYOL's two view distributions T and T' as device kernels: per-image random
 * parameters from a counter-based RNG (host), applied to uint8 (N,H,W,C) batches on the
 * device, producing normalized float (N,C,out_h,out_w) views; plus a PNG preview grid. */
#ifndef BYOLCL_AUGMENT_H
#define BYOLCL_AUGMENT_H

#include <stdint.h>
#include <stdio.h>

#include "byolcl/device.h"

/* One view distribution. Every transform draws its own parameters per image. */
typedef struct {
    float crop_area_min, crop_area_max;     /* fraction of the source area, (0, 1] */
    float crop_aspect_min, crop_aspect_max; /* width/height, drawn log-uniform */
    float flip_prob;                        /* horizontal flip */
    float jitter_prob;                      /* color jitter as one block, ops in random order */
    float brightness, contrast, saturation; /* factor ~ U[max(0, 1-s), 1+s]; 0 = op skipped */
    float hue;                              /* shift ~ U[-hue, hue] turns, <= 0.5; 0 = skipped */
    float grayscale_prob;
    float blur_prob, blur_sigma_min, blur_sigma_max; /* Gaussian blur, sigma in pixels */
    float solarize_prob, solarize_threshold;         /* x >= threshold -> 1 - x */
} AugmentViewConfig;

typedef struct {
    AugmentViewConfig view[2]; /* T (view 0) and T' (view 1) */
    int out_h, out_w;          /* output size; 0 = the input's size */
    float blur_kernel_fraction;/* kernel side ~ this x min(out_h, out_w), odd, >= 3 */
    float mean[3], std[3];     /* per channel, on [0,1] pixel values; 1-channel data uses [0] */
} AugmentConfig;

/* The paper's T and T' (BYOL.md "Augmentations"), output = input size, mean 0 / std 1
 * (the data module sets the dataset's statistics). */
void augment_config_default(AugmentConfig *config);
/* The smallest crop area fraction by default on images <= SMALL_IMAGE_MAX_SIDE px. */
#define SMALL_IMAGE_CROP_AREA_MIN 0.3f
/* The defaults for views of image_side px: the paper's, and for small images
 * (<= SMALL_IMAGE_MAX_SIDE) without Gaussian blur and with crops of at least
 * SMALL_IMAGE_CROP_AREA_MIN of the image (see augment_config.c for why). */
void augment_config_default_for(AugmentConfig *config, int image_side);
/* BC_ERR_USAGE naming the flag when a probability is outside [0,1], a range is reversed, ... */
Status augment_config_validate(const AugmentConfig *config);

/* Command-line settings. Keys (a leading "--" is accepted):
 *   aug-KEY VALUE   sets KEY for both views,  aug1-KEY for T only,  aug2-KEY for T' only
 *     crop-area MIN,MAX   crop-aspect MIN,MAX   flip-prob P   jitter-prob P
 *     brightness S   contrast S   saturation S   hue S   grayscale-prob P
 *     blur-prob P   blur-sigma MIN,MAX   solarize-prob P   solarize-threshold T
 *   aug-size H[xW]   aug-blur-kernel-fraction F   aug-mean M[,M,M]   aug-std S[,S,S]
 * BC_ERR_NOT_FOUND when `key` is not an augmentation flag (so a caller can try others),
 * BC_ERR_USAGE when the value is malformed or out of range. */
Status augment_config_set(AugmentConfig *config, const char *key, const char *value);

/* The --aug* flags of a command line, kept in order to be applied over the defaults chosen
 * once the images' size is known. Values point into argv. */
enum { AUGMENT_MAX_FLAGS = 64, AUGMENT_FLAG_KEY_MAX = 48 };
typedef struct {
    char key[AUGMENT_MAX_FLAGS][AUGMENT_FLAG_KEY_MAX]; /* "--aug-blur-prob" */
    const char *value[AUGMENT_MAX_FLAGS];
    int count;
} AugmentFlags;
/* Consumes every --aug* flag ("--k v" or "--k=v") from argv[1..*argc), compacting argv and
 * lowering *argc, so the remaining flags can go to the command's own parser; each is checked
 * against the paper's defaults (BC_ERR_USAGE naming the flag). */
Status augment_flags_take(AugmentFlags *flags, int *argc, char **argv);
/* Sets each flag, in order, on `config`. */
Status augment_flags_apply(const AugmentFlags *flags, AugmentConfig *config);
/* Whether a flag setting `name` ("mean", "blur-prob") for either view was given. */
bool augment_flags_given(const AugmentFlags *flags, const char *name);
/* The flag list above with the current values, for --help. */
void augment_config_print_help(FILE *out, const AugmentConfig *config);

/* Layout of one image's packed parameters (floats; indices mirrored in cl/augment.cl). */
enum {
    AUGMENT_P_CROP_X = 0, /* crop box in source pixels (integers) */
    AUGMENT_P_CROP_Y = 1,
    AUGMENT_P_CROP_W = 2,
    AUGMENT_P_CROP_H = 3,
    AUGMENT_P_FLIP = 4,       /* 0 / 1 */
    AUGMENT_P_JITTER = 5,     /* 0 / 1: apply the four ops below */
    AUGMENT_P_BRIGHTNESS = 6, /* factors (1 = skip), hue shift (0 = skip) */
    AUGMENT_P_CONTRAST = 7,
    AUGMENT_P_SATURATION = 8,
    AUGMENT_P_HUE = 9,
    AUGMENT_P_ORDER = 10,     /* 4 entries: op ids 0 brightness 1 contrast 2 saturation 3 hue */
    AUGMENT_P_GRAYSCALE = 14, /* 0 / 1 */
    AUGMENT_P_BLUR = 15,      /* 0 / 1 */
    AUGMENT_P_SIGMA = 16,
    AUGMENT_P_SOLARIZE = 17,  /* 0 / 1 */
    AUGMENT_P_SOLARIZE_THRESHOLD = 18,
    AUGMENT_P_WEIGHTS = 19,   /* radius + 1 normalized Gaussian taps, centre first */
};
enum { AUGMENT_OP_BRIGHTNESS, AUGMENT_OP_CONTRAST, AUGMENT_OP_SATURATION, AUGMENT_OP_HUE };

void augment_output_size(const AugmentConfig *config, int h, int w, int *out_h, int *out_w);
int augment_blur_radius(const AugmentConfig *config, int out_h, int out_w);
/* Floats per image in the packed parameter array (AUGMENT_P_WEIGHTS + radius + 1). */
int augment_param_stride(const AugmentConfig *config, int out_h, int out_w);

/* Philox4x32-10 (Salmon et al. 2011): the counter-based generator behind the parameters. */
void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/* Parameters of images first_index .. first_index+n-1 of one batch for view 0 (T) or 1
 * (T'), keyed by (seed, epoch, step, image index, view) only: the same key gives the same
 * parameters on any device, any run, and after resuming. params: n x stride floats. */
void augment_params_compute(const AugmentConfig *config, int view, uint64_t seed, int epoch,
                            int step, int first_index, int n, int h, int w, float *params);
/* One image's parameters for "no augmentation": the whole image resized, nothing else. */
void augment_params_identity(const AugmentConfig *config, int h, int w, float *params);

/* out (n, c, out_h, out_w) = normalize(augment(images_u8 (n, h, w, c))), c = 1 or 3, with
 * parameters from augment_params_compute. Queues the kernels and returns; the parameter
 * table (n x stride floats) is written to device scratch slot 1 with a blocking write, which
 * waits for earlier queued work. The blur temporary uses scratch slot 0. */
Status augment_batch(Device *device, const AugmentConfig *config, int view, uint64_t seed,
                     int epoch, int step, View out, Buffer *images_u8, int n, int h, int w, int c);
/* The same for images first_index .. first_index + n - 1 of the batch (a data-parallel
 * rank's shard): each image's views are those of its place in the whole batch. */
Status augment_batch_range(Device *device, const AugmentConfig *config, int view, uint64_t seed, int epoch,
                           int step, int first_index, View out, Buffer *images_u8, int n, int h, int w, int c);
/* The same with explicit parameters (n x augment_param_stride floats, host memory). */
Status augment_batch_with_params(Device *device, const AugmentConfig *config, View out,
                                 const float *params, Buffer *images_u8, int n, int h, int w,
                                 int c);

/* A PNG grid: one row per image, the original (resized) then views_per_image views
 * alternating T and T', shown un-normalized. images: host (n, h, w, c) uint8. */
Status augment_preview(Device *device, const AugmentConfig *config, const uint8_t *images, int n,
                       int h, int w, int c, int views_per_image, uint64_t seed,
                       const char *png_path);

#endif
