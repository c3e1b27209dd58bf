/* cifar.c — CIFAR-10 and CIFAR-100 binary batches: records of label byte(s) + 32x32 R,G,B
 * planes. Labels are read at open; pixels with pread when an image is asked for. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset_internal.h"

enum { CIFAR_SIDE = 32, CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE, CIFAR_PIXELS = 3 * CIFAR_PLANE };

typedef struct {
    int file_count;
    int fds[8];
    char *paths[8];
    size_t first[9]; /* first[i] = index of file i's first image; first[file_count] = count */
    size_t record;   /* bytes per record: label bytes + pixels */
} CifarFiles;

static void cifar_close(void *impl) {
    CifarFiles *c = impl;
    for (int i = 0; i < c->file_count; i++) {
        if (c->fds[i] >= 0) close(c->fds[i]);
        free(c->paths[i]);
    }
    free(c);
}

static Status cifar_read_image(const Dataset *ds, size_t index, uint8_t *dst) {
    const CifarFiles *c = ds->impl;
    int f = 0;
    while (index >= c->first[f + 1]) f++;
    size_t label_bytes = c->record - CIFAR_PIXELS;
    uint8_t planes[CIFAR_PIXELS];
    Status st = dataset_pread_exact(c->fds[f], planes, CIFAR_PIXELS,
                                    (uint64_t)(index - c->first[f]) * c->record + label_bytes, c->paths[f]);
    if (st != BC_OK) return st;
    for (int p = 0; p < CIFAR_PLANE; p++)
        for (int ch = 0; ch < 3; ch++) dst[p * 3 + ch] = planes[ch * CIFAR_PLANE + p];
    return BC_OK;
}

static const DatasetReader cifar_reader = {cifar_read_image, cifar_close};

/* Reads every record's label bytes from one batch file, in large chunks. */
static Status read_labels(const CifarFiles *c, int f, int label_byte, int32_t *labels) {
    size_t records = c->first[f + 1] - c->first[f];
    enum { CHUNK_RECORDS = 256 };
    uint8_t *chunk = malloc(CHUNK_RECORDS * c->record);
    if (!chunk) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status st = BC_OK;
    for (size_t r = 0; st == BC_OK && r < records; r += CHUNK_RECORDS) {
        size_t n = records - r < CHUNK_RECORDS ? records - r : CHUNK_RECORDS;
        st = dataset_pread_exact(c->fds[f], chunk, n * c->record, (uint64_t)r * c->record, c->paths[f]);
        for (size_t i = 0; st == BC_OK && i < n; i++) labels[r + i] = chunk[i * c->record + (size_t)label_byte];
    }
    free(chunk);
    return st;
}

static Status cifar_open(Dataset *ds, bool cifar100, const char *const *files, int file_count,
                  const char *names_path, bool coarse_labels) {
    ds->info.format = cifar100 ? "cifar100" : "cifar10";
    if (file_count < 1 || file_count > 8)
        return error_set(BC_ERR_USAGE, "cifar: %d batch files (1 to 8 expected)", file_count);
    if (!(ds->path = dataset_strdup(files[0]))) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    CifarFiles *c = calloc(1, sizeof *c);
    if (!c) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < 8; i++) c->fds[i] = -1;
    ds->impl = c;
    ds->reader = &cifar_reader;
    c->record = (cifar100 ? 2 : 1) + CIFAR_PIXELS;
    for (int i = 0; i < file_count; i++) {
        if (!(c->paths[i] = dataset_strdup(files[i]))) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        c->file_count = i + 1;
        c->fds[i] = open(files[i], O_RDONLY | O_CLOEXEC);
        if (c->fds[i] < 0)
            return error_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, "%s: cannot open: %s",
                             files[i], strerror(errno));
        struct stat st;
        if (fstat(c->fds[i], &st) != 0)
            return error_set(BC_ERR_IO, "%s: cannot stat: %s", files[i], strerror(errno));
        if (st.st_size == 0) return error_set(BC_ERR_FORMAT, "%s: empty file", files[i]);
        if ((size_t)st.st_size % c->record != 0)
            return error_set(BC_ERR_FORMAT, "%s: truncated or not a %s batch: %lld bytes is not a "
                             "multiple of the %zu-byte record", files[i], cifar100 ? "CIFAR-100" : "CIFAR-10",
                             (long long)st.st_size, c->record);
        c->first[i + 1] = c->first[i] + (size_t)st.st_size / c->record;
    }
    ds->info.count = c->first[file_count];
    ds->info.height = ds->info.width = CIFAR_SIDE;
    ds->info.channels = 3;
    ds->info.class_count = !cifar100 ? 10 : coarse_labels ? 20 : 100;
    ds->labels = malloc(ds->info.count * sizeof *ds->labels);
    if (!ds->labels) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    /* CIFAR-100 records start with the coarse label, then the fine one. */
    int label_byte = cifar100 && !coarse_labels ? 1 : 0;
    for (int f = 0; f < file_count; f++) {
        Status st = read_labels(c, f, label_byte, ds->labels + c->first[f]);
        if (st != BC_OK) return st;
        for (size_t i = c->first[f]; i < c->first[f + 1]; i++)
            if (ds->labels[i] >= ds->info.class_count)
                return error_set(BC_ERR_FORMAT, "%s: record %zu has label %d, out of range 0..%d "
                                 "(not a %s file?)", c->paths[f], i - c->first[f], (int)ds->labels[i],
                                 ds->info.class_count - 1, cifar100 ? "CIFAR-100" : "CIFAR-10");
    }
    return names_path ? dataset_read_class_names(ds, names_path) : BC_OK;
}

