/* dataset.c — finds out which format a --data path holds by asking each format of the table
 * below (their file names are theirs: idx.c, cifar.c, stl10.c, png_folder.c), opens it with
 * that format, and the format-independent queries (labels, class names, channel statistics). */
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byolcl/log.h"
#include "data/dataset_internal.h"

char *dataset_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

char *dataset_join(const char *folder, const char *name) {
    size_t a = strlen(folder), b = strlen(name);
    char *out = malloc(a + b + 2);
    if (!out) return NULL;
    memcpy(out, folder, a);
    size_t at = a;
    if (a && folder[a - 1] != '/') out[at++] = '/';
    memcpy(out + at, name, b + 1);
    return out;
}

const char *dataset_split_name(DatasetSplit split) {
    switch (split) {
    case DATASET_TRAIN: return "train";
    case DATASET_TEST: return "test";
    case DATASET_UNLABELED: return "unlabeled";
    }
    return "?";
}

Status dataset_pread_exact(int fd, void *dst, size_t bytes, uint64_t offset, const char *path) {
    uint8_t *p = dst;
    while (bytes) {
        ssize_t got = pread(fd, p, bytes, (off_t)offset);
        if (got < 0) {
            if (errno == EINTR) continue;
            return error_set(BC_ERR_IO, "%s: read error at byte %llu: %s", path,
                             (unsigned long long)offset, strerror(errno));
        }
        if (got == 0)
            return error_set(BC_ERR_FORMAT, "%s: truncated (file ends before byte %llu)", path,
                             (unsigned long long)(offset + bytes));
        p += got, bytes -= (size_t)got, offset += (uint64_t)got;
    }
    return BC_OK;
}

Status dataset_check_labels(const Dataset *ds, const char *labels_path) {
    for (size_t i = 0; i < ds->info.count; i++)
        if (ds->labels[i] < 0 || ds->labels[i] >= ds->info.class_count)
            return error_set(BC_ERR_FORMAT, "%s: label %d of image %zu is out of range 0..%d",
                             labels_path, (int)ds->labels[i], i, ds->info.class_count - 1);
    return BC_OK;
}

Status dataset_read_class_names(Dataset *ds, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return BC_OK; /* names are optional */
    char **names = calloc((size_t)ds->info.class_count, sizeof *names);
    if (!names) {
        fclose(f);
        return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    char line[256];
    int n = 0;
    while (n < ds->info.class_count && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue; /* CIFAR's meta files end with blank lines */
        if (!(names[n++] = dataset_strdup(line))) break;
    }
    fclose(f);
    if (n < ds->info.class_count || !names[n - 1]) {
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
        return error_set(BC_ERR_FORMAT, "%s: has %d class names, the labels need %d", path, n,
                         ds->info.class_count);
    }
    ds->class_names = names;
    return BC_OK;
}

/* ---- format detection ------------------------------------------------------------- */

bool dataset_has_file(const char *folder, const char *name) {
    char *p = dataset_join(folder, name);
    struct stat st;
    bool yes = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return yes;
}

bool dataset_has_folder(const char *folder, const char *name) {
    char *p = dataset_join(folder, name);
    struct stat st;
    bool yes = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    return yes;
}

bool dataset_ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The formats, in the order a folder is tried (the PNG folder, which takes any folder, last). */
static const DatasetFormat *const formats[] = {&stl10_format, &idx_format, &cifar10_format, &cifar100_format,
                                               &png_folder_format};
enum { FORMAT_COUNT = sizeof formats / sizeof formats[0] };

static Status open_folder(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    /* The archives unpack into these; accept their parent too. */
    for (int i = 0; i < FORMAT_COUNT; i++)
        if (formats[i]->archive_folder && dataset_has_folder(folder, formats[i]->archive_folder)) {
            char *inner = dataset_join(folder, formats[i]->archive_folder);
            Status st = inner ? open_folder(ds, inner, split, o) : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
            free(inner);
            return st;
        }
    for (int i = 0; i < FORMAT_COUNT; i++) {
        const DatasetFormat *f = formats[i];
        if (!f->probe_folder(folder)) continue;
        if (split == DATASET_UNLABELED && !f->has_unlabeled_split) {
            const char *with = "no format";
            for (int j = 0; j < FORMAT_COUNT; j++)
                if (formats[j]->has_unlabeled_split) with = formats[j]->name;
            return error_set(BC_ERR_NOT_FOUND, "%s: only %s has an unlabeled split", folder, with);
        }
        return f->open_folder(ds, folder, split, o);
    }
    return error_set(BC_ERR_NOT_FOUND, "%s: no dataset format claims this folder", folder);
}

static const DatasetFormat *format_of_file(const char *path) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    for (int i = 0; i < FORMAT_COUNT; i++)
        if (formats[i]->probe_file && formats[i]->probe_file(name)) return formats[i];
    return NULL;
}

