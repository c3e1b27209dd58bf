/* idx.c — the IDX format of MNIST, Fashion-MNIST and EMNIST (unsigned-byte images
 * n x h x w with an optional n-label file), gzip-compressed or raw, held in memory. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/dataset_internal.h"

typedef struct {
    uint8_t *pixels; /* count * height * width */
} IdxImages;

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

static uint32_t read_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads `bytes` from an open gz stream; a short stream is "truncated", zlib errors are
 * "corrupt gzip data". Grows the buffer as data arrives, so a header that claims more than
 * the file holds fails before a huge allocation. */
static Status read_exact_gz(gzFile f, const char *path, size_t bytes, uint8_t **out) {
    size_t cap = bytes < (1u << 20) ? bytes : (1u << 20), used = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    while (used < bytes) {
        if (used == cap) {
            size_t bigger = cap * 2 < bytes ? cap * 2 : bytes;
            uint8_t *p = realloc(buf, bigger);
            if (!p) {
                free(buf);
                return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory (%zu bytes)", path, bytes);
            }
            buf = p, cap = bigger;
        }
        size_t want = cap - used;
        if (want > (1u << 30)) want = 1u << 30;
        int got = gzread(f, buf + used, (unsigned)want);
        if (got <= 0) {
            int errnum;
            const char *msg = gzerror(f, &errnum);
            free(buf);
            if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END))
                return error_set(BC_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg);
            return error_set(BC_ERR_FORMAT, "%s: truncated: %zu bytes of data expected, %zu present",
                             path, bytes, used);
        }
        used += (size_t)got;
    }
    *out = buf;
    return BC_OK;
}

static Status expect_end(gzFile f, const char *path) {
    uint8_t extra;
    int got = gzread(f, &extra, 1);
    if (got > 0)
        return error_set(BC_ERR_FORMAT, "%s: has data after the images/labels its header announces", path);
    int errnum;
    const char *msg = gzerror(f, &errnum);
    if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END))
        return error_set(BC_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg);
    return BC_OK;
}

