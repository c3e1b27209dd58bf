/* png_decode.c — PNG from memory to 8-bit pixels via libpng transforms (libpng's errors
 * become a Status through setjmp), and the antialiased resize + center crop. */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/png_decode.h"

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool valid_depth(int color_type, int depth) {
    switch (color_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    }
    return false;
}

Status png_read_header(const uint8_t *data, size_t bytes, const char *name, int *width, int *height,
                       bool *has_color) {
    if (bytes < 8 || memcmp(data, png_signature, 8) != 0)
        return error_set(BC_ERR_FORMAT, "%s: not a PNG file (no PNG signature)", name);
    if (bytes < 33) return error_set(BC_ERR_FORMAT, "%s: truncated PNG (%zu bytes)", name, bytes);
    if (be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0)
        return error_set(BC_ERR_FORMAT, "%s: corrupt PNG: the IHDR chunk does not come first", name);
    uint32_t w = be32(data + 16), h = be32(data + 20);
    int depth = data[24], color_type = data[25];
    if (w == 0 || h == 0) return error_set(BC_ERR_FORMAT, "%s: zero-size image (%u x %u)", name, w, h);
    if (w > PNG_MAX_SIDE || h > PNG_MAX_SIDE || (uint64_t)w * h > PNG_MAX_PIXELS)
        return error_set(BC_ERR_FORMAT, "%s: image too large (%u x %u; at most %d per side and %u pixels)",
                         name, w, h, PNG_MAX_SIDE, PNG_MAX_PIXELS);
    if (!valid_depth(color_type, depth))
        return error_set(BC_ERR_FORMAT, "%s: corrupt PNG: color type %d with bit depth %d", name,
                         color_type, depth);
    *width = (int)w, *height = (int)h;
    *has_color = (color_type & 2) != 0; /* RGB, RGBA and palette */
    return BC_OK;
}

typedef struct {
    const uint8_t *data;
    size_t bytes, at;
    jmp_buf jump;
    char message[256];
    uint8_t *pixels;
    png_bytep *rows;
} PngSource;

static void on_error(png_structp png, png_const_charp message) {
    PngSource *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", message);
    longjmp(src->jump, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png, (void)message; }

static void on_read(png_structp png, png_bytep out, size_t bytes) {
    PngSource *src = png_get_io_ptr(png);
    if (src->bytes - src->at < bytes) png_error(png, "file ends early (truncated)");
    memcpy(out, src->data + src->at, bytes);
    src->at += bytes;
}

/* In place: HWC pixels with an alpha channel after `channels` colors -> `channels` colors
 * over the background (for gray, its luminance with libpng's default sRGB weights). */
static void composite_onto(uint8_t *pixels, size_t count, int channels, const uint8_t background[3]) {
    uint8_t under[3] = {background[0], background[1], background[2]};
    if (channels == 1)
        under[0] = (uint8_t)((6968u * background[0] + 23434u * background[1] + 2366u * background[2] + 16384u) >> 15);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *in = pixels + i * (size_t)(channels + 1);
        unsigned alpha = in[channels];
        for (int c = 0; c < channels; c++)
            pixels[i * (size_t)channels + (size_t)c] =
                (uint8_t)((in[c] * alpha + under[c] * (255u - alpha) + 127u) / 255u);
    }
}

Status png_decode(const uint8_t *data, size_t bytes, const char *name, int channels,
                  const uint8_t background[3], uint8_t **pixels, int *width, int *height) {
    *pixels = NULL;
    int w0, h0;
    bool color;
    Status st = png_read_header(data, bytes, name, &w0, &h0, &color);
    if (st != BC_OK) return st;
    /* On the heap: everything longjmp must see stays valid without volatile locals. */
    PngSource *src = calloc(1, sizeof *src);
    if (!src) return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", name);
    src->data = data, src->bytes = bytes;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, src, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        free(src);
        return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", name);
    }
    if (setjmp(src->jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(src->rows);
        free(src->pixels);
        st = error_set(BC_ERR_FORMAT, "%s: corrupt PNG: %s", name, src->message);
        free(src);
        return st;
    }
    png_set_read_fn(png, src, on_read);
    png_set_user_limits(png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, color_type, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color_type, &interlace, NULL, NULL);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    /* Every image is read with an alpha channel (opaque where the file has none; a palette
     * or gray image with a tRNS chunk gains it on expansion) and composited below. */
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    bool is_color = (color_type & PNG_COLOR_MASK_COLOR) != 0;
    if (channels == 1 && is_color) png_set_rgb_to_gray_fixed(png, 1, -1, -1);
    if (channels == 3 && !is_color) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)w * (size_t)(channels + 1)) png_error(png, "unexpected row size after conversion");
    src->pixels = malloc(row_bytes * h);
    src->rows = malloc(h * sizeof *src->rows);
    if (!src->pixels || !src->rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) src->rows[y] = src->pixels + y * row_bytes;
    png_read_image(png, src->rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(src->rows);
    composite_onto(src->pixels, (size_t)w * h, channels, background);
    *pixels = src->pixels;
    *width = (int)w, *height = (int)h;
    free(src);
    return BC_OK;
}

