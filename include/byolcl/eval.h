/* eval.h — what a representation is worth downstream, computed the way the field computes
 * it: features of a frozen encoder (BN in evaluation mode, only the deterministic
 * resize/normalize), a linear probe on standardized features trained on the device with
 * all labels or a class-balanced fraction of them, a weighted kNN classifier (cosine
 * similarity, temperature), PCA to 2-D for pictures, and the whole `byolcl eval`
 * comparison of a checkpoint's encoder with the same architecture at random
 * initialization and with raw pixels. */
#ifndef BYOLCL_EVAL_H
#define BYOLCL_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "byolcl/data.h"
#include "byolcl/train.h"

/* ---- features ------------------------------------------------------------------------- */

/* One row of `dim` floats per image, with its label, on the host. */
typedef struct {
    float *values;   /* count x dim, row-major */
    int32_t *labels; /* count labels, -1 for unlabeled images */
    size_t count;
    int dim;
    int class_count;
} FeatureSet;

void feature_set_free(FeatureSet *set);

/* An encoder to evaluate: the online encoder of a checkpoint, or the same architecture at
 * random initialization. Frozen (no gradients, no optimizer state). */
typedef struct {
    TrainConfig config; /* the run's configuration (encoder, normalization, seed, data) */
    Network *network;   /* encoder only */
    Arena *arena;       /* ARENA_FROZEN: encoder parameters and BN running statistics */
} EvalEncoder;

/* Loads the online encoder of a training checkpoint (the prefix of the online arena).
 * BC_ERR_IO / BC_ERR_FORMAT naming the file for a missing, corrupt, foreign or
 * wrong-architecture checkpoint. */
Status eval_encoder_load(Device *device, const char *checkpoint_path, EvalEncoder *out);
/* The same architecture initialized from config->seed: what training started from. */
Status eval_encoder_random(Device *device, const TrainConfig *config, EvalEncoder *out);
void eval_encoder_destroy(EvalEncoder *encoder);

/* Turns uint8 (n, h, w, c) images into features on the device: the whole image resized to
 * the encoder's input size and normalized with the run's mean/std (the augmentation
 * kernel with identity parameters), then the encoder with BN in evaluation mode. Without
 * an encoder (NULL) the features are the normalized pixels themselves (c*S*S values). */
typedef struct FeatureExtractor FeatureExtractor;

Status feature_extractor_create(Device *device, const EvalEncoder *encoder, const TrainConfig *config,
                                int image_h, int image_w, int channels, int max_batch,
                                FeatureExtractor **out);
void feature_extractor_destroy(FeatureExtractor *extractor);
int feature_extractor_dim(const FeatureExtractor *extractor);
/* out: n x dim floats. n <= max_batch. Blocks until the features are on the host. */
Status feature_extractor_run(FeatureExtractor *extractor, const uint8_t *images, int n, float *out);
/* Features of every image of `ds` in dataset order, or, when 0 < max_images < count, of
 * max_images images spaced evenly through it. */
Status features_of_dataset(FeatureExtractor *extractor, const Dataset *ds, size_t max_images,
                           FeatureSet *out);

/* Per-dimension mean and standard deviation from `fit` (double accumulation), applied to
 * every set in `sets` (fit included when listed): x = (x - mean) / std, std 0 -> 1. */
Status features_standardize(const FeatureSet *fit, FeatureSet *const *sets, int count);

/* ---- label fractions ------------------------------------------------------------------ */

/* A class-balanced subset of the labeled rows: per class, the same number
 * max(1, round(fraction * labeled / classes present)) (fewer when a class has fewer), chosen by a
 * Fisher-Yates shuffle seeded by `seed`; returned in ascending order. fraction 1 gives
 * every labeled row. Free *indices with free(). */
Status label_subset_select(const int32_t *labels, size_t count, int class_count, double fraction,
                           uint64_t seed, size_t **indices, size_t *subset_count);

/* ---- linear probe ---------------------------------------------------------------------- */

typedef struct {
    int epochs;          /* 100 */
    int batch;           /* 256 */
    double lr;           /* 0.1, cosine-annealed to 0 over the run */
    double momentum;     /* 0.9 (SGD, PyTorch semantics) */
    double weight_decay; /* 1e-4, weights only */
    uint64_t seed;       /* row order per epoch */
} ProbeConfig;

void probe_config_default(ProbeConfig *config);

typedef struct {
    double top1, top5;   /* on the test rows; top5 is NaN for <= 10 classes */
    double train_loss;   /* mean cross-entropy of the last epoch */
    size_t train_count;
} ProbeResult;

/* Multinomial logistic regression (one linear layer, softmax cross-entropy) trained with
 * SGD on the device over `train` rows (all of them, or only `rows` when not NULL), then
 * evaluated on `test`. Both sets should be standardized already. */
Status linear_probe_run(Device *device, const ProbeConfig *config, const FeatureSet *train,
                        const size_t *rows, size_t row_count, const FeatureSet *test,
                        ProbeResult *out);

