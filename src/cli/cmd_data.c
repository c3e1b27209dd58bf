/* cmd_data.c — `byolcl data`: what a --data path holds (format, count, image size,
 * channels, classes with counts, per-channel mean/std), and optionally the loader's
 * throughput on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/data.h"
#include "util/cli_flags.h"
#include "cli/commands.h"
#include "util/clock.h"

Status cli_parse_split(const char *text, DatasetSplit *split) {
    if (strcmp(text, "train") == 0) *split = DATASET_TRAIN;
    else if (strcmp(text, "test") == 0) *split = DATASET_TEST;
    else if (strcmp(text, "unlabeled") == 0) *split = DATASET_UNLABELED;
    else return error_set(BC_ERR_USAGE, "--split: '%s' is not train, test or unlabeled", text);
    return BC_OK;
}

Status cli_parse_background(const char *text, uint8_t rgb[3]) {
    int v[3], end = 0;
    if (strcmp(text, "white") == 0) v[0] = v[1] = v[2] = 255;
    else if (strcmp(text, "black") == 0) v[0] = v[1] = v[2] = 0;
    else if (sscanf(text, "%d,%d,%d%n", &v[0], &v[1], &v[2], &end) != 3 || text[end] || v[0] < 0 ||
             v[0] > 255 || v[1] < 0 || v[1] > 255 || v[2] < 0 || v[2] > 255)
        return error_set(BC_ERR_USAGE, "--background: '%s' is not white, black or R,G,B with each 0..255", text);
    for (int c = 0; c < 3; c++) rgb[c] = (uint8_t)v[c];
    return BC_OK;
}

static void print_classes(const Dataset *ds) {
    const DatasetInfo *info = dataset_info(ds);
    if (!info->has_labels) {
        printf("labels      none (unlabeled)\n");
        return;
    }
    size_t *counts = calloc((size_t)info->class_count, sizeof *counts);
    if (!counts) return;
    for (size_t i = 0; i < info->count; i++) counts[dataset_label(ds, i)]++;
    printf("classes     %d\n", info->class_count);
    for (int c = 0; c < info->class_count; c++)
        printf("  %3d %-24s %zu\n", c, dataset_class_name(ds, c), counts[c]);
    free(counts);
}

static Status bench_loader(const Dataset *ds, int batches, int batch_size, int workers) {
    LoaderOptions lo = {.batch_size = (size_t)batch_size, .seed = 1, .shuffle = true,
                        .drop_last = false, .workers = workers};
    Loader *loader;
    Status st = loader_create(ds, &lo, &loader);
    if (st != BC_OK) return st;
    Batch b;
    /* The first batch includes thread start-up; time the rest. */
    st = loader_next_batch(loader, &b);
    if (st == BC_OK) loader_release_batch(loader, &b);
    size_t images = 0;
    double start = clock_seconds();
    for (int i = 0; st == BC_OK && i < batches; i++) {
        st = loader_next_batch(loader, &b);
        if (st != BC_OK) break;
        images += b.count;
        loader_release_batch(loader, &b);
    }
    double seconds = clock_seconds() - start;
    if (st == BC_OK)
        printf("loader      %.0f images/s (%zu images in %d batches of %d, %d workers, %.2f s)\n",
               (double)images / seconds, images, batches, batch_size, loader_worker_count(loader), seconds);
    loader_close(loader);
    return st;
}

Status command_data(int argc, char **argv) {
    const char *path = NULL, *split_text = "train", *background = "white";
    int size = 0, channels = 0, stats_images = -1, bench = 0, batch_size = 256, workers = 0;
    bool strict = false, coarse = false, help = false;
    const CliFlag flags[] = {
        {"--data", FLAG_STRING, &path, "dataset: folder or file (default: Fashion-MNIST at " DATASET_DEFAULT_PATH ")"},
        {"--split", FLAG_STRING, &split_text, "train, test, or unlabeled (STL-10)"},
        {"--size", FLAG_INT, &size, "PNG folders: resize to N x N (default: the median size of the folder's images)", 1, DATASET_MAX_SIDE},
        {"--channels", FLAG_INT, &channels, "PNG folders: 1 or 3 (default: 3 if any image has color)", 1, 3},
        {"--strict", FLAG_BOOL, &strict, "PNG folders: a bad file is an error (default: skip and count)"},
        {"--background", FLAG_STRING, &background, CLI_BACKGROUND_HELP},
        {"--coarse", FLAG_BOOL, &coarse, "CIFAR-100: the 20 coarse classes"},
        {"--stats-images", FLAG_INT, &stats_images, "images (evenly spaced) for mean/std; 0 = all (default: all for IDX/CIFAR, 10000 for STL-10/PNG)", 0, CLI_COUNT_MAX},
        {"--bench", FLAG_INT, &bench, "also time the loader over N batches", 0, 1000000},
        {"--batch-size", FLAG_INT, &batch_size, "batch size for --bench", 1, 65536},
        {"--workers", FLAG_INT, &workers, "loader threads for --bench (0 = auto)", 0, 1024},
    };
    const int flag_count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, flag_count, "byolcl data [--data PATH] [--split train|test|unlabeled] [flags]",
                       "Shows what a dataset holds: format, images, size, classes, mean/std.", &help);
    if (st != BC_OK || help) return st;
    if (channels == 2) return error_set(BC_ERR_USAGE, "--channels must be 1 or 3 (got 2)");
    DatasetSplit split = DATASET_TRAIN;
    st = cli_parse_split(split_text, &split);
    if (st != BC_OK) return st;
    DatasetOptions opts = {.height = size, .width = size, .channels = channels, .strict = strict,
                           .coarse_labels = coarse, .background_set = true};
    if ((st = cli_parse_background(background, opts.background))) return st;
    Dataset *ds;
    st = dataset_open(path, split, &opts, &ds);
    if (st != BC_OK) return st;
    const DatasetInfo *info = dataset_info(ds);
    printf("data: %s %s (%s split)\n", info->format, info->path, dataset_split_name(split));
    printf("images      %zu\n", info->count);
    printf("image size  %d x %d x %d (height x width x channels)\n", info->height, info->width,
           info->channels);
    if (info->skipped_files) printf("skipped     %zu bad files\n", info->skipped_files);
    print_classes(ds);
    /* Decoding PNGs or reading gigabytes of STL-10 for exact statistics is not worth it. */
    if (stats_images < 0)
        stats_images = strcmp(info->format, "png") == 0 || strcmp(info->format, "stl10") == 0 ? 10000 : 0;
    double mean[DATASET_MAX_CHANNELS], std[DATASET_MAX_CHANNELS];
    size_t used;
    st = dataset_channel_stats(ds, (size_t)stats_images, mean, std, &used);
    if (st == BC_OK) {
        printf("mean        ");
        for (int c = 0; c < info->channels; c++) printf("%s%.4f", c ? " " : "", mean[c]);
        printf("\nstd         ");
        for (int c = 0; c < info->channels; c++) printf("%s%.4f", c ? " " : "", std[c]);
        printf("   (pixel/255, over %zu images)\n", used);
    }
    if (st == BC_OK && bench) st = bench_loader(ds, bench, batch_size, workers);
    dataset_close(ds);
    return st;
}
