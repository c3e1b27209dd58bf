/* cmd_train.c — `byolcl train`: parses the flags into a TrainRequest and runs it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/dist.h"
#include "byolcl/eval.h"
#include "byolcl/log.h"
#include "byolcl/train.h"
#include "util/cli_flags.h"
#include "cli/commands.h"

/* A resumed run keeps its configuration: only how long and where it runs may change. */
static Status refuse_changes_on_resume(int argc, char **argv, const CliFlag *flags, int count, bool augment_given) {
    static const char *const may_change[] = {"--resume", "--device", "--quiet", "--out", "--steps", "--epochs",
                                             "--stop-after", "--eval-every", "--sync-bn"};
    char refused[1024] = "";
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        bool allowed = false;
        for (size_t k = 0; k < sizeof may_change / sizeof may_change[0]; k++)
            allowed |= strcmp(flags[i].name, may_change[k]) == 0;
        if (!allowed && cli_flag_given(argc, argv, 2, flags[i].name) && used < sizeof refused)
            used += (size_t)snprintf(refused + used, sizeof refused - used, "%s%s", used ? ", " : "", flags[i].name);
    }
    if (augment_given && used < sizeof refused)
        used += (size_t)snprintf(refused + used, sizeof refused - used, "%s--aug-*", used ? ", " : "");
    if (!used) return BC_OK;
    return error_set(BC_ERR_USAGE, "--resume continues a run with the configuration in its checkpoint; %s would "
                     "change it and cannot be combined with --resume (--steps/--epochs extend the run, --out "
                     "copies it; start a new run for other settings)", refused);
}

