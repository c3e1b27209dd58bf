/* bench_main.c — byolcl-bench: measures the device's peak, then checks and times every
 * kernel family against it (table or JSON), tunes our GEMM for the device (--tune). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "byolcl/data.h"
#include "util/cli_flags.h"

typedef struct {
    const char *name;
    Status (*run)(Bench *b);
} Section;

static const Section sections[] = {
    {"gemm", bench_gemm},
    {"conv", bench_conv},
    {"layers", bench_layers},
    {"optimizer", bench_optimizer},
    {"augment", bench_augment},
};

typedef struct {
    const char *device, *filter, *json;
    bool quick, check_only, tune, tune_wide, tune_gemm_gpu, step;
    double tune_seconds;
    BenchStepOptions step_options;
    int runs;
    double budget_ms;
    int seed;
} BenchFlags;

/* "--json" with no file after it means stdout. */
static void default_json_to_stdout(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0 && (i + 1 == argc || strncmp(argv[i + 1], "--", 2) == 0))
            argv[i] = "--json=-";
}

static Status run_all(Bench *b, const BenchFlags *f) {
    Status st = bench_peak(b);
    if (st != BC_OK) return st;
    /* Devices whose gemm() runs the GPU kernels tune those (GEMM_GPU: the GPU profile's
     * default); --tune-gemm-gpu searches them on any device (CI on a CPU driver). */
    bool gpu_kernels = device_profile_get(b->device, "GEMM_GPU") != 0;
    if (f->tune_gemm_gpu || ((f->tune || f->tune_wide) && gpu_kernels))
        return bench_tune_gpu(b, f->tune_wide, f->tune_seconds);
    if (f->tune || f->tune_wide) return bench_tune(b, f->tune_wide);
    if (f->step) return bench_step(b, &f->step_options);
    for (size_t i = 0; st == BC_OK && i < sizeof sections / sizeof sections[0]; i++)
        st = sections[i].run(b);
    return st;
}

static Status write_json(const Bench *b, const char *path) {
    if (strcmp(path, "-") == 0) return bench_write_json(b, stdout);
    FILE *out = fopen(path, "w");
    if (!out) return error_set(BC_ERR_IO, "--json: cannot write %s", path);
    Status st = bench_write_json(b, out);
    if (fclose(out) != 0 && st == BC_OK) st = error_set(BC_ERR_IO, "--json: writing %s failed", path);
    return st;
}