static Status open_file(Dataset *ds, const char *path, const DatasetOptions *o) {
    const DatasetFormat *f = format_of_file(path);
    if (f) return f->open_file(ds, path, o);
    char known[512] = "";
    for (int i = 0; i < FORMAT_COUNT; i++)
        if (formats[i]->file_names)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s %s", known[0] ? ", " : "",
                     formats[i]->name, formats[i]->file_names);
    return error_set(BC_ERR_FORMAT, "%s: not a dataset file byolcl knows (%s), and not a folder of PNGs", path,
                     known);
}

/* A file names one split. The test split of a training file is the file of the same
 * format beside it, renamed by the format's test_beside rules: opening the given file
 * instead would evaluate on training images. Returns the first candidate that exists (*exists true), else the
 * first candidate (for the error), else NULL (no error set) when the name names no
 * training split. */
static char *test_file_beside(const char *path, bool *exists) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const DatasetFormat *f = format_of_file(path);
    const SplitRename *rules = f ? f->test_beside : NULL;
    char *first_guess = NULL;
    *exists = false;
    for (size_t r = 0; rules && rules[r].from; r++) {
        const char *at = strstr(name, rules[r].from);
        if (!at || (rules[r].whole_prefix && at != name)) continue;
        size_t head = (size_t)(at - path), tail_at = head + strlen(rules[r].from);
        const char *tail = rules[r].whole_prefix ? "" : path + tail_at;
        char *guess = malloc(head + strlen(rules[r].to) + strlen(tail) + 1);
        if (!guess) break;
        memcpy(guess, path, head);
        strcpy(guess + head, rules[r].to);
        strcat(guess, tail);
        struct stat st;
        if (stat(guess, &st) == 0) {
            free(first_guess);
            *exists = true;
            return guess;
        }
        if (first_guess) free(guess);
        else first_guess = guess; /* reported when nothing exists */
    }
    return first_guess;
}

static Status open_test_file_beside(Dataset *ds, const char *path, const DatasetOptions *o) {
    bool exists;
    char *test = test_file_beside(path, &exists);
    Status s;
    if (!test)
        s = error_set(BC_ERR_NOT_FOUND, "%s: a file holds one split and its name names no training split to find "
                      "the test file beside it; give the folder that holds both splits", path);
    else if (!exists)
        s = error_set(BC_ERR_NOT_FOUND, "%s: the test split is read from the file beside it, %s, which does not "
                      "exist; give the folder that holds both splits", path, test);
    else
        s = open_file(ds, test, o);
    free(test);
    return s;
}