Status command_train(int argc, char **argv) {
    TrainRequest r;
    train_request_defaults(&r);
    r.device = device_default_selector();
    /* --resume takes an optional value: a bare --resume continues the run in --out. It is
     * recognized after parsing by the address of its value, never by a magic path. */
    static char bare_resume[] = "--resume=.";
    const char *bare_value = bare_resume + strlen("--resume=");
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--resume") == 0 && (i + 1 == argc || strncmp(argv[i + 1], "--", 2) == 0))
            argv[i] = bare_resume;
    /* Augmentation flags would change a resumed run's configuration: refused below. */
    bool augment_given = false;
    for (int i = 2; i < argc; i++) augment_given |= strncmp(argv[i], "--aug", 5) == 0;
    Status st = augment_flags_take(&r.augment_flags, &argc, argv);
    if (st != BC_OK) return st;
    double lr = NAN, wd = NAN, warmup = NAN, tau = NAN, lars_eta = NAN, checkpoint_minutes = r.checkpoint_minutes;
    double temperature = NAN;
    int epochs = -1, steps = -1, seed = 0, checkpoint_every = 0, stop_after = 0, eval_every = 0;
    const char *data = NULL, *background = "white", *sync_bn = NULL;
    bool help = false;
    const CliFlag flags[] = {
        {"--data", FLAG_STRING, &data, "dataset path (IDX, CIFAR, STL-10 or a PNG folder); default Fashion-MNIST"},
        {"--device", FLAG_STRING, &r.device, "OpenCL device selector (auto, gpu, cpu, P:D, N, name)"},
        {"--method", FLAG_STRING, &r.method, "byol | simclr (NT-Xent over the batch's 2N views; no predictor, no target); default byol"},
        {"--temperature", FLAG_FLOAT, &temperature, "SimCLR's NT-Xent temperature (default: 0.5 for images <= 64 px, else 0.1)", 1e-3, 1e3},
        {"--no-predictor", FLAG_BOOL, &r.no_predictor, "BYOL ablation: no predictor, the online projection predicts the target's"},
        {"--bn-views", FLAG_STRING, &r.bn_views, "separate (one forward per view: batch norm over each view's images) | concat (both views as one batch of 2N: batch norm over both, as PyTorch BYOL code does)"},
        {"--arch", FLAG_STRING, &r.arch, "small | resnet18 | resnet50 (default: small on CPUs, resnet18 <= 64 px, else resnet50)"},
        {"--width", FLAG_INT, &r.width, "base width (default: 16 for small, 64 for ResNets)", 1, 1024},
        {"--stages", FLAG_INT, &r.stages, "small: residual stages at widths w, 2w, 4w, ... (default: 4); features = w * 2^(stages-1)", 1, 6},
        {"--image-size", FLAG_INT, &r.image_size, "training resolution S (SxS views; default: the data's size)", TRAIN_MIN_IMAGE_SIZE, DATASET_MAX_SIDE},
        {"--batch", FLAG_INT, &r.batch, "images per step, each giving two views (default: 256)", 2, 65536},
        {"--epochs", FLAG_INT, &epochs, "epochs to train (default: 100 unless --steps or --minutes is given)", 1, 1000000},
        {"--steps", FLAG_INT, &steps, "steps to train (overrides --epochs)", 1, CLI_COUNT_MAX},
        {"--minutes", FLAG_FLOAT, &r.minutes, "train for this long instead: the length (and the schedules) planned from the measured pace", 0.01, 1e6},
        {"--optimizer", FLAG_STRING, &r.optimizer, "lars (paper) | sgd (momentum 0.9); default lars"},
        {"--lr", FLAG_FLOAT, &lr, "learning rate per 256 images (default: LARS 1.0 for images <= 64 px, else the paper's 0.2; SGD 0.1)", 1e-9, 1e4},
        {"--lars-eta", FLAG_FLOAT, &lars_eta, "LARS trust coefficient (default: 0.02 for images <= 64 px, else the paper's 1e-3)", 1e-9, 100},
        {"--wd", FLAG_FLOAT, &wd, "weight decay, not on biases and BN (default: LARS 1e-5 for <= 64 px, else 1.5e-6; SGD 5e-4)", 0, 10},
        {"--warmup-epochs", FLAG_FLOAT, &warmup, "linear warmup (default: 10 epochs, at most a tenth of the run)", 0, 1000000},
        {"--tau-base", FLAG_FLOAT, &tau, "target EMA rate at step 0, cosine to 1 (default: 0.99 for images <= 64 px, else the paper's 0.996; ablations: 0 = online with stop-gradient at every step, 1 = fixed random target)", 0, 1},
        {"--proj-hidden", FLAG_INT, &r.proj_hidden, "projector hidden size (default: 4096, or 512 for small)", 1, 65536},
        {"--proj-out", FLAG_INT, &r.proj_out, "projection size (default: 256, or 128 for small)", 1, 65536},
        {"--pred-hidden", FLAG_INT, &r.pred_hidden, "predictor hidden size (default: the projector's)", 1, 65536},
        {"--seed", FLAG_INT, &seed, "seed of initialization, data order and augmentations", 0, CLI_COUNT_MAX},
        {"--out", FLAG_STRING, &r.out_dir, "run folder: checkpoint.ckpt, metrics.jsonl, config.json"},
        {"--resume", FLAG_STRING, &r.resume, "continue from a checkpoint file or run folder (bare: --out)"},
        {"--log-every", FLAG_INT, &r.log_every, "steps between loss read-backs / progress and metrics lines", 1, CLI_COUNT_MAX},
        {"--checkpoint-every", FLAG_INT, &checkpoint_every, "also checkpoint every N steps (0 = by time only)", 0, CLI_COUNT_MAX},
        {"--checkpoint-minutes", FLAG_FLOAT, &checkpoint_minutes, "checkpoint at least this often (0 = not by time)", 0, 1e6},
        {"--stop-after", FLAG_INT, &stop_after, "checkpoint and stop after N steps of this invocation (for time-limited jobs; 0 = run to the end)", 0, CLI_COUNT_MAX},
        {"--eval-every", FLAG_INT, &eval_every, "kNN accuracy (k 200, 5000 train / 1000 test images) every N steps, logged as knn_accuracy; needs labels (0 = never)", 0, CLI_COUNT_MAX},
        {"--strict", FLAG_BOOL, &r.strict, "PNG folders: a bad file is an error (default: skip and count)"},
        {"--background", FLAG_STRING, &background, CLI_BACKGROUND_HELP},
        {"--sync-bn", FLAG_STRING, &sync_bn, "under mpirun: on = batch norm statistics of the whole batch (the paper's; default), off = of each rank's share"},
        {"--quiet", FLAG_BOOL, &r.quiet, "no progress output"},
    };
    const int count = sizeof flags / sizeof flags[0];
    st = cli_parse_or_help(argc, argv, flags, count, "byolcl train [flags]",
                           "Pretrains an encoder with BYOL (or SimCLR) on unlabeled images. Ctrl-C saves a checkpoint;\n"
                           "--resume continues exactly where it stopped. Augmentation flags (--aug-*):",
                           &help);
    if (st != BC_OK || help) {
        if (help) {
            AugmentConfig defaults;
            augment_config_default(&defaults);
            augment_config_print_help(stdout, &defaults);
        }
        return st;
    }
    if (r.resume == bare_value) r.resume = "";
    if (r.resume && (st = refuse_changes_on_resume(argc, argv, flags, count, augment_given))) return st;
    if ((st = cli_parse_background(background, r.background))) return st;
    if (sync_bn && strcmp(sync_bn, "on") != 0 && strcmp(sync_bn, "off") != 0)
        return error_set(BC_ERR_USAGE, "--sync-bn: '%s' is not one of on, off", sync_bn);
    if (sync_bn) r.sync_bn = strcmp(sync_bn, "on") == 0;
    r.out_given = cli_flag_given(argc, argv, 2, "--out");
    r.data_path = data;
    r.lr = lr, r.wd = wd, r.lars_eta = lars_eta, r.warmup_epochs = warmup, r.tau_base = tau;
    r.temperature = temperature;
    r.epochs = epochs, r.steps = steps, r.seed = seed;
    r.checkpoint_every = checkpoint_every, r.checkpoint_minutes = checkpoint_minutes;
    r.stop_after = stop_after;
    r.eval_every = eval_every, r.monitor = &knn_train_monitor;
    /* Under mpirun: one rank of a data-parallel run (rank 0 prints and writes). */
    if ((st = dist_init())) return st;
    if (dist_info()->rank != 0) r.quiet = true;
    if (r.quiet) log_set_level(LOG_WARN);
    return train_run(&r); /* main() leaves the MPI job after printing the outcome */
}
