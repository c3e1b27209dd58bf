/* dataset.c — finds out which format a --data path holds, opens it with the matching
 * reader, and the format-independent queries (labels, class names, channel statistics). */
#include <dirent.h>
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

static bool has_file(const char *folder, const char *name) {
    char *p = dataset_join(folder, name);
    struct stat st;
    bool yes = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return yes;
}

static bool has_folder(const char *folder, const char *name) {
    char *p = dataset_join(folder, name);
    struct stat st;
    bool yes = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    return yes;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_idx_images_name(const char *name) {
    return ends_with(name, "images-idx3-ubyte") || ends_with(name, "images-idx3-ubyte.gz");
}

static bool idx_name_matches_split(const char *name, DatasetSplit split) {
    if (split == DATASET_TRAIN) return strstr(name, "train") != NULL;
    return strstr(name, "t10k") != NULL || strstr(name, "test") != NULL;
}

/* The labels file next to an images file: "images-idx3" -> "labels-idx1", with or without
 * .gz; NULL when there is none (an unlabeled IDX set). */
static char *idx_labels_path(const char *images_path) {
    const char *at = strstr(images_path, "images-idx3-ubyte");
    if (!at) return NULL;
    size_t prefix = (size_t)(at - images_path);
    const char *suffixes[] = {"labels-idx1-ubyte.gz", "labels-idx1-ubyte"};
    bool gz = ends_with(images_path, ".gz");
    for (int pass = 0; pass < 2; pass++) {
        const char *suffix = suffixes[gz ? pass : 1 - pass];
        char *p = malloc(prefix + strlen(suffix) + 1);
        if (!p) return NULL;
        memcpy(p, images_path, prefix);
        strcpy(p + prefix, suffix);
        struct stat st;
        if (stat(p, &st) == 0) return p;
        free(p);
    }
    return NULL;
}

static Status open_idx_file(Dataset *ds, const char *images_path) {
    char *labels = idx_labels_path(images_path);
    Status st = idx_open(ds, images_path, labels);
    free(labels);
    return st;
}

static Status open_idx_folder(Dataset *ds, const char *folder, DatasetSplit split) {
    DIR *d = opendir(folder);
    if (!d) return error_set(BC_ERR_IO, "%s: cannot list folder: %s", folder, strerror(errno));
    char *best = NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_idx_images_name(e->d_name) || !idx_name_matches_split(e->d_name, split)) continue;
        /* Prefer the sorted-first name so the choice does not depend on readdir order. */
        if (!best || strcmp(e->d_name, best) < 0) {
            free(best);
            best = dataset_strdup(e->d_name);
        }
    }
    closedir(d);
    if (!best)
        return error_set(BC_ERR_NOT_FOUND, "%s: holds IDX files but no %s images file "
                         "(*%s*-images-idx3-ubyte[.gz])", folder, dataset_split_name(split),
                         split == DATASET_TRAIN ? "train" : "t10k or test");
    char *path = dataset_join(folder, best);
    free(best);
    if (!path) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status st = open_idx_file(ds, path);
    free(path);
    return st;
}

static bool folder_has_idx(const char *folder) {
    DIR *d = opendir(folder);
    if (!d) return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));) found = is_idx_images_name(e->d_name);
    closedir(d);
    return found;
}

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
            if (has_file(folder, name)) files[n++] = dataset_join(folder, name);
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

static Status open_stl10_folder(Dataset *ds, const char *folder, DatasetSplit split) {
    const char *stem = split == DATASET_TRAIN ? "train" : split == DATASET_TEST ? "test" : "unlabeled";
    char xname[32], yname[32];
    snprintf(xname, sizeof xname, "%s_X.bin", stem);
    snprintf(yname, sizeof yname, "%s_y.bin", stem);
    char *x = dataset_join(folder, xname), *y = dataset_join(folder, yname);
    char *names = dataset_join(folder, "class_names.txt");
    bool labeled = split != DATASET_UNLABELED && has_file(folder, yname);
    Status st = stl10_open(ds, x, labeled ? y : NULL, names);
    free(x);
    free(y);
    free(names);
    return st;
}

