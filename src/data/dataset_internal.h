/* dataset_internal.h — what dataset.c shares with the per-format readers: the Dataset
 * struct, the reader functions, the format table's entries and small file helpers. */
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

/* A test file's name from a training file's: `from` (anywhere in the name, or with
 * whole_prefix its start) becomes `to`. */
typedef struct {
    const char *from, *to;
    bool whole_prefix;
} SplitRename;

/* One on-disk format: how dataset.c recognises and opens it. Every format's file naming
 * lives in its own file; dataset.c only walks the table. The open functions fill ds->info
 * (except path), labels, class names, reader and impl. */
typedef struct {
    const char *name;           /* for messages: "IDX", "CIFAR-10", ... */
    const char *archive_folder; /* the folder its archive unpacks into (its parent is accepted), or NULL */
    bool has_unlabeled_split;
    bool (*probe_folder)(const char *folder);
    Status (*open_folder)(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o);
    /* NULL for formats that are folders only. probe_file gets the name without its folder. */
    bool (*probe_file)(const char *name);
    Status (*open_file)(Dataset *ds, const char *path, const DatasetOptions *o);
    const char *file_names;         /* the file names probe_file takes, for messages */
    const SplitRename *test_beside; /* tried in order; ends with {NULL} */
} DatasetFormat;

extern const DatasetFormat idx_format, cifar10_format, cifar100_format, stl10_format, png_folder_format;

/* Reads class names, one per line, from an optional file; a missing file leaves them NULL.
 * A file with fewer names than classes is an error naming it. */
Status dataset_read_class_names(Dataset *ds, const char *path);
/* pread of exactly `bytes`; a short read is BC_ERR_FORMAT ("truncated"). */
Status dataset_pread_exact(int fd, void *dst, size_t bytes, uint64_t offset, const char *path);
/* Checks every label is in 0..class_count-1; the error names the file and the index. */
Status dataset_check_labels(const Dataset *ds, const char *labels_path);
char *dataset_strdup(const char *s);
char *dataset_join(const char *folder, const char *name);
bool dataset_has_file(const char *folder, const char *name);   /* a regular file */
bool dataset_has_folder(const char *folder, const char *name);
bool dataset_ends_with(const char *s, const char *suffix);

#endif
