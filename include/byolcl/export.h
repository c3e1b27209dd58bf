/* export.h — the trained encoder outside byolcl: `byolcl export` writes its parameters and
 * BatchNorm running statistics as safetensors under torchvision's ResNet state_dict()
 * names and layouts, with the architecture and input normalization in the metadata;
 * `byolcl features` writes the frozen encoder's features (the ones `eval` uses) as .npy. */
#ifndef BYOLCL_EXPORT_H
#define BYOLCL_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "byolcl/data.h"

/* torchvision's name for a byolcl arena entry ("encoder.stage2.block0.shortcut.conv.weight"
 * -> "layer2.0.downsample.0.weight", "projector.bn.bias" -> "projector.1.bias": the heads
 * as nn.Sequential(Linear, BatchNorm1d, ReLU, Linear)). BC_ERR_FORMAT for a name outside
 * that scheme. */
Status export_tensor_name(const char *arena_name, char *out, size_t cap);

typedef struct {
    const char *checkpoint; /* the checkpoint file itself */
    const char *out;        /* .safetensors file to write */
    bool target;            /* the EMA target network instead of the online one */
    bool with_heads;        /* add projector.* (and predictor.* for the online network) */
} ExportRequest;

typedef struct {
    int tensors;
    size_t parameters; /* floats written, running statistics included */
    long long steps_trained;
    char architecture[160];
} ExportSummary;

/* Reads the checkpoint on the host (no device) and writes `out` atomically: nothing is
 * written when the checkpoint is missing, corrupt or of another architecture. */
Status export_encoder(const ExportRequest *request, ExportSummary *summary);

typedef struct {
    const char *checkpoint;  /* the checkpoint file itself */
    const char *data_path;   /* NULL = the checkpoint's dataset */
    const char *device;
    DatasetSplit split;
    const char *out;         /* features .npy: (images, dim) float32 */
    const char *labels_out;  /* labels .npy: (images,) int64, written when the data has labels */
    size_t max_images;       /* 0 = every image; else this many, evenly spaced (as eval --max-test) */
    int batch;
} FeaturesRequest;

typedef struct {
    size_t count;
    int dim;
    bool labels_written;
} FeaturesSummary;

/* Prints the device on the first line of stdout, then computes the features with BN in
 * evaluation mode after the run's resize/normalize and writes the files atomically. */
Status features_export(const FeaturesRequest *request, FeaturesSummary *summary);

#endif