static Status open_folder(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    /* The archives unpack into these; accept their parent too. */
    const char *nested[] = {"cifar-10-batches-bin", "cifar-100-binary", "stl10_binary"};
    for (int i = 0; i < 3; i++)
        if (has_folder(folder, nested[i])) {
            char *inner = dataset_join(folder, nested[i]);
            Status st = inner ? open_folder(ds, inner, split, o) : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
            free(inner);
            return st;
        }
    bool stl = has_file(folder, "train_X.bin") || has_file(folder, "test_X.bin") ||
               has_file(folder, "unlabeled_X.bin");
    if (split == DATASET_UNLABELED && !stl)
        return error_set(BC_ERR_NOT_FOUND, "%s: only STL-10 has an unlabeled split", folder);
    if (stl) return open_stl10_folder(ds, folder, split);
    if (folder_has_idx(folder)) return open_idx_folder(ds, folder, split);
    if (has_file(folder, "data_batch_1.bin") || has_file(folder, "test_batch.bin"))
        return open_cifar10_folder(ds, folder, split);
    if (has_file(folder, "train.bin") || has_file(folder, "test.bin"))
        return open_cifar100_folder(ds, folder, split, o->coarse_labels);
    if (has_folder(folder, "train") && has_folder(folder, "test")) {
        char *inner = dataset_join(folder, dataset_split_name(split));
        Status st = inner ? png_folder_open(ds, inner, o) : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        free(inner);
        return st;
    }
    if (split == DATASET_TEST)
        return error_set(BC_ERR_NOT_FOUND, "%s: has no test split (a PNG folder needs train/ and test/ "
                         "subfolders for one)", folder);
    return png_folder_open(ds, folder, o);
}

static Status open_file(Dataset *ds, const char *path, const DatasetOptions *o) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    if (strstr(name, "idx3-ubyte")) return open_idx_file(ds, path);
    if (strncmp(name, "data_batch_", 11) == 0 || strcmp(name, "test_batch.bin") == 0) {
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
    if (strcmp(name, "train.bin") == 0 || strcmp(name, "test.bin") == 0) {
        const char *files[1] = {path};
        return cifar_open(ds, true, files, 1, NULL, o->coarse_labels);
    }
    if (ends_with(name, "_X.bin")) {
        char *labels = dataset_strdup(path);
        if (!labels) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        labels[strlen(labels) - 5] = 'y';
        struct stat st;
        Status s = stl10_open(ds, path, stat(labels, &st) == 0 ? labels : NULL, NULL);
        free(labels);
        return s;
    }
    return error_set(BC_ERR_FORMAT, "%s: not a dataset file byolcl knows (IDX *-images-idx3-ubyte[.gz], "
                     "CIFAR data_batch_N.bin/test_batch.bin/train.bin/test.bin, STL-10 *_X.bin), "
                     "and not a folder of PNGs", path);
}

/* A file names one split. The test split of a training file is the file of the same
 * format beside it (train -> t10k or test for IDX, data_batch_N -> test_batch for CIFAR-10,
 * train -> test for CIFAR-100 and STL-10): opening the given file instead would evaluate
 * on training images. Returns the first candidate that exists (*exists true), else the
 * first candidate (for the error), else NULL (no error set) when the name names no
 * training split. */
static char *test_file_beside(const char *path, bool *exists) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    struct { const char *from, *to; bool whole_prefix; } rules[] = {
        {"train", "t10k", false}, {"train", "test", false},        /* IDX: *train*-images-idx3-ubyte */
        {"data_batch_", "test_batch.bin", true},                   /* CIFAR-10 */
        {"train.bin", "test.bin", true},                           /* CIFAR-100 */
        {"train_X.bin", "test_X.bin", true}, {"unlabeled_X.bin", "test_X.bin", true}, /* STL-10 */
    };
    bool idx = strstr(name, "idx3-ubyte") != NULL;
    char *first_guess = NULL;
    *exists = false;
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        if (idx != (r < 2)) continue;
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