static Status bench_main(int argc, char **argv) {
    BenchFlags f = {.device = device_default_selector(), .runs = 0, .budget_ms = 0, .seed = 1,
                    .step_options = {"small", "sgd", 0, 256, 28, 1, 0, NULL, TRAIN_BN_VIEWS_DEFAULT}};
    const char *bn_views = bn_views_name(TRAIN_BN_VIEWS_DEFAULT);
    BenchStepOptions *so = &f.step_options;
    const CliFlag flags[] = {
        {"--device", FLAG_STRING, &f.device, "OpenCL device: auto | gpu | igpu | cpu | P:D | N | name substring"},
        {"--filter", FLAG_STRING, &f.filter, "run only cases whose \"section/name\" contains this text"},
        {"--quick", FLAG_BOOL, &f.quick, "CI-sized shapes and few runs"},
        {"--check-only", FLAG_BOOL, &f.check_only, "run the correctness checks only (no timing)"},
        {"--json", FLAG_STRING, &f.json, "also write the results as JSON to FILE (no FILE: stdout, no table)"},
        {"--runs", FLAG_INT, &f.runs, "timed runs per case after the warm-up, at most (0: 9, quick 3)", 0, 100000},
        {"--budget-ms", FLAG_FLOAT, &f.budget_ms, "device time per case beyond 3 runs (0: 500, quick 50)", 0, 1e7},
        {"--tune", FLAG_BOOL, &f.tune, "search our GEMM's tiles and the GEMM path; save the device profile"},
        {"--tune-wide", FLAG_BOOL, &f.tune_wide, "--tune over a wider search space"},
        {"--tune-gemm-gpu", FLAG_BOOL, &f.tune_gemm_gpu,
         "search the GPU kernels' sizes: GEMM, implicit-GEMM convolutions, split-k (what --tune does where GEMM_GPU is on) on any device"},
        {"--tune-seconds", FLAG_FLOAT, &f.tune_seconds, "stop the GPU kernels' searches after this many seconds in all (0: no bound)", 0, 1e6},
        {"--seed", FLAG_INT, &f.seed, "seed of the random operands", 0, CLI_COUNT_MAX},
        {"--step", FLAG_BOOL, &f.step, "time whole BYOL training steps, broken down by kernel kind"},
        {"--arch", FLAG_STRING, &so->arch, "--step: small | resnet18 | resnet50"},
        {"--width", FLAG_INT, &so->width, "--step: encoder width (0: 16 and 32 for small, 64 for ResNets)", 0, 1024},
        {"--batch", FLAG_INT, &so->batch, "--step: images per batch", 1, 65536},
        {"--image-size", FLAG_INT, &so->image_size, "--step: input height = width", 1, DATASET_MAX_SIDE},
        {"--channels", FLAG_INT, &so->channels, "--step: 1 (grayscale) or 3", 1, 3},
        {"--optimizer", FLAG_STRING, &so->optimizer, "--step: sgd | lars"},
        {"--steps", FLAG_INT, &so->steps, "--step: timed steps after the warm-up (0: 3, quick 1)", 0, 1000000},
        {"--method", FLAG_STRING, &so->method, "--step: byol | simclr (SimCLR's steps, each after BYOL's at the same batch)"},
        {"--bn-views", FLAG_STRING, &bn_views, "--step: separate | concat (batch norm per view, or over both views in one pass; as byolcl train)"},
        {"--stages", FLAG_INT, &so->stages, "--step: small ResNet's stages (0: the default, as byolcl train)", 0, 6},
    };
    enum { FLAG_COUNT = sizeof flags / sizeof flags[0] };
    default_json_to_stdout(argc, argv);
    bool help;
    Status st = cli_parse_flags(argc, argv, 1, flags, FLAG_COUNT, &help);
    if (st != BC_OK) return st;
    if (help) {
        cli_print_help("byolcl-bench [flags]",
                       "Measures the device's peak (FMA GFLOP/s, copy GB/s), then checks every kernel "
                       "family against\nplain-C formulas and times it with profiling events (median and "
                       "min after a warm-up).",
                       flags, FLAG_COUNT);
        return BC_OK;
    }
    if (so->channels == 2) return error_set(BC_ERR_USAGE, "--step: --channels must be 1 or 3");
    if ((st = bn_views_parse(bn_views, &so->bn_views))) return st;
    if (f.quick && so->batch == 256) so->batch = 4;
    Bench b = {.selector = f.device, .filter = f.filter, .quick = f.quick, .check_only = f.check_only,
               .seed = (uint64_t)f.seed};
    b.max_runs = f.runs ? f.runs : f.quick ? 3 : 9;
    b.budget_ms = f.budget_ms > 0 ? f.budget_ms : f.quick ? 50 : 500;
    bool json_to_stdout = f.json && strcmp(f.json, "-") == 0;
    b.table = json_to_stdout ? NULL : stdout;
    st = device_open(f.device, &(DeviceOptions){.profiling = true}, &b.device);
    if (st != BC_OK) return st;
    const DeviceInfo *info = device_info(b.device);
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M", localtime(&now));
    fprintf(json_to_stdout ? stderr : stdout, "device: %d:%d %s (%s, %s, driver %s) — selected by '%s'; %s%s%s\n",
            info->platform_index, info->device_index, info->name, device_kind_name(info->kind),
            info->platform_name, info->driver_version, f.device, date, f.quick ? ", --quick" : "",
            f.check_only ? ", --check-only" : "");
    /* Which tuned profile the numbers below ran on (tools/gpu-check.sh's steps after --tune). */
    const char *profile = device_profile_path(b.device);
    fprintf(json_to_stdout ? stderr : stdout, "profile: %s%s\n", profile,
            access(profile, R_OK) == 0 ? " (loaded)" : " (absent: the defaults of this kind of device)");
    st = run_all(&b, &f);
    if (st == BC_OK && f.json) st = write_json(&b, f.json);
    if (st == BC_OK && b.check_only) fprintf(json_to_stdout ? stderr : stdout, "\nchecks: %d passed\n", b.checks_passed);
    free(b.rows);
    device_close(b.device);
    return st;
}

int main(int argc, char **argv) {
    Status st = bench_main(argc, argv);
    if (st != BC_OK) fprintf(stderr, "byolcl-bench: %s\n", error_last());
    return status_exit_code(st);
}
