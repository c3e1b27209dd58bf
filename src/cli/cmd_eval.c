/* cmd_eval.c — `byolcl eval`: parses the flags into an EvalRequest, runs it, prints the
 * table and optionally writes the same numbers as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "byolcl/log.h"
#include "util/cli_flags.h"
#include "cli/commands.h"
#include "util/fs.h"

Status cli_resolve_checkpoint(const char *given, char *out, size_t cap) {
    train_checkpoint_path(given, out, cap);
    if (!fs_exists(out))
        return error_set(BC_ERR_IO, "--checkpoint %s: no checkpoint there (give a checkpoint file or a run "
                         "folder holding checkpoint.ckpt)", given);
    return BC_OK;
}

/* "1,0.1,0.01" -> fractions; each in (0, 1]. */
static Status parse_fractions(const char *text, EvalRequest *r) {
    r->fraction_count = 0;
    const char *p = text;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ','))
            return error_set(BC_ERR_USAGE, "--fractions: '%s' is not a comma-separated list of numbers", text);
        if (!(v > 0 && v <= 1)) return error_set(BC_ERR_USAGE, "--fractions: %g is not in (0, 1]", v);
        if (r->fraction_count == EVAL_MAX_FRACTIONS)
            return error_set(BC_ERR_USAGE, "--fractions: at most %d fractions", EVAL_MAX_FRACTIONS);
        r->fractions[r->fraction_count++] = v;
        p = *end ? end + 1 : end;
    }
    if (r->fraction_count == 0) return error_set(BC_ERR_USAGE, "--fractions: give at least one fraction");
    return BC_OK;
}

Status command_eval(int argc, char **argv) {
    EvalRequest r;
    eval_request_defaults(&r);
    r.device = device_default_selector();
    const char *checkpoint = NULL, *fractions = "1,0.1,0.01", *json = NULL;
    int max_train = 0, max_test = 0, seed = 0, probe_seed = 0;
    double temperature = r.knn.temperature;
    bool no_baseline = false, no_pixels = false, help = false;
    const CliFlag flags[] = {
        {"--checkpoint", FLAG_STRING, &checkpoint, "checkpoint file, or a run folder holding checkpoint.ckpt (required)"},
        {"--data", FLAG_STRING, &r.data_path, "labeled dataset with train and test splits (default: the checkpoint's)"},
        {"--device", FLAG_STRING, &r.device, "OpenCL device selector (auto, gpu, cpu, P:D, N, name)"},
        {"--fractions", FLAG_STRING, &fractions, "label fractions for the linear probe, comma-separated, each in (0, 1]"},
        {"--knn-k", FLAG_INT, &r.knn.k, "neighbors for the kNN classifier", 1, 100000},
        {"--knn-temperature", FLAG_FLOAT, &temperature, "kNN vote weight exp(cosine / temperature)", 1e-4, 1e4},
        {"--probe-epochs", FLAG_INT, &r.probe.epochs, "linear probe: epochs over the labeled subset", 1, 100000},
        {"--probe-batch", FLAG_INT, &r.probe.batch, "linear probe: rows per SGD step", 1, 65536},
        {"--probe-lr", FLAG_FLOAT, &r.probe.lr, "linear probe: peak learning rate (cosine to 0), SGD momentum 0.9", 1e-9, 1e4},
        {"--probe-wd", FLAG_FLOAT, &r.probe.weight_decay, "linear probe: weight decay (weights only)", 0, 10},
        {"--probe-seed", FLAG_INT, &probe_seed, "linear probe: initialization and row order", 0, CLI_COUNT_MAX},
        {"--seed", FLAG_INT, &seed, "seed of the class-balanced label subsets", 0, CLI_COUNT_MAX},
        {"--batch", FLAG_INT, &r.batch, "images per feature-extraction batch", 1, 65536},
        {"--max-train", FLAG_INT, &max_train, "use this many train images, evenly spaced (0 = all)", 0, CLI_COUNT_MAX},
        {"--max-test", FLAG_INT, &max_test, "use this many test images, evenly spaced (0 = all)", 0, CLI_COUNT_MAX},
        {"--no-baseline", FLAG_BOOL, &no_baseline, "skip the random-init encoder row"},
        {"--no-pixels", FLAG_BOOL, &no_pixels, "skip the raw-pixel row"},
        {"--json", FLAG_STRING, &json, "also write the results as JSON to this file"},
        {"--strict", FLAG_BOOL, &r.strict, "PNG folders: a bad file is an error (default: skip and count)"},
        {"--quiet", FLAG_BOOL, &r.quiet, "no progress lines on stderr"},
    };
    const int count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, count, "byolcl eval --checkpoint CKPT [flags]",
                       "Evaluates a BYOL encoder the way papers report it: frozen features (BN in evaluation\n"
                       "mode) of the train and test splits, a weighted kNN classifier and linear probes on\n"
                       "all / a class-balanced fraction of the labels, next to the same architecture at\n"
                       "random initialization and to raw pixels.", &help);
    if (st != BC_OK || help) return st;
    if (!checkpoint) return error_set(BC_ERR_USAGE, "--checkpoint is required (a checkpoint file or a run folder)");
    if ((st = parse_fractions(fractions, &r))) return st;
    r.max_train = (size_t)max_train, r.max_test = (size_t)max_test;
    r.subset_seed = (uint64_t)seed, r.probe.seed = (uint64_t)probe_seed;
    r.knn.temperature = (float)temperature;
    r.random_baseline = !no_baseline, r.raw_pixels = !no_pixels;
    char path[4200];
    if ((st = cli_resolve_checkpoint(checkpoint, path, sizeof path))) return st;
    r.checkpoint = path;
    if (r.quiet) log_set_level(LOG_WARN);
    EvalReport *report = malloc(sizeof *report);
    if (!report) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    st = eval_run(&r, report);
    if (st == BC_OK) eval_report_print(report, stdout);
    if (st == BC_OK && json) {
        st = eval_report_write_json(report, json);
        if (st == BC_OK) printf("results: %s\n", json);
    }
    free(report);
    return st;
}
