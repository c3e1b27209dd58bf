/* features.c — images to feature rows on the device: the deterministic resize/normalize
 * (the augmentation kernel with identity parameters), then the frozen encoder with BN in
 * evaluation mode; or, without an encoder, the normalized pixels. */
#include <stdlib.h>
#include <string.h>

#include "byolcl/augment.h"
#include "byolcl/eval.h"

struct FeatureExtractor {
    Device *device;
    const EvalEncoder *encoder; /* NULL: raw pixels */
    Activations *activations;
    AugmentConfig normalize;
    int h, w, c, size, max_batch, dim;
    float *params; /* max_batch identical identity parameter rows */
    Buffer *images, *views;
};

void feature_set_free(FeatureSet *set) {
    free(set->values);
    free(set->labels);
    memset(set, 0, sizeof *set);
}

Status feature_extractor_create(Device *device, const EvalEncoder *encoder, const TrainConfig *config,
                                int image_h, int image_w, int channels, int max_batch,
                                FeatureExtractor **out) {
    *out = NULL;
    const EncoderConfig *ec = &config->encoder;
    if (channels != 1 && channels != 3)
        return error_set(BC_ERR_FORMAT, "images with %d channels cannot be evaluated (1 or 3)", channels);
    if (channels != ec->in_channels)
        return error_set(BC_ERR_USAGE, "the data has %d channel(s) but the encoder was trained on %d: "
                         "evaluate on the kind of data it was trained on (--data)", channels, ec->in_channels);
    if (max_batch < 1) return error_set(BC_ERR_USAGE, "--batch must be at least 1 (got %d)", max_batch);
    FeatureExtractor *x = calloc(1, sizeof *x);
    if (!x) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    x->device = device;
    x->encoder = encoder;
    x->h = image_h, x->w = image_w, x->c = channels, x->size = ec->image_size, x->max_batch = max_batch;
    x->normalize = config->augment;
    x->normalize.out_h = x->normalize.out_w = ec->image_size;
    x->dim = encoder ? network_output_dim(encoder->network, PART_ENCODER) : channels * ec->image_size * ec->image_size;
    int stride = augment_param_stride(&x->normalize, x->size, x->size);
    Status st = BC_OK;
    x->params = malloc((size_t)max_batch * (size_t)stride * sizeof(float));
    if (!x->params) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; st == BC_OK && i < max_batch; i++)
        augment_params_identity(&x->normalize, image_h, image_w, x->params + (size_t)i * (size_t)stride);
    size_t pixels = (size_t)max_batch * (size_t)image_h * (size_t)image_w * (size_t)channels;
    if (st == BC_OK) st = buffer_create(device, pixels, &x->images);
    if (st == BC_OK)
        st = buffer_create(device, (size_t)max_batch * (size_t)channels * (size_t)x->size * (size_t)x->size * sizeof(float),
                           &x->views);
    if (st == BC_OK && encoder)
        st = activations_create(device, encoder->network, max_batch, PART_ENCODER, false, &x->activations);
    if (st != BC_OK) {
        feature_extractor_destroy(x);
        return st;
    }
    *out = x;
    return BC_OK;
}

void feature_extractor_destroy(FeatureExtractor *x) {
    if (!x) return;
    activations_destroy(x->activations);
    buffer_release(x->images);
    buffer_release(x->views);
    free(x->params);
    free(x);
}

int feature_extractor_dim(const FeatureExtractor *x) { return x->dim; }

Status feature_extractor_run(FeatureExtractor *x, const uint8_t *images, int n, float *out) {
    if (n < 1 || n > x->max_batch)
        return error_set(BC_ERR_USAGE, "feature_extractor_run: %d images, 1..%d allowed", n, x->max_batch);
    size_t bytes = (size_t)n * (size_t)x->h * (size_t)x->w * (size_t)x->c;
    Status st = buffer_write(x->device, x->images, 0, bytes, images);
    if (st == BC_OK)
        st = augment_batch_with_params(x->device, &x->normalize, view_of(x->views), x->params, x->images, n, x->h,
                                       x->w, x->c);
    View result = view_of(x->views);
    if (st == BC_OK && x->encoder)
        st = network_forward(x->device, x->encoder->network, x->encoder->arena, x->activations, view_of(x->views), n,
                             PART_ENCODER, BN_EVAL, &result);
    if (st == BC_OK)
        st = buffer_read(x->device, result.buffer, result.offset * sizeof(float),
                         (size_t)n * (size_t)x->dim * sizeof(float), out);
    return st;
}

