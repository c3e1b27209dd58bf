/* features_export.c — `byolcl features`: the frozen encoder's features of one split (BN in
 * evaluation mode after the run's resize/normalize, exactly what `eval` measures) as a
 * float32 .npy, and the labels as an int64 .npy when the data has them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "byolcl/export.h"
#include "util/npy.h"

/* The folder `path` goes into must exist and be writable: found before minutes of device work. */
static Status check_writable(const char *flag, const char *path) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    if (access(dir, W_OK) != 0)
        return error_set(BC_ERR_IO, "%s %s: cannot write into %s: %s", flag, path, dir, strerror(errno));
    return BC_OK;
}

static Status write_features(const FeaturesRequest *r, const FeatureSet *set, bool labeled, FeaturesSummary *summary) {
    size_t shape[2] = {set->count, (size_t)set->dim};
    Status st = npy_write(r->out, "<f4", sizeof(float), shape, 2, set->values);
    if (st != BC_OK) return error_wrap(st, "--out %s: ", r->out);
    if (!labeled) return BC_OK;
    int64_t *labels = malloc((set->count ? set->count : 1) * sizeof *labels);
    if (!labels) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; st == BC_OK && i < set->count; i++) labels[i] = set->labels[i];
    if (st == BC_OK && (st = npy_write(r->labels_out, "<i8", sizeof *labels, shape, 1, labels)))
        st = error_wrap(st, "--labels %s: ", r->labels_out);
    free(labels);
    if (st != BC_OK) unlink(r->out); /* both files or neither */
    summary->labels_written = st == BC_OK;
    return st;
}

Status features_export(const FeaturesRequest *r, FeaturesSummary *summary) {
    memset(summary, 0, sizeof *summary);
    /* The checkpoint first: a bad one is reported before any device work. */
    TrainConfig config;
    TrainProgress progress;
    char made_on[256];
    Status st = train_checkpoint_read_config(r->checkpoint, &config, &progress, made_on, sizeof made_on);
    if (st == BC_OK) st = check_writable("--out", r->out);
    if (st == BC_OK) st = check_writable("--labels", r->labels_out);
    if (st != BC_OK) return st;
    Dataset *ds = NULL;
    st = dataset_open(r->data_path ? r->data_path : config.data_path, r->split, NULL, &ds);
    if (st != BC_OK) return st;
    const DatasetInfo *info = dataset_info(ds);
    Device *device = NULL;
    EvalEncoder encoder = {0};
    FeatureExtractor *extractor = NULL;
    FeatureSet set = {0};
    st = device_open(r->device, NULL, &device);
    if (st == BC_OK) {
        device_print_chosen(device_info(device));
        st = eval_encoder_load(device, r->checkpoint, &encoder);
    }
    if (st == BC_OK)
        st = feature_extractor_create(device, &encoder, &encoder.config, info->height, info->width, info->channels,
                                      r->batch, &extractor);
    if (st == BC_OK) st = features_of_dataset(extractor, ds, r->max_images, &set);
    if (st == BC_OK) st = write_features(r, &set, info->has_labels, summary);
    if (st == BC_OK) summary->count = set.count, summary->dim = set.dim;
    feature_set_free(&set);
    feature_extractor_destroy(extractor);
    eval_encoder_destroy(&encoder);
    device_close(device);
    dataset_close(ds);
    return st;
}
