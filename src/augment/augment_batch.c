/* augment_batch.c — launches the augmentation kernels (cl/augment.cl) for one batch and
 * one view: the fused colour pass, then the two blur passes when any image is blurred. */
#include <stdlib.h>

#include "byolcl/augment.h"

/* The colour pass uses one work-group per image; its local array is sized by the same
 * profile value, AUGMENT_WG. A power of two suits every device. */
static size_t color_group_size(Device *device) {
    size_t want = (size_t)device_profile_get(device, "AUGMENT_WG");
    size_t cap = device_info(device)->max_work_group_size;
    size_t size = 1;
    while (size * 2 <= want && size * 2 <= cap) size *= 2;
    return size;
}

Status augment_batch_with_params(Device *device, const AugmentConfig *config, View out,
                                 const float *params, Buffer *images_u8, int n, int h, int w,
                                 int c) {
    if (c != 1 && c != 3)
        return error_set(BC_ERR_USAGE, "augment: images must have 1 or 3 channels, not %d", c);
    if (n < 0 || h < 1 || w < 1)
        return error_set(BC_ERR_USAGE, "augment: bad batch shape %dx%dx%dx%d", n, h, w, c);
    if (n == 0) return BC_OK;
    Status st = augment_config_validate(config);
    if (st != BC_OK) return st;
    if (buffer_bytes(images_u8) < (size_t)n * h * w * c)
        return error_set(BC_ERR_USAGE, "augment: the image buffer holds %zu bytes, the batch needs %zu",
                         buffer_bytes(images_u8), (size_t)n * h * w * c);
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    int stride = augment_param_stride(config, oh, ow), radius = augment_blur_radius(config, oh, ow);
    size_t plane = (size_t)oh * ow, view_floats = (size_t)n * c * plane;
    if (buffer_bytes(out.buffer) < (out.offset + view_floats) * sizeof(float))
        return error_set(BC_ERR_USAGE, "augment: the output view is smaller than %d x %d x %d x %d floats",
                         n, c, oh, ow);
    for (int i = 0; i < n; i++) {
        const float *p = params + (size_t)i * stride;
        if (p[AUGMENT_P_CROP_X] < 0 || p[AUGMENT_P_CROP_Y] < 0 || p[AUGMENT_P_CROP_W] < 1 ||
            p[AUGMENT_P_CROP_H] < 1 || p[AUGMENT_P_CROP_X] + p[AUGMENT_P_CROP_W] > w ||
            p[AUGMENT_P_CROP_Y] + p[AUGMENT_P_CROP_H] > h)
            return error_set(BC_ERR_USAGE, "augment: image %d's crop box lies outside the %dx%d image", i, h, w);
    }
    bool any_blur = false;
    for (int i = 0; i < n; i++) any_blur |= params[(size_t)i * stride + AUGMENT_P_BLUR] != 0;

    Kernel *color, *rows = NULL, *columns = NULL;
    st = kernel_get(device, "augment", "augment_color", &color);
    if (st == BC_OK && any_blur) st = kernel_get(device, "augment", "augment_blur_rows", &rows);
    if (st == BC_OK && any_blur) st = kernel_get(device, "augment", "augment_blur_columns_finish", &columns);
    /* The parameter table goes to scratch slot 1 with a blocking write (it waits for the work
     * queued before it, which may still read the previous table). A fresh buffer per call,
     * released after the launches, would avoid the wait but trips oclgrind 21.10, whose
     * uninitialized-value tracking goes wrong for buffers released and re-created. */
    Buffer *table = NULL, *temp = NULL;
    size_t table_bytes = (size_t)n * stride * sizeof(float);
    if (st == BC_OK) st = device_scratch(device, 1, table_bytes, &table);
    if (st == BC_OK) st = buffer_write(device, table, 0, table_bytes, params);
    if (st == BC_OK && any_blur) st = device_scratch(device, 0, view_floats * sizeof(float), &temp);
    if (st != BC_OK) return st;

    const float *m = config->mean, *s = config->std;
    size_t local = color_group_size(device), global = (size_t)n * local;
    /* Without blur the colour pass finishes the view itself; otherwise it leaves colours in
     * `out`, the row pass moves them to the scratch buffer and the column pass writes back. */
    st = KERNEL_LAUNCH(device, color, 1, &global, &local, ARG_VIEW(out), ARG_BUF(images_u8),
                       ARG_BUF(table), ARG_I(stride), ARG_I(n), ARG_I(h), ARG_I(w), ARG_I(c),
                       ARG_I(oh), ARG_I(ow), ARG_I(!any_blur), ARG_F(m[0]), ARG_F(m[1]),
                       ARG_F(m[2]), ARG_F(1 / s[0]), ARG_F(1 / s[1]), ARG_F(1 / s[2]));
    if (st == BC_OK && any_blur) {
        size_t grid[3] = {(size_t)ow, (size_t)oh, (size_t)n}, tile[3] = {8, 8, 1};
        st = KERNEL_LAUNCH(device, rows, 3, grid, tile, ARG_VIEW_OF(temp, 0), ARG_VIEW(out),
                           ARG_BUF(table), ARG_I(stride), ARG_I(n), ARG_I(c), ARG_I(oh),
                           ARG_I(ow), ARG_I(radius));
        if (st == BC_OK)
            st = KERNEL_LAUNCH(device, columns, 3, grid, tile, ARG_VIEW(out), ARG_VIEW_OF(temp, 0),
                               ARG_BUF(table), ARG_I(stride), ARG_I(n), ARG_I(c), ARG_I(oh),
                               ARG_I(ow), ARG_I(radius), ARG_F(m[0]), ARG_F(m[1]), ARG_F(m[2]),
                               ARG_F(1 / s[0]), ARG_F(1 / s[1]), ARG_F(1 / s[2]));
    }
    return st;
}

Status augment_batch(Device *device, const AugmentConfig *config, int view, uint64_t seed,
                     int epoch, int step, View out, Buffer *images_u8, int n, int h, int w, int c) {
    return augment_batch_range(device, config, view, seed, epoch, step, 0, out, images_u8, n, h, w, c);
}

Status augment_batch_range(Device *device, const AugmentConfig *config, int view, uint64_t seed, int epoch,
                           int step, int first_index, View out, Buffer *images_u8, int n, int h, int w, int c) {
    if (view != 0 && view != 1) return error_set(BC_ERR_USAGE, "augment: view must be 0 or 1, not %d", view);
    if (n <= 0 || h < 1 || w < 1) return augment_batch_with_params(device, config, out, NULL, images_u8, n, h, w, c);
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    size_t stride = (size_t)augment_param_stride(config, oh, ow);
    float *params = malloc((size_t)n * stride * sizeof *params);
    if (!params) return error_set(BC_ERR_OUT_OF_MEMORY, "augment: out of memory for %d parameter sets", n);
    augment_params_compute(config, view, seed, epoch, step, first_index, n, h, w, params);
    Status st = augment_batch_with_params(device, config, out, params, images_u8, n, h, w, c);
    free(params);
    return st;
}