/* ---- file naming: CIFAR-10 data_batch_N.bin / test_batch.bin with batches.meta.txt,
 * CIFAR-100 train.bin / test.bin with *_label_names.txt ---- */

static Status open_cifar10_folder(Dataset *ds, const char *folder, DatasetSplit split) {
    char *files[5] = {0};
    int n = 0;
    Status st = BC_OK;
    if (split == DATASET_TEST) {
        files[n++] = dataset_join(folder, "test_batch.bin");
    } else {
        for (int i = 1; i <= 5; i++) {
            char name[32];
            snprintf(name, sizeof name, "data_batch_%d.bin", i);
            if (dataset_has_file(folder, name)) files[n++] = dataset_join(folder, name);
        }
        if (n == 0)
            st = error_set(BC_ERR_NOT_FOUND, "%s: no CIFAR-10 training batches (data_batch_1.bin ...)", folder);
    }
    char *names = dataset_join(folder, "batches.meta.txt");
    if (st == BC_OK) st = cifar_open(ds, false, (const char *const *)files, n, names, false);
    for (int i = 0; i < n; i++) free(files[i]);
    free(names);
    return st;
}

static Status open_cifar100_folder(Dataset *ds, const char *folder, DatasetSplit split, bool coarse) {
    char *file = dataset_join(folder, split == DATASET_TEST ? "test.bin" : "train.bin");
    char *names = dataset_join(folder, coarse ? "coarse_label_names.txt" : "fine_label_names.txt");
    const char *files[1] = {file};
    Status st = cifar_open(ds, true, files, 1, names, coarse);
    free(file);
    free(names);
    return st;
}

static bool cifar10_folder(const char *folder) {
    return dataset_has_file(folder, "data_batch_1.bin") || dataset_has_file(folder, "test_batch.bin");
}

static Status open_cifar10_any_folder(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    (void)o;
    return open_cifar10_folder(ds, folder, split);
}

static bool is_cifar10_file_name(const char *name) {
    return strncmp(name, "data_batch_", 11) == 0 || strcmp(name, "test_batch.bin") == 0;
}

static Status open_cifar10_file(Dataset *ds, const char *path, const DatasetOptions *o) {
    (void)o;
    char *folder = dataset_strdup(path);
    if (!folder) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    char *slash = strrchr(folder, '/');
    if (slash) *slash = '\0'; else strcpy(folder, ".");
    char *names = dataset_join(folder, "batches.meta.txt");
    const char *files[1] = {path};
    Status st = cifar_open(ds, false, files, 1, names, false);
    free(folder);
    free(names);
    return st;
}

static bool cifar100_folder(const char *folder) {
    return dataset_has_file(folder, "train.bin") || dataset_has_file(folder, "test.bin");
}

static Status open_cifar100_any_folder(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    return open_cifar100_folder(ds, folder, split, o->coarse_labels);
}

static bool is_cifar100_file_name(const char *name) {
    return strcmp(name, "train.bin") == 0 || strcmp(name, "test.bin") == 0;
}

static Status open_cifar100_file(Dataset *ds, const char *path, const DatasetOptions *o) {
    const char *files[1] = {path};
    return cifar_open(ds, true, files, 1, NULL, o->coarse_labels);
}

static const SplitRename cifar10_test_beside[] = {{"data_batch_", "test_batch.bin", true}, {NULL}};
static const SplitRename cifar100_test_beside[] = {{"train.bin", "test.bin", true}, {NULL}};

const DatasetFormat cifar10_format = {"CIFAR-10", "cifar-10-batches-bin", false, cifar10_folder,
                                      open_cifar10_any_folder, is_cifar10_file_name, open_cifar10_file,
                                      "data_batch_N.bin/test_batch.bin", cifar10_test_beside};
const DatasetFormat cifar100_format = {"CIFAR-100", "cifar-100-binary", false, cifar100_folder,
                                       open_cifar100_any_folder, is_cifar100_file_name, open_cifar100_file,
                                       "train.bin/test.bin", cifar100_test_beside};