/* Opens an IDX file, checks magic and type, returns the dimensions (dims[0] = count). */
static Status open_idx(const char *path, int want_dims, uint32_t dims[3], gzFile *out) {
    gzFile f = gzopen(path, "rb");
    if (!f) return error_set(BC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t header[16];
    size_t header_bytes = 4 + 4 * (size_t)want_dims;
    int got = gzread(f, header, (unsigned)header_bytes);
    Status st = BC_OK;
    if (got < 0 || (size_t)got < header_bytes) {
        int errnum;
        const char *msg = gzerror(f, &errnum);
        st = errnum != Z_OK && errnum != Z_STREAM_END
                 ? error_set(BC_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg)
                 : error_set(BC_ERR_FORMAT, "%s: truncated: shorter than the %zu-byte IDX header",
                             path, header_bytes);
    } else if (header[0] != 0 || header[1] != 0 || header[3] != want_dims) {
        st = error_set(BC_ERR_FORMAT, "%s: wrong magic number %02x %02x %02x %02x: not an IDX %s file "
                       "(expected 00 00 08 %02x)", path, header[0], header[1], header[2], header[3],
                       want_dims == 3 ? "images" : "labels", want_dims);
    } else if (header[2] != 0x08) {
        st = error_set(BC_ERR_FORMAT, "%s: IDX element type 0x%02x; only unsigned bytes (0x08) are "
                       "supported", path, header[2]);
    }
    if (st != BC_OK) {
        gzclose(f);
        return st;
    }
    for (int i = 0; i < want_dims; i++) dims[i] = read_be32(header + 4 + 4 * i);
    *out = f;
    return BC_OK;
}

static Status load_images(Dataset *ds, const char *path, IdxImages *img) {
    uint32_t dims[3] = {0};
    gzFile f = NULL;
    Status st = open_idx(path, 3, dims, &f);
    if (st != BC_OK) return st;
    if (dims[0] == 0) st = error_set(BC_ERR_FORMAT, "%s: holds no images (count 0)", path);
    else if (dims[1] == 0 || dims[2] == 0)
        st = error_set(BC_ERR_FORMAT, "%s: zero-size images (%u x %u)", path, dims[1], dims[2]);
    else if (dims[1] > 65536 || dims[2] > 65536 || (uint64_t)dims[1] * dims[2] > (1u << 24))
        st = error_set(BC_ERR_FORMAT, "%s: implausible image size %u x %u", path, dims[1], dims[2]);
    uint64_t bytes = (uint64_t)dims[0] * dims[1] * dims[2];
    if (st == BC_OK && bytes > SIZE_MAX / 2)
        st = error_set(BC_ERR_FORMAT, "%s: header announces %llu bytes of images", path,
                       (unsigned long long)bytes);
    if (st == BC_OK) st = read_exact_gz(f, path, (size_t)bytes, &img->pixels);
    if (st == BC_OK) st = expect_end(f, path);
    gzclose(f);
    if (st != BC_OK) return st;
    ds->info.count = dims[0];
    ds->info.height = (int)dims[1];
    ds->info.width = (int)dims[2];
    ds->info.channels = 1;
    return BC_OK;
}

static bool mentions_fashion(const char *path) {
    for (const char *p = path; *p; p++) {
        const char *w = "fashion";
        size_t i = 0;
        while (w[i] && p[i] && tolower((unsigned char)p[i]) == w[i]) i++;
        if (!w[i]) return true;
    }
    return false;
}

static bool is_standard_mnist_name(const char *labels_path) {
    const char *name = strrchr(labels_path, '/');
    name = name ? name + 1 : labels_path;
    return strncmp(name, "train-labels-idx1-ubyte", 23) == 0 || strncmp(name, "t10k-labels-idx1-ubyte", 22) == 0;
}

static Status load_labels(Dataset *ds, const char *path) {
    uint32_t dims[3] = {0};
    gzFile f = NULL;
    Status st = open_idx(path, 1, dims, &f);
    if (st != BC_OK) return st;
    uint8_t *raw = NULL;
    if (dims[0] != ds->info.count)
        st = error_set(BC_ERR_FORMAT, "%s: has %u labels but the images file has %zu images", path,
                       dims[0], ds->info.count);
    if (st == BC_OK) st = read_exact_gz(f, path, dims[0], &raw);
    if (st == BC_OK) st = expect_end(f, path);
    gzclose(f);
    if (st != BC_OK) {
        free(raw); /* found by fuzz_idx: labels followed by extra bytes leaked */
        return st;
    }
    ds->labels = malloc(ds->info.count * sizeof *ds->labels);
    if (!ds->labels) {
        free(raw);
        return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    int max_label = 0;
    for (size_t i = 0; i < ds->info.count; i++) {
        ds->labels[i] = raw[i];
        if (raw[i] > max_label) max_label = raw[i];
    }
    free(raw);
    /* MNIST and Fashion-MNIST (the standard file names) have 10 classes, so a larger label
     * is corruption; other IDX sets (EMNIST) have as many classes as their largest label. */
    ds->info.class_count = is_standard_mnist_name(path) ? 10 : max_label + 1;
    st = dataset_check_labels(ds, path);
    if (st != BC_OK) return st;
    if (ds->info.class_count == 10 && mentions_fashion(path)) {
        ds->class_names = calloc(10, sizeof *ds->class_names);
        if (!ds->class_names) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        for (int i = 0; i < 10; i++)
            if (!(ds->class_names[i] = dataset_strdup(fashion_names[i])))
                return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return BC_OK;
}

static Status idx_read_image(const Dataset *ds, size_t index, uint8_t *dst) {
    const IdxImages *img = ds->impl;
    size_t bytes = (size_t)ds->info.height * (size_t)ds->info.width;
    memcpy(dst, img->pixels + index * bytes, bytes);
    return BC_OK;
}

static void idx_close(void *impl) {
    IdxImages *img = impl;
    free(img->pixels);
    free(img);
}

static const DatasetReader idx_reader = {idx_read_image, idx_close};

static Status idx_open(Dataset *ds, const char *images_path, const char *labels_path) {
    ds->info.format = "idx";
    if (!(ds->path = dataset_strdup(images_path))) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    IdxImages *img = calloc(1, sizeof *img);
    if (!img) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    ds->impl = img;
    ds->reader = &idx_reader;
    Status st = load_images(ds, images_path, img);
    if (st == BC_OK && labels_path) st = load_labels(ds, labels_path);
    return st;
}

/* ---- file naming: *train*-images-idx3-ubyte[.gz] beside *-labels-idx1-ubyte[.gz] ---- */

static bool is_idx_images_name(const char *name) {
    return dataset_ends_with(name, "images-idx3-ubyte") || dataset_ends_with(name, "images-idx3-ubyte.gz");
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
    bool gz = dataset_ends_with(images_path, ".gz");
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

static Status open_idx_any_file(Dataset *ds, const char *path, const DatasetOptions *o) {
    (void)o;
    return open_idx_file(ds, path);
}

static Status open_idx_any_folder(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    (void)o;
    return open_idx_folder(ds, folder, split);
}

static bool is_idx_file_name(const char *name) { return strstr(name, "idx3-ubyte") != NULL; }

static const SplitRename idx_test_beside[] = {{"train", "t10k", false}, {"train", "test", false}, {NULL}};

const DatasetFormat idx_format = {"IDX", NULL, false, folder_has_idx, open_idx_any_folder, is_idx_file_name,
                                  open_idx_any_file, "*-images-idx3-ubyte[.gz]", idx_test_beside};