/* One axis of the resampler: for each output position, `taps` source indices (clamped to
 * the image, so edges repeat) and their normalized weights. */
typedef struct {
    int taps;
    int *index;     /* dst * taps */
    float *weights; /* dst * taps */
} AxisFilter;

static Status axis_filter(int src, int dst, double scale, AxisFilter *f) {
    double ratio = 1.0 / scale; /* source pixels per output pixel */
    double support = ratio > 1.0 ? ratio : 1.0;
    double offset = (src - dst * ratio) / 2.0;
    f->taps = (int)ceil(2.0 * support) + 2;
    f->index = malloc((size_t)dst * (size_t)f->taps * sizeof *f->index);
    f->weights = malloc((size_t)dst * (size_t)f->taps * sizeof *f->weights);
    if (!f->index || !f->weights) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory resizing");
    for (int i = 0; i < dst; i++) {
        double center = offset + (i + 0.5) * ratio;
        int first = (int)floor(center - support);
        double total = 0.0;
        float *w = f->weights + (size_t)i * (size_t)f->taps;
        int *at = f->index + (size_t)i * (size_t)f->taps;
        for (int t = 0; t < f->taps; t++) {
            double d = fabs(first + t + 0.5 - center) / support;
            w[t] = d < 1.0 ? (float)(1.0 - d) : 0.0f;
            total += w[t];
            int j = first + t;
            at[t] = j < 0 ? 0 : j >= src ? src - 1 : j;
        }
        for (int t = 0; t < f->taps; t++) w[t] = (float)(w[t] / total);
    }
    return BC_OK;
}

Status image_resize_center_crop(const uint8_t *src, int src_h, int src_w, int channels, uint8_t *dst,
                                int dst_h, int dst_w) {
    if (src_h == dst_h && src_w == dst_w) {
        memcpy(dst, src, (size_t)src_h * (size_t)src_w * (size_t)channels);
        return BC_OK;
    }
    double sy = (double)dst_h / src_h, sx = (double)dst_w / src_w;
    double scale = sy > sx ? sy : sx;
    AxisFilter fy = {0}, fx = {0};
    size_t row = (size_t)dst_w * (size_t)channels;
    float *tmp = malloc((size_t)src_h * row * sizeof *tmp);
    Status st = tmp ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory resizing");
    if (st == BC_OK) st = axis_filter(src_h, dst_h, scale, &fy);
    if (st == BC_OK) st = axis_filter(src_w, dst_w, scale, &fx);
    if (st == BC_OK) {
        /* Rows outside the vertical filter's reach are never read: skip them. */
        int y_lo = fy.index[0], y_hi = fy.index[(size_t)dst_h * (size_t)fy.taps - 1];
        for (int y = y_lo; y <= y_hi; y++) {
            const uint8_t *in = src + (size_t)y * (size_t)src_w * (size_t)channels;
            float *out = tmp + (size_t)y * row;
            for (int x = 0; x < dst_w; x++) {
                const float *w = fx.weights + (size_t)x * (size_t)fx.taps;
                const int *at = fx.index + (size_t)x * (size_t)fx.taps;
                for (int c = 0; c < channels; c++) {
                    float acc = 0.0f;
                    for (int t = 0; t < fx.taps; t++) acc += w[t] * in[at[t] * channels + c];
                    out[x * channels + c] = acc;
                }
            }
        }
        for (int y = 0; y < dst_h; y++) {
            const float *w = fy.weights + (size_t)y * (size_t)fy.taps;
            const int *at = fy.index + (size_t)y * (size_t)fy.taps;
            uint8_t *out = dst + (size_t)y * row;
            for (size_t i = 0; i < row; i++) {
                float acc = 0.0f;
                for (int t = 0; t < fy.taps; t++) acc += w[t] * tmp[(size_t)at[t] * row + i];
                int v = (int)(acc + 0.5f);
                out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
    free(tmp);
    free(fy.index);
    free(fy.weights);
    free(fx.index);
    free(fx.weights);
    return st;
}
