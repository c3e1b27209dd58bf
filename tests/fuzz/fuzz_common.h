/* fuzz_common.h — shared by the libFuzzer targets: a private temporary folder (on tmpfs
 * when there is one) where each input is written as dataset files. */
#ifndef BYOLCL_FUZZ_COMMON_H
#define BYOLCL_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byolcl/data.h"
#include "byolcl/log.h"

__attribute__((unused)) static const char *fuzz_folder(void) {
    static char folder[256];
    if (!folder[0]) {
        log_set_level(LOG_QUIET);
        snprintf(folder, sizeof folder, "%s/byolcl-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(folder)) abort();
    }
    return folder;
}

__attribute__((unused)) static const char *fuzz_write(const char *name, const uint8_t *data, size_t bytes) {
    static char paths[4][512];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, 512, "%s/%s", fuzz_folder(), name);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (bytes && fwrite(data, 1, bytes, f) != bytes) abort();
    fclose(f);
    return path;
}

__attribute__((unused)) static void fuzz_remove(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fuzz_folder(), name);
    unlink(path);
}

/* Opens the fuzz folder as a dataset and reads every image: no crash, no leak, and every
 * failure comes with a message. */
__attribute__((unused)) static void fuzz_open_and_read(DatasetSplit split, const DatasetOptions *opts) {
    Dataset *ds;
    Status st = dataset_open(fuzz_folder(), split, opts, &ds);
    if (st != BC_OK) {
        if (!error_last()[0]) abort();
        return;
    }
    const DatasetInfo *info = dataset_info(ds);
    size_t bytes = (size_t)info->height * (size_t)info->width * (size_t)info->channels;
    uint8_t *img = malloc(bytes);
    for (size_t i = 0; i < info->count && i < 64; i++) {
        if (dataset_read_image(ds, i, img) != BC_OK && !error_last()[0]) abort();
        int32_t label = dataset_label(ds, i);
        if (info->has_labels ? label < 0 || label >= info->class_count : label != -1) abort();
    }
    free(img);
    dataset_close(ds);
}

#endif
