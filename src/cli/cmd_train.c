/* cmd_train.c — `byolcl train`: parses the flags into a TrainRequest and runs it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/log.h"
#include "byolcl/train.h"
#include "cli/cli_flags.h"
#include "cli/commands.h"

Status command_train(int argc, char **argv) {
    TrainRequest r;
    train_request_defaults(&r);
    r.device = device_default_selector();
    /* --resume takes an optional value: a bare --resume continues the run in --out. */
    static char empty[] = "--resume=";
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--resume") == 0 && (i + 1 == argc || strncmp(argv[i + 1], "--", 2) == 0))
            argv[i] = empty;
    Status st = augment_config_take_flags(&r.augment, &argc, argv);
    if (st != BC_OK) return st;
    double lr = NAN, wd = NAN, warmup = NAN, tau = NAN, lars_eta = NAN, checkpoint_minutes = r.checkpoint_minutes;
    double temperature = NAN;
    int epochs = -1, steps = -1, seed = 0, checkpoint_every = 0, stop_after = 0, eval_every = 0;
    const char *data = NULL;
    bool help = false;
    const CliFlag flags[] = {
        {"--data", FLAG_STRING, &data, "dataset path (IDX, CIFAR, STL-10 or a PNG folder); default Fashion-MNIST"},
        {"--device", FLAG_STRING, &r.device, "OpenCL device selector (auto, gpu, cpu, P:D, N, name)"},
        {"--method", FLAG_STRING, &r.method, "byol | simclr (NT-Xent over the batch's 2N views; no predictor, no target); default byol"},
        {"--temperature", FLAG_FLOAT, &temperature, "SimCLR's NT-Xent temperature (NaN = 0.5 for images <= 64 px, else 0.1)"},
        {"--no-predictor", FLAG_BOOL, &r.no_predictor, "BYOL ablation: no predictor, the online projection predicts the target's"},
        {"--arch", FLAG_STRING, &r.arch, "small | resnet18 | resnet50 (default: small on CPUs, resnet18 <= 64 px, else resnet50)"},
        {"--width", FLAG_INT, &r.width, "base width (default: 16 for small, 64 for ResNets; -1 = auto)"},
        {"--image-size", FLAG_INT, &r.image_size, "training resolution S (SxS views; -1 = the data's size)"},
        {"--batch", FLAG_INT, &r.batch, "images per step, each giving two views (-1 = 256)"},
        {"--epochs", FLAG_INT, &epochs, "epochs to train (-1 = 100 unless --steps is given)"},
        {"--steps", FLAG_INT, &steps, "steps to train (overrides --epochs)"},
        {"--optimizer", FLAG_STRING, &r.optimizer, "lars (paper) | sgd (momentum 0.9); default lars"},
        {"--lr", FLAG_FLOAT, &lr, "learning rate per 256 images (NaN = LARS: 1.0 for images <= 64 px, else the paper's 0.2; SGD: 0.1)"},
        {"--lars-eta", FLAG_FLOAT, &lars_eta, "LARS trust coefficient (NaN = 0.02 for images <= 64 px, else the paper's 1e-3)"},
        {"--wd", FLAG_FLOAT, &wd, "weight decay, not on biases and BN (NaN = LARS 1e-5 for <= 64 px, else 1.5e-6; SGD 5e-4)"},
        {"--warmup-epochs", FLAG_FLOAT, &warmup, "linear warmup (NaN = 10 epochs, at most a tenth of the run)"},
        {"--tau-base", FLAG_FLOAT, &tau, "target EMA rate at step 0, cosine to 1 (NaN = 0.996; ablations: 0 = online with stop-gradient at every step, 1 = fixed random target)"},
        {"--proj-hidden", FLAG_INT, &r.proj_hidden, "projector hidden size (-1 = 4096, or 512 for small)"},
        {"--proj-out", FLAG_INT, &r.proj_out, "projection size (-1 = 256, or 128 for small)"},
        {"--pred-hidden", FLAG_INT, &r.pred_hidden, "predictor hidden size (-1 = the projector's)"},
        {"--seed", FLAG_INT, &seed, "seed of initialization, data order and augmentations"},
        {"--out", FLAG_STRING, &r.out_dir, "run folder: checkpoint.ckpt, metrics.jsonl, config.json"},
        {"--resume", FLAG_STRING, &r.resume, "continue from a checkpoint file or run folder (bare: --out)"},
        {"--log-every", FLAG_INT, &r.log_every, "steps between loss read-backs / progress and metrics lines"},
        {"--checkpoint-every", FLAG_INT, &checkpoint_every, "also checkpoint every N steps (0 = by time only)"},
        {"--checkpoint-minutes", FLAG_FLOAT, &checkpoint_minutes, "checkpoint at least this often"},
        {"--stop-after", FLAG_INT, &stop_after, "checkpoint and stop after N steps of this invocation (for time-limited jobs; 0 = run to the end)"},
        {"--eval-every", FLAG_INT, &eval_every, "kNN accuracy (k 200, 5000 train / 1000 test images) every N steps, logged as knn_accuracy; needs labels (0 = never)"},
        {"--quiet", FLAG_BOOL, &r.quiet, "no progress output"},
    };
    const int count = sizeof flags / sizeof flags[0];
    st = cli_parse_or_help(argc, argv, flags, count, "byolcl train [flags]",
                           "Pretrains an encoder with BYOL (or SimCLR) on unlabeled images. Ctrl-C saves a checkpoint;\n"
                           "--resume continues exactly where it stopped. Augmentation flags (--aug-*):",
                           &help);
    if (st != BC_OK || help) {
        if (help) augment_config_print_help(stdout, &r.augment);
        return st;
    }
    r.data_path = data;
    r.lr = lr, r.wd = wd, r.lars_eta = lars_eta, r.warmup_epochs = warmup, r.tau_base = tau;
    r.temperature = temperature;
    r.epochs = epochs, r.steps = steps, r.seed = seed;
    r.checkpoint_every = checkpoint_every, r.checkpoint_minutes = checkpoint_minutes;
    r.stop_after = stop_after;
    if (eval_every < 0) return error_set(BC_ERR_USAGE, "--eval-every must be >= 0 (got %d)", eval_every);
    r.eval_every = eval_every;
    if (r.quiet) log_set_level(LOG_WARN);
    return train_run(&r);
}
