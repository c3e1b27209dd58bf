/* stl10.c — STL-10 binaries: *_X.bin holds 96x96 images as three planes, each stored
 * column-major (as distributed, from MATLAB); *_y.bin one label byte 1..10 per image.
 * Pixels are read with pread at read time: unlabeled_X.bin alone is 2.7 GB. */
#include <errno.h>
#include <fcntl.h>
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

Status stl10_open(Dataset *ds, const char *images_path, const char *labels_path, const char *names_path) {
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
