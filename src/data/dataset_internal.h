/* dataset_internal.h — what dataset.c shares with the per-format readers: the Dataset
 * struct, the reader table, the format entry points and small file helpers. */
#ifndef BYOLCL_DATA_DATASET_INTERNAL_H
#define BYOLCL_DATA_DATASET_INTERNAL_H

#include "byolcl/data.h"

typedef struct {
    Status (*read_image)(const Dataset *ds, size_t index, uint8_t *dst);
    void (*close)(void *impl);
} DatasetReader;

struct Dataset {
    DatasetInfo info;
    char *path;          /* owned copy behind info.path */
    int32_t *labels;     /* info.count labels, NULL when unlabeled */
    char **class_names;  /* info.class_count names, NULL = decimal numbers */
    const DatasetReader *reader;
    void *impl;
    bool skip_bad;
};

/* Format entry points: fill ds->info (except path), labels, class names, reader, impl. */
Status idx_open(Dataset *ds, const char *images_path, const char *labels_path);
Status cifar_open(Dataset *ds, bool cifar100, const char *const *files, int file_count,
                  const char *names_path, bool coarse_labels);
Status stl10_open(Dataset *ds, const char *images_path, const char *labels_path, const char *names_path);
Status png_folder_open(Dataset *ds, const char *folder, const DatasetOptions *opts);

/* Reads class names, one per line, from an optional file; a missing file leaves them NULL.
 * A file with fewer names than classes is an error naming it. */
Status dataset_read_class_names(Dataset *ds, const char *path);
/* pread of exactly `bytes`; a short read is BC_ERR_FORMAT ("truncated"). */
Status dataset_pread_exact(int fd, void *dst, size_t bytes, uint64_t offset, const char *path);
/* Checks every label is in 0..class_count-1; the error names the file and the index. */
Status dataset_check_labels(const Dataset *ds, const char *labels_path);
char *dataset_strdup(const char *s);
char *dataset_join(const char *folder, const char *name);

#endif
