/* stl10.c — STL-10 binaries: *_X.bin holds 96x96 images as three planes, each stored
 * column-major (as distributed, from MATLAB); *_y.bin one label byte 1..10 per image.
 * Pixels are read with pread at read time: unlabeled_X.bin alone is 2.7 GB. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset_internal.h"

enum { STL_SIDE = 96, STL_PLANE = STL_SIDE * STL_SIDE, STL_BYTES = 3 * STL_PLANE, STL_CLASSES = 10 };

typedef struct {
    int fd;
} StlFile;

static void stl10_close(void *impl) {
    StlFile *s = impl;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

static Status stl10_read_image(const Dataset *ds, size_t index, uint8_t *dst) {
    const StlFile *s = ds->impl;
    uint8_t *planes = malloc(STL_BYTES);
    if (!planes) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status st = dataset_pread_exact(s->fd, planes, STL_BYTES, (uint64_t)index * STL_BYTES, ds->path);
    if (st == BC_OK)
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < STL_SIDE; x++) {
                const uint8_t *column = planes + c * STL_PLANE + x * STL_SIDE;
                for (int y = 0; y < STL_SIDE; y++) dst[(y * STL_SIDE + x) * 3 + c] = column[y];
            }
    free(planes);
    return st;
}

static const DatasetReader stl10_reader = {stl10_read_image, stl10_close};

static Status read_labels(Dataset *ds, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, "%s: cannot open: %s", path,
                         strerror(errno));
    struct stat st;
    Status s = BC_OK;
    if (fstat(fd, &st) != 0) s = error_set(BC_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    else if ((uint64_t)st.st_size != ds->info.count)
        s = error_set(BC_ERR_FORMAT, "%s: has %lld labels but %s has %zu images", path,
                      (long long)st.st_size, ds->path, ds->info.count);
    uint8_t *raw = s == BC_OK ? malloc(ds->info.count) : NULL;
    if (s == BC_OK && !raw) s = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    if (s == BC_OK) s = dataset_pread_exact(fd, raw, ds->info.count, 0, path);
    close(fd);
    if (s == BC_OK && !(ds->labels = malloc(ds->info.count * sizeof *ds->labels)))
        s = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; s == BC_OK && i < ds->info.count; i++) {
        if (raw[i] < 1 || raw[i] > STL_CLASSES)
            s = error_set(BC_ERR_FORMAT, "%s: label %d of image %zu is out of range 1..%d", path,
                          raw[i], i, STL_CLASSES);
        else
            ds->labels[i] = raw[i] - 1;
    }
    free(raw);
    return s;
}

static Status stl10_open(Dataset *ds, const char *images_path, const char *labels_path, const char *names_path) {
    ds->info.format = "stl10";
    if (!(ds->path = dataset_strdup(images_path))) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    StlFile *s = calloc(1, sizeof *s);
    if (!s) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    s->fd = open(images_path, O_RDONLY | O_CLOEXEC);
    ds->impl = s;
    ds->reader = &stl10_reader;
    if (s->fd < 0)
        return error_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, "%s: cannot open: %s",
                         images_path, strerror(errno));
    struct stat st;
    if (fstat(s->fd, &st) != 0) return error_set(BC_ERR_IO, "%s: cannot stat: %s", images_path, strerror(errno));
    if (st.st_size == 0) return error_set(BC_ERR_FORMAT, "%s: empty file", images_path);
    if ((uint64_t)st.st_size % STL_BYTES != 0)
        return error_set(BC_ERR_FORMAT, "%s: truncated or not STL-10: %lld bytes is not a multiple of "
                         "the %d-byte 96x96x3 image", images_path, (long long)st.st_size, STL_BYTES);
    ds->info.count = (size_t)((uint64_t)st.st_size / STL_BYTES);
    ds->info.height = ds->info.width = STL_SIDE;
    ds->info.channels = 3;
    if (!labels_path) return BC_OK;
    ds->info.class_count = STL_CLASSES;
    Status status = read_labels(ds, labels_path);
    if (status == BC_OK && names_path) status = dataset_read_class_names(ds, names_path);
    return status;
}

/* ---- file naming: {train,test,unlabeled}_X.bin, labels in *_y.bin, class_names.txt ---- */

static Status open_stl10_folder(Dataset *ds, const char *folder, DatasetSplit split) {
    const char *stem = split == DATASET_TRAIN ? "train" : split == DATASET_TEST ? "test" : "unlabeled";
    char xname[32], yname[32];
    snprintf(xname, sizeof xname, "%s_X.bin", stem);
    snprintf(yname, sizeof yname, "%s_y.bin", stem);
    char *x = dataset_join(folder, xname), *y = dataset_join(folder, yname);
    char *names = dataset_join(folder, "class_names.txt");
    bool labeled = split != DATASET_UNLABELED && dataset_has_file(folder, yname);
    Status st = stl10_open(ds, x, labeled ? y : NULL, names);
    free(x);
    free(y);
    free(names);
    return st;
}

static bool stl10_folder(const char *folder) {
    return dataset_has_file(folder, "train_X.bin") || dataset_has_file(folder, "test_X.bin") ||
           dataset_has_file(folder, "unlabeled_X.bin");
}

static Status open_stl10_any_folder(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    (void)o;
    return open_stl10_folder(ds, folder, split);
}

static bool is_stl10_file_name(const char *name) { return dataset_ends_with(name, "_X.bin"); }

static Status open_stl10_file(Dataset *ds, const char *path, const DatasetOptions *o) {
    (void)o;
    char *labels = dataset_strdup(path);
    if (!labels) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    labels[strlen(labels) - 5] = 'y';
    struct stat st;
    Status s = stl10_open(ds, path, stat(labels, &st) == 0 ? labels : NULL, NULL);
    free(labels);
    return s;
}

static const SplitRename stl10_test_beside[] = {
    {"train_X.bin", "test_X.bin", true}, {"unlabeled_X.bin", "test_X.bin", true}, {NULL}};

const DatasetFormat stl10_format = {"STL-10", "stl10_binary", true, stl10_folder, open_stl10_any_folder,
                                    is_stl10_file_name, open_stl10_file, "*_X.bin", stl10_test_beside};