Status dataset_open(const char *path, DatasetSplit split, const DatasetOptions *opts, Dataset **out) {
    *out = NULL;
    DatasetOptions o = opts ? *opts : (DatasetOptions){0};
    bool default_path = !path || !path[0];
    if (default_path) path = DATASET_DEFAULT_PATH;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (default_path)
            return error_set(BC_ERR_NOT_FOUND,
                             "no --data given and the default dataset, Fashion-MNIST, is not at %s: "
                             "install the Debian package dataset-fashion-mnist, or point --data at "
                             "your images (a folder of PNGs, IDX, CIFAR-10/100 or STL-10 binaries)",
                             path);
        if (errno == ENOENT || errno == ENOTDIR)
            return error_set(BC_ERR_NOT_FOUND, "%s: no such file or folder", path);
        return error_set(BC_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (o.height < 0 || o.width < 0 || (o.channels != 0 && o.channels != 1 && o.channels != 3))
        return error_set(BC_ERR_USAGE, "dataset options: size %dx%d / channels %d are invalid "
                         "(channels must be 1 or 3)", o.height, o.width, o.channels);
    Dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status s = S_ISDIR(st.st_mode)       ? open_folder(ds, path, split, &o)
               : split == DATASET_TEST ? open_test_file_beside(ds, path, &o)
                                       : open_file(ds, path, &o);
    if (s == BC_OK && ds->info.count == 0)
        s = error_set(BC_ERR_FORMAT, "%s: holds no images", ds->path ? ds->path : path);
    if (s != BC_OK) {
        dataset_close(ds);
        return s;
    }
    ds->info.path = ds->path;
    ds->info.has_labels = ds->labels != NULL;
    if (!ds->labels) ds->info.class_count = 0;
    *out = ds;
    return BC_OK;
}

void dataset_close(Dataset *ds) {
    if (!ds) return;
    if (ds->reader && ds->impl) ds->reader->close(ds->impl);
    if (ds->class_names)
        for (int i = 0; i < ds->info.class_count; i++) free(ds->class_names[i]);
    free(ds->class_names);
    free(ds->labels);
    free(ds->path);
    free(ds);
}

const DatasetInfo *dataset_info(const Dataset *ds) { return &ds->info; }

const char *dataset_class_name(const Dataset *ds, int class_index) {
    if (class_index < 0 || class_index >= ds->info.class_count) return NULL;
    if (ds->class_names) return ds->class_names[class_index];
    /* Thread-local scratch: numbers as names for formats without a names file. */
    static _Thread_local char number[16];
    snprintf(number, sizeof number, "%d", class_index);
    return number;
}

int32_t dataset_label(const Dataset *ds, size_t index) {
    return ds->labels && index < ds->info.count ? ds->labels[index] : -1;
}

Status dataset_read_image(const Dataset *ds, size_t index, uint8_t *dst) {
    if (index >= ds->info.count)
        return error_set(BC_ERR_USAGE, "%s: image %zu requested, the dataset has %zu", ds->path,
                         index, ds->info.count);
    return ds->reader->read_image(ds, index, dst);
}

bool dataset_skips_bad_images(const Dataset *ds) { return ds->skip_bad; }

Status dataset_channel_stats(const Dataset *ds, size_t max_images, double mean[DATASET_MAX_CHANNELS],
                             double stddev[DATASET_MAX_CHANNELS], size_t *used_images) {
    const DatasetInfo *info = &ds->info;
    size_t n = max_images && max_images < info->count ? max_images : info->count;
    size_t pixels = (size_t)info->height * (size_t)info->width;
    uint8_t *img = malloc(pixels * (size_t)info->channels);
    if (!img) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory computing statistics");
    double sum[DATASET_MAX_CHANNELS] = {0}, sq[DATASET_MAX_CHANNELS] = {0};
    size_t used = 0;
    Status st = BC_OK;
    for (size_t k = 0; k < n; k++) {
        size_t index = (size_t)((double)k * (double)info->count / (double)n);
        st = dataset_read_image(ds, index, img);
        if (st == BC_ERR_FORMAT && ds->skip_bad) {
            log_warn("%s (left out of the statistics)", error_last());
            st = BC_OK;
            continue;
        }
        if (st != BC_OK) break;
        /* Integer sums per image keep this exact and fast; doubles across images. */
        uint64_t s[DATASET_MAX_CHANNELS] = {0}, q[DATASET_MAX_CHANNELS] = {0};
        for (size_t p = 0; p < pixels; p++)
            for (int c = 0; c < info->channels; c++) {
                uint64_t v = img[p * (size_t)info->channels + (size_t)c];
                s[c] += v, q[c] += v * v;
            }
        for (int c = 0; c < info->channels; c++) sum[c] += (double)s[c], sq[c] += (double)q[c];
        used++;
    }
    free(img);
    if (st != BC_OK) return st;
    if (!used) return error_set(BC_ERR_FORMAT, "%s: no readable image for the statistics", ds->path);
    double total = (double)used * (double)pixels;
    for (int c = 0; c < DATASET_MAX_CHANNELS; c++) {
        if (c >= info->channels) {
            mean[c] = stddev[c] = 0.0;
            continue;
        }
        double m = sum[c] / total, var = sq[c] / total - m * m;
        mean[c] = m / 255.0;
        stddev[c] = (var > 0 ? sqrt(var) : 0.0) / 255.0;
    }
    if (used_images) *used_images = used;
    return BC_OK;
}
