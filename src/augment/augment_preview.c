/* augment_preview.c — the picture people look at to check an augmentation setting: a PNG
 * grid with one row per image, the original (resized) and then views from T and T'. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/augment.h"
#include "util/png_write.h"

enum { GAP = 2 }; /* pixels between cells, left white */

/* Renders one (n, c, oh, ow) batch of un-normalized views into grid column `column`. */
static void place_views(uint8_t *grid, int grid_w, const float *views, int n, int c, int oh,
                        int ow, int column) {
    size_t plane = (size_t)oh * ow;
    for (int i = 0; i < n; i++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                int gy = GAP + i * (oh + GAP) + y, gx = GAP + column * (ow + GAP) + x;
                for (int ch = 0; ch < c; ch++) {
                    float v = views[((size_t)i * c + ch) * plane + (size_t)y * ow + x];
                    v = v < 0 ? 0 : v > 1 ? 1 : v;
                    grid[((size_t)gy * grid_w + gx) * c + ch] = (uint8_t)lrintf(v * 255.0f);
                }
            }
}

Status augment_preview(Device *device, const AugmentConfig *config, const uint8_t *images, int n,
                       int h, int w, int c, int views_per_image, uint64_t seed,
                       const char *png_path) {
    if (n < 1 || views_per_image < 0 || (c != 1 && c != 3) || h < 1 || w < 1)
        return error_set(BC_ERR_USAGE, "augment preview: bad shape n=%d %dx%dx%d, %d views", n, h,
                         w, c, views_per_image);
    AugmentConfig display = *config; /* shown as pixels, not normalized */
    for (int ch = 0; ch < 3; ch++) display.mean[ch] = 0, display.std[ch] = 1;
    Status st = augment_config_validate(&display);
    if (st != BC_OK) return st;
    int oh, ow;
    augment_output_size(&display, h, w, &oh, &ow);
    int stride = augment_param_stride(&display, oh, ow);
    int columns = 1 + views_per_image;
    int grid_w = GAP + columns * (ow + GAP), grid_h = GAP + n * (oh + GAP);
    size_t view_floats = (size_t)n * c * oh * ow;

    uint8_t *grid = malloc((size_t)grid_w * grid_h * c);
    float *params = malloc((size_t)n * stride * sizeof *params);
    float *views = malloc(view_floats * sizeof *views);
    Buffer *input = NULL, *output = NULL;
    if (!grid || !params || !views) st = error_set(BC_ERR_OUT_OF_MEMORY, "augment preview: out of memory");
    if (st == BC_OK) st = buffer_create(device, (size_t)n * h * w * c, &input);
    if (st == BC_OK) st = buffer_write(device, input, 0, (size_t)n * h * w * c, images);
    if (st == BC_OK) st = buffer_create(device, view_floats * sizeof(float), &output);
    if (st == BC_OK) memset(grid, 255, (size_t)grid_w * grid_h * c);
    for (int column = 0; st == BC_OK && column < columns; column++) {
        if (column == 0) {
            for (int i = 0; i < n; i++) augment_params_identity(&display, h, w, params + (size_t)i * stride);
        } else {
            /* Views alternate T and T'; each pair gets its own step so all views differ. */
            int v = column - 1;
            augment_params_compute(&display, v % 2, seed, 0, v / 2, 0, n, h, w, params);
        }
        st = augment_batch_with_params(device, &display, view_of(output), params, input, n, h, w, c);
        if (st == BC_OK) st = buffer_read(device, output, 0, view_floats * sizeof(float), views);
        if (st == BC_OK) place_views(grid, grid_w, views, n, c, oh, ow, column);
    }
    if (st == BC_OK) st = png_write(png_path, grid, grid_w, grid_h, c);
    buffer_release(input);
    buffer_release(output);
    free(grid);
    free(params);
    free(views);
    return st;
}
