/* train.h — `byolcl train`: the configuration of a BYOL run (defaults chosen from the data
 * and the device, every choice overridable) and the training loop with progress, metrics,
 * checkpoints and exact resume. */
#ifndef BYOLCL_TRAIN_H
#define BYOLCL_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "byolcl/augment.h"
#include "byolcl/data.h"
#include "byolcl/nn.h"
#include "byolcl/optimizer.h"

/* The smallest training resolution: below it the encoder's stages see 1x1 maps and learn
 * nothing useful (--image-size, and the data's own size when --image-size is not given). */
#define TRAIN_MIN_IMAGE_SIZE 8

/* Which self-supervised objective a run trains. */
typedef enum { METHOD_BYOL = 0, METHOD_SIMCLR = 1 } MethodKind;
const char *method_kind_name(MethodKind kind);
/* "byol", "simclr" -> MethodKind; BC_ERR_USAGE naming --method otherwise. */
Status method_kind_parse(const char *text, MethodKind *out);

/* Where BatchNorm takes its batch statistics in a training step. SEPARATE: each view has
 * its own forward (statistics over the batch's B images of that view; the running
 * statistics move twice per step). CONCAT: both views go through one forward of 2B images
 * (statistics over both views; the running statistics move once per step), as PyTorch BYOL
 * code that concatenates the views does. Checkpoints store it in a section of its own:
 * those written before it existed are SEPARATE. */
typedef enum { BN_VIEWS_SEPARATE = 0, BN_VIEWS_CONCAT = 1 } BnViews;
/* The default of --bn-views: this line alone decides it. Per view, as DeepMind's BYOL code
 * (one forward per view): at the LARS defaults it led both views in one batch on every column
 * in a 7-minute and a 30-minute pair on Fashion-MNIST (docs/training.md#defaults); at the
 * SGD parity recipe concat led instead (docs/parity.md). */
#define TRAIN_BN_VIEWS_DEFAULT BN_VIEWS_SEPARATE
const char *bn_views_name(BnViews views);
/* "separate", "concat" -> BnViews; BC_ERR_USAGE naming --bn-views otherwise. */
Status bn_views_parse(const char *text, BnViews *out);

/* The objective and its ablations. Checkpoints store it in a section of its own, so those
 * written before it existed still load (as BYOL with a predictor). */
typedef struct {
    int32_t kind;       /* MethodKind */
    int32_t predictor;  /* BYOL: 1, or 0 for the --no-predictor ablation; SimCLR: 0 */
    double temperature; /* SimCLR's NT-Xent temperature; 0 for BYOL */
} MethodConfig;

/* "BYOL", "BYOL, no predictor", "BYOL, tau 0", "BYOL, tau 1" or "SimCLR": how reports
 * and pictures name a trained model. */
const char *method_title(const MethodConfig *method, double tau_base);

/* --minutes: the run's length planned from its measured pace (src/byol/time_budget.h).
 * Stored in a checkpoint section of its own; checkpoints without one have no budget. */
typedef struct {
    double minutes;        /* 0 = the length comes from --steps / --epochs */
    int32_t planned;       /* 1 once total_steps comes from a measurement */
    int32_t warmup_given;  /* --warmup-epochs was set: keep it when the length is planned */
} TrainBudget;

/* Plain data (fixed-size strings, no pointers): stored in checkpoints, all but `method`,
 * `budget` and `bn_views` in one section. */
typedef struct {
    char data_path[1024]; /* "" = the default dataset */
    char out_dir[1024];
    EncoderConfig encoder;
    HeadConfig projector, predictor;
    int batch;
    int64_t epochs, steps;   /* --epochs or --steps; steps wins, resolved into total_steps */
    int64_t total_steps, steps_per_epoch, warmup_steps;
    double warmup_epochs;
    OptimizerConfig optimizer;
    double base_lr;          /* per 256 images */
    double tau_base;
    uint64_t seed;
    AugmentConfig augment;
    int log_every;           /* steps between loss read-backs (progress and metrics) */
    int64_t checkpoint_every; /* steps; 0 = only by time, at the end and on a signal */
    double checkpoint_minutes;
    uint8_t background[3];   /* RGB that transparent PNG pixels are composited onto */
    MethodConfig method; /* from here on: not part of the checkpoint's "config" section */
    TrainBudget budget;
    int32_t bn_views;    /* BnViews; the checkpoint's "bn_views" section */
} TrainConfig;

/* Measures the encoder as it trains, for --eval-every (the command line passes eval.h's
 * knn_train_monitor), so training knows nothing of evaluation. create gets the online
 * network and its arena, borrowed (the encoder is their prefix); measure must leave the
 * training state as it found it. */
typedef struct {
    Status (*create)(Device *device, const TrainConfig *config, const Network *network, Arena *arena,
                     void **state);
    Status (*measure)(void *state, double *accuracy);
    void (*destroy)(void *state); /* NULL state is fine */
} TrainMonitor;

/* Which values the user set on the command line (-1 / 0 / NaN mean "choose for me"). */
typedef struct {
    const char *device;  /* selector */
    const char *arch;    /* NULL = auto */
    int width, stages, image_size, batch, proj_hidden, proj_out, pred_hidden;
    int64_t epochs, steps;
    double minutes;      /* > 0: train for this long (the length planned from the pace) */
    const char *optimizer;
    double lr, wd, warmup_epochs, tau_base, lars_eta;
    int64_t seed;
    const char *data_path, *out_dir, *resume;
    bool quiet;
    int64_t stop_after; /* > 0: checkpoint and stop after this many steps of this invocation */
    int64_t eval_every; /* > 0: the monitor's accuracy every this many steps, in the metrics */
    const TrainMonitor *monitor; /* needed when eval_every > 0 */
    int log_every;
    int64_t checkpoint_every;
    double checkpoint_minutes;
    AugmentFlags augment_flags; /* --aug*, applied over augment_config_default_for the views' size */
    bool out_given;        /* --out was on the command line (with --resume: copy the run there) */
    bool strict;           /* PNG folders: a bad file is an error */
    uint8_t background[3]; /* PNG folders: RGB under transparent pixels (default white) */
    const char *method;  /* NULL = byol */
    double temperature;  /* NaN = SimCLR's 0.5 for small images, else 0.1 */
    bool no_predictor;   /* BYOL ablation: the online projection predicts the target's */
    const char *bn_views; /* "separate" | "concat"; train_request_defaults: TRAIN_BN_VIEWS_DEFAULT's name */
    int sync_bn;         /* several ranks: batch norm over the whole batch (1), per rank (0); -1 = 1 */
} TrainRequest;

void train_request_defaults(TrainRequest *request);
/* Runs (or resumes) training. Prints the device on the first line, the resolved
 * configuration, progress, and a summary with the checkpoint's path. */
Status train_run(const TrainRequest *request);

/* How the run's data is opened (the PNG background it was trained with), for training,
 * resuming and evaluating alike. */
DatasetOptions train_config_data_options(const TrainConfig *config, bool strict);

/* Writes the configuration as JSON (DIR/config.json, and for the summary). */
Status train_config_write_json(const TrainConfig *config, const char *device_name, const char *path);

#endif
