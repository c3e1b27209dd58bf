/* cmd_augment.c — `byolcl augment`: a PNG grid of augmented views (each row an original
 * image and views alternating T and T'), the picture to look at before training with an
 * augmentation setting. Takes the same --aug-* flags as `byolcl train`. */
#include <stdio.h>
#include <stdlib.h>

#include "byolcl/augment.h"
#include "byolcl/data.h"
#include "util/cli_flags.h"
#include "cli/commands.h"

Status command_augment(int argc, char **argv) {
    AugmentFlags aug_flags;
    Status st = augment_flags_take(&aug_flags, &argc, argv);
    if (st != BC_OK) return st;
    AugmentConfig config;
    augment_config_default(&config);
    const char *data = NULL, *background = "white", *out = "views.png", *split_text = "train", *device_selector = device_default_selector();
    int count = 8, views = 6, seed = 0;
    bool help = false;
    DatasetOptions data_options = {.background_set = true};
    const CliFlag flags[] = {
        {"--data", FLAG_STRING, &data, "dataset (default: Fashion-MNIST)"},
        {"--split", FLAG_STRING, &split_text, "train, test or unlabeled"},
        {"--count", FLAG_INT, &count, "rows: images to show", 1, 64},
        {"--views", FLAG_INT, &views, "augmented views per image", 1, 32},
        {"--seed", FLAG_INT, &seed, "seed of the image choice and the augmentations", 0, CLI_COUNT_MAX},
        {"--out", FLAG_STRING, &out, "PNG file to write"},
        {"--device", FLAG_STRING, &device_selector, "OpenCL device selector"},
        {"--strict", FLAG_BOOL, &data_options.strict, "PNG folders: a bad file is an error (default: skip and count)"},
        {"--background", FLAG_STRING, &background, CLI_BACKGROUND_HELP},
    };
    const int flag_count = sizeof flags / sizeof flags[0];
    st = cli_parse_or_help(argc, argv, flags, flag_count,
                           "byolcl augment [--data PATH] [--count N] [--views V] [--out views.png] [--aug-* ...]",
                           "Writes a grid: per row an original and views drawn alternately from T and T'.\n"
                           "Augmentation flags (as for byolcl train):",
                           &help);
    if (st != BC_OK || help) {
        if (help) augment_config_print_help(stdout, &config);
        return st;
    }
    DatasetSplit split;
    if ((st = cli_parse_split(split_text, &split))) return st;
    if ((st = cli_parse_background(background, data_options.background))) return st;
    Device *device;
    if ((st = device_open(device_selector, NULL, &device))) return st;
    cli_print_chosen_device(device_info(device), device_selector);
    Dataset *ds = NULL;
    uint8_t *images = NULL;
    st = dataset_open(data, split, &data_options, &ds);
    if (st == BC_OK) {
        const DatasetInfo *info = dataset_info(ds);
        /* The defaults follow the views' side: --aug-size when given, else the images'. */
        st = augment_flags_apply(&aug_flags, &config);
        int h = config.out_h > 0 ? config.out_h : info->height, w = config.out_w > 0 ? config.out_w : info->width;
        augment_config_default_for(&config, h < w ? h : w);
        if (st == BC_OK) st = augment_flags_apply(&aug_flags, &config);
        if ((size_t)count > info->count) count = (int)info->count;
        size_t image_bytes = (size_t)info->height * (size_t)info->width * (size_t)info->channels;
        images = malloc((size_t)count * image_bytes);
        if (!images) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        /* Images spread over the dataset, shifted by the seed: different classes show up. */
        for (int i = 0; i < count && st == BC_OK; i++) {
            size_t index = ((size_t)i * info->count / (size_t)count + (size_t)seed * 7919u) % info->count;
            st = dataset_read_image(ds, index, images + (size_t)i * image_bytes);
        }
        if (st == BC_OK && info->channels != 1 && info->channels != 3)
            st = error_set(BC_ERR_USAGE, "%s: %d channels; augment shows 1- or 3-channel images", info->path,
                           info->channels);
        if (st == BC_OK)
            st = augment_preview(device, &config, images, count, info->height, info->width, info->channels, views,
                                 (uint64_t)seed, out);
        if (st == BC_OK) printf("wrote %s: %d images x (original + %d views)\n", out, count, views);
    }
    free(images);
    dataset_close(ds);
    device_close(device);
    return st;
}
