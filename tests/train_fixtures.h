/* train_fixtures.h — the tiny generated dataset and the small `byolcl train` request the
 * end-to-end training tests share (48 images of 12x12, 4 classes; a width-4 small ResNet,
 * batch 8, one loss read-back per step). Header-only, like data_fixtures.h. */
#ifndef BYOLCL_TESTS_TRAIN_FIXTURES_H
#define BYOLCL_TESTS_TRAIN_FIXTURES_H

#include "byolcl/train.h"
#include "data_fixtures.h"

FIXTURE void write_tiny_dataset(void) {
    size_t bytes;
    uint8_t *images = fixture_idx_images(48, 12, 12, &bytes);
    fixture_write(fixture_path("train-images-idx3-ubyte"), images, bytes);
    free(images);
    uint8_t *labels = fixture_idx_labels(48, 4, &bytes);
    fixture_write(fixture_path("train-labels-idx1-ubyte"), labels, bytes);
    free(labels);
}

/* A run of `steps` into `out` (copied: the request stays valid until the next call). */
FIXTURE TrainRequest tiny_request(const char *out, int64_t steps) {
    TrainRequest r;
    train_request_defaults(&r);
    static char data[512], out_dir[512];
    snprintf(data, sizeof data, "%s", fixture_path("%s", ""));
    snprintf(out_dir, sizeof out_dir, "%s", out);
    r.data_path = data;
    r.out_dir = out_dir;
    r.device = getenv("BYOLCL_TEST_DEVICE");
    r.arch = "small";
    r.width = 4;
    r.batch = 8;
    r.proj_hidden = 16;
    r.proj_out = 8;
    r.steps = steps;
    r.seed = 3;
    r.log_every = 1;
    r.quiet = true;
    return r;
}

#endif