static Status allocate_set(FeatureSet *set, size_t count, int dim, int class_count) {
    memset(set, 0, sizeof *set);
    set->values = malloc((count ? count : 1) * (size_t)dim * sizeof(float));
    set->labels = malloc((count ? count : 1) * sizeof(int32_t));
    set->count = count, set->dim = dim, set->class_count = class_count;
    if (set->values && set->labels) return BC_OK;
    feature_set_free(set);
    return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory for %zu x %d features", count, dim);
}

/* The whole split through the prefetching loader, in dataset order. */
static Status features_of_every_image(FeatureExtractor *x, const Dataset *ds, FeatureSet *set) {
    LoaderOptions lo = {.batch_size = (size_t)x->max_batch, .shuffle = false, .drop_last = false, .one_pass = true};
    Loader *loader;
    Status st = loader_create(ds, &lo, &loader);
    size_t done = 0;
    while (st == BC_OK) {
        Batch batch;
        if ((st = loader_next_batch(loader, &batch)) || batch.count == 0) break;
        if (done + batch.count > set->count)
            st = error_set(BC_ERR_FORMAT, "the loader gave more images than the dataset holds");
        if (st == BC_OK)
            st = feature_extractor_run(x, batch.images, (int)batch.count, set->values + done * (size_t)x->dim);
        if (st == BC_OK) memcpy(set->labels + done, batch.labels, batch.count * sizeof(int32_t));
        done += batch.count;
        loader_release_batch(loader, &batch);
    }
    if (st == BC_OK) set->count = done; /* skipping datasets may give fewer */
    loader_close(loader);
    return st;
}

/* max_images evenly spaced images, read directly. */
static Status features_of_some_images(FeatureExtractor *x, const Dataset *ds, FeatureSet *set) {
    size_t total = dataset_info(ds)->count, image_bytes = (size_t)x->h * (size_t)x->w * (size_t)x->c;
    uint8_t *pixels = malloc((size_t)x->max_batch * image_bytes);
    if (!pixels) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status st = BC_OK;
    for (size_t first = 0; st == BC_OK && first < set->count; first += (size_t)x->max_batch) {
        size_t n = set->count - first < (size_t)x->max_batch ? set->count - first : (size_t)x->max_batch;
        for (size_t i = 0; st == BC_OK && i < n; i++) {
            size_t index = (first + i) * total / set->count;
            st = dataset_read_image(ds, index, pixels + i * image_bytes);
            set->labels[first + i] = dataset_label(ds, index);
        }
        if (st == BC_OK) st = feature_extractor_run(x, pixels, (int)n, set->values + first * (size_t)x->dim);
    }
    free(pixels);
    return st;
}

Status features_of_dataset(FeatureExtractor *x, const Dataset *ds, size_t max_images, FeatureSet *out) {
    const DatasetInfo *info = dataset_info(ds);
    if (info->height != x->h || info->width != x->w || info->channels != x->c)
        return error_set(BC_ERR_USAGE, "%s: images are %dx%dx%d, the extractor was made for %dx%dx%d", info->path,
                         info->height, info->width, info->channels, x->h, x->w, x->c);
    bool some = max_images > 0 && max_images < info->count;
    Status st = allocate_set(out, some ? max_images : info->count, x->dim, info->class_count);
    if (st != BC_OK) return st;
    st = some ? features_of_some_images(x, ds, out) : features_of_every_image(x, ds, out);
    if (st != BC_OK) feature_set_free(out);
    return st;
}
