/* cmd_features.c — `byolcl features`: the frozen encoder's features of a split as .npy
 * (and the labels beside them), for scikit-learn, pandas or PyTorch. */
#include <stdio.h>
#include <string.h>

#include "byolcl/export.h"
#include "util/cli_flags.h"
#include "cli/commands.h"

/* labels.npy in the folder of `features_path`. */
static void labels_beside(const char *features_path, char *out, size_t cap) {
    const char *slash = strrchr(features_path, '/');
    if (!slash) snprintf(out, cap, "labels.npy");
    else snprintf(out, cap, "%.*slabels.npy", (int)(slash + 1 - features_path), features_path);
}

Status command_features(int argc, char **argv) {
    FeaturesRequest r = {.device = device_default_selector(), .out = "features.npy", .batch = 256};
    const char *checkpoint = NULL, *split = "train", *labels = NULL;
    int max_images = 0;
    bool help = false;
    const CliFlag flags[] = {
        {"--checkpoint", FLAG_STRING, &checkpoint, "checkpoint file, or a run folder holding checkpoint.ckpt (required)"},
        {"--data", FLAG_STRING, &r.data_path, "dataset (default: the checkpoint's)"},
        {"--split", FLAG_STRING, &split, "train, test or unlabeled"},
        {"--device", FLAG_STRING, &r.device, "OpenCL device selector (auto, gpu, cpu, P:D, N, name)"},
        {"--out", FLAG_STRING, &r.out, "features .npy to write: (images, dim) float32"},
        {"--labels", FLAG_STRING, &labels, "labels .npy to write, (images,) int64 (default: labels.npy beside --out)"},
        {"--max-images", FLAG_INT, &max_images, "this many images, evenly spaced through the split (0 = all)", 0, CLI_COUNT_MAX},
        {"--batch", FLAG_INT, &r.batch, "images per feature-extraction batch", 1, 65536},
    };
    const int count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, count, "byolcl features --checkpoint CKPT --split train|test --out feats.npy",
                       "Writes the frozen encoder's features (BN in evaluation mode after the run's resize and\n"
                       "normalization: the features `byolcl eval` measures) as a float32 NumPy array, one row per\n"
                       "image in dataset order, and the labels as int64 when the data has them.", &help);
    if (st != BC_OK || help) return st;
    if (!checkpoint) return error_set(BC_ERR_USAGE, "--checkpoint is required (a checkpoint file or a run folder)");
    if ((st = cli_parse_split(split, &r.split))) return st;
    if (max_images < 0) return error_set(BC_ERR_USAGE, "--max-images must be >= 0 (got %d)", max_images);
    if (r.batch < 1) return error_set(BC_ERR_USAGE, "--batch must be at least 1 (got %d)", r.batch);
    r.max_images = (size_t)max_images;
    char path[4200], labels_path[4200];
    if ((st = cli_resolve_checkpoint(checkpoint, path, sizeof path))) return st;
    r.checkpoint = path;
    if (labels) snprintf(labels_path, sizeof labels_path, "%s", labels);
    else labels_beside(r.out, labels_path, sizeof labels_path);
    r.labels_out = labels_path;
    FeaturesSummary summary;
    if ((st = features_export(&r, &summary))) return st;
    printf("wrote %s: %zu x %d float32\n", r.out, summary.count, summary.dim);
    if (summary.labels_written) printf("wrote %s: %zu int64 labels\n", r.labels_out, summary.count);
    return BC_OK;
}