/* ---- kNN ------------------------------------------------------------------------------- */

typedef struct {
    int k;             /* 200 */
    float temperature; /* 0.1: neighbor weight exp(cos / temperature) */
    int chunk;         /* test rows per similarity GEMM (0 = 256) */
} KnnConfig;

void knn_config_default(KnnConfig *config);

/* Predicts a class for every test row from its k most cosine-similar train rows, each
 * voting with weight exp(similarity / temperature); ties go to the lower class. The
 * similarities are one GEMM per chunk of test rows on the device; the top-k is on the
 * host. predictions: test->count ints. */
Status knn_predict(Device *device, const KnnConfig *config, const FeatureSet *train, const FeatureSet *test,
                   int32_t *predictions);
/* knn_predict and the fraction of test rows predicted right. */
Status knn_accuracy(Device *device, const KnnConfig *config, const FeatureSet *train, const FeatureSet *test,
                    double *accuracy);

/* ---- kNN during training ------------------------------------------------------------- */

/* `train --eval-every N`: the kNN accuracy of the online encoder as training goes, on a
 * fixed evenly spaced sample of the labeled train split (the memory bank) and of the test
 * split. The network and arena are borrowed (the online network: its encoder is a prefix). */
typedef struct KnnMonitor KnnMonitor;

enum { KNN_MONITOR_TRAIN_IMAGES = 5000, KNN_MONITOR_TEST_IMAGES = 1000 };

/* BC_ERR_USAGE when the data has no labeled test split. */
Status knn_monitor_create(Device *device, const TrainConfig *config, const Network *network, Arena *arena,
                          KnnMonitor **out);
Status knn_monitor_measure(KnnMonitor *monitor, double *accuracy);
void knn_monitor_destroy(KnnMonitor *monitor);
/* The three above as train.h's monitor, for TrainRequest.monitor. */
extern const TrainMonitor knn_train_monitor;

/* ---- 2-D projection ------------------------------------------------------------------- */

/* Projects the rows onto the first two principal components (power iteration in double,
 * deterministic; each component's sign makes its largest-magnitude coordinate positive).
 * x, y: count doubles each. */
Status pca_project_2d(const FeatureSet *set, double *x, double *y);

/* ---- `byolcl eval` ------------------------------------------------------------------- */

enum { EVAL_MAX_FRACTIONS = 8 };

typedef struct {
    const char *checkpoint;
    const char *data_path;   /* NULL = the checkpoint's */
    const char *device;
    double fractions[EVAL_MAX_FRACTIONS];
    int fraction_count;
    KnnConfig knn;
    ProbeConfig probe;
    int batch;               /* images per feature-extraction batch */
    size_t max_train, max_test; /* 0 = every image */
    bool random_baseline, raw_pixels;
    uint64_t subset_seed;
    bool quiet;              /* no progress lines on stderr */
    bool strict;             /* PNG folders: a bad file is an error */
} EvalRequest;

void eval_request_defaults(EvalRequest *request);

/* One row of the table: one representation evaluated. */
typedef struct {
    char name[64];   /* "BYOL (step 100)", "random init", "raw pixels" */
    int dim;
    double knn;      /* top-1 */
    ProbeResult probe[EVAL_MAX_FRACTIONS];
    double seconds;  /* features + kNN + probes */
} EvalRow;

typedef struct {
    char device[256];
    char checkpoint[1024];
    char dataset[1100];
    size_t train_count, test_count;
    int class_count;
    long long steps_trained;
    EvalRequest request;
    EvalRow rows[3];
    int row_count;
    double wall_s;
} EvalReport;

/* Runs everything; prints the device on the first line of stdout. */
Status eval_run(const EvalRequest *request, EvalReport *report);
void eval_report_print(const EvalReport *report, FILE *out);
Status eval_report_write_json(const EvalReport *report, const char *path);

/* ---- pictures ------------------------------------------------------------------------- */

/* `byolcl embed`: the test features of the random-init and the trained encoder projected
 * by PCA, side by side, colored by class, with a legend. `checkpoint` may name several,
 * comma-separated (files or run folders): one panel each, after the random-init one. */
enum { EMBED_MAX_CHECKPOINTS = 6 };
typedef struct {
    const char *checkpoint, *data_path, *device, *out_png;
    size_t points; /* test images drawn (evenly spaced), 0 = all */
    int batch;
} EmbedRequest;

Status embed_run(const EmbedRequest *request);

/* `byolcl plot`: the loss and the collapse monitor against steps and the kNN accuracy
 * against minutes of training (each when logged) from run_dir/metrics.jsonl, or a metrics
 * file given directly. */
Status plot_metrics(const char *run_dir_or_file, const char *out_png);
/* The collapse monitor of several runs (up to 8) on one panel, each named by its folder. */
Status plot_collapse_of_runs(const char *const *runs, int run_count, const char *out_png);

#endif
