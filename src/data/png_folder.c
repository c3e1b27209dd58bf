/* png_folder.c — a folder of PNG images: class subfolders give labels, a flat folder is
 * unlabeled. Opening lists the files (symbolic links followed, each file and folder taken
 * once by device and inode, so link cycles end) and checks each one's header; the default
 * size is the median of all headers; decoding (transparency over a background) and resizing
 * happen per image at read time (in the loader's workers), so any folder size works. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byolcl/log.h"
#include "data/dataset_internal.h"
#include "data/png_decode.h"
#include "util/fs.h"

enum { WARN_LIMIT = 10 }; /* bad-file warnings printed one by one before a summary */

typedef struct {
    char **paths;   /* count usable files, sorted within each class */
    size_t count, cap;
    uint8_t background[3]; /* under transparent pixels */
} PngFiles;

/* The (device, inode) pairs already taken: open addressing, 0/0 marks a free slot. */
typedef struct {
    struct { dev_t dev; ino_t ino; } *slots;
    size_t used, cap;
} SeenSet;

typedef struct {
    PngFiles files;
    int32_t *labels;
    size_t labels_cap;
    size_t skipped, ignored;
    bool any_color;
    int *widths, *heights; /* per usable file, for the median size */
    SeenSet seen;
    size_t repeats; /* files or folders reached a second time (links) */
    bool strict;
} PngScan;

/* Adds (dev, ino); false when it was already there. */
static bool seen_add(SeenSet *s, dev_t dev, ino_t ino, Status *st) {
    if (2 * (s->used + 1) > s->cap) {
        SeenSet bigger = {.cap = s->cap ? 2 * s->cap : 1024};
        bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
        if (!bigger.slots) {
            *st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory listing PNG files");
            return false;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].dev || s->slots[i].ino) seen_add(&bigger, s->slots[i].dev, s->slots[i].ino, st);
        free(s->slots);
        *s = bigger;
    }
    size_t i = ((size_t)ino * 0x9E3779B97F4A7C15ull ^ (size_t)dev) & (s->cap - 1);
    for (; s->slots[i].dev || s->slots[i].ino; i = (i + 1) & (s->cap - 1))
        if (s->slots[i].dev == dev && s->slots[i].ino == ino) return false;
    s->slots[i].dev = dev, s->slots[i].ino = ino;
    s->used++;
    return true;
}

static void png_files_free(PngFiles *f) {
    for (size_t i = 0; i < f->count; i++) free(f->paths[i]);
    free(f->paths);
}

static void png_folder_close(void *impl) {
    png_files_free(impl);
    free(impl);
}

static Status png_folder_read_image(const Dataset *ds, size_t index, uint8_t *dst) {
    const PngFiles *files = ds->impl;
    const char *path = files->paths[index];
    char *data;
    size_t bytes;
    Status st = fs_read_file(path, &data, &bytes);
    if (st != BC_OK) return st;
    uint8_t *pixels;
    int w, h;
    st = png_decode((const uint8_t *)data, bytes, path, ds->info.channels, files->background, &pixels, &w, &h);
    free(data);
    if (st != BC_OK) return st;
    st = image_resize_center_crop(pixels, h, w, ds->info.channels, dst, ds->info.height, ds->info.width);
    free(pixels);
    return st;
}

static const DatasetReader png_folder_reader = {png_folder_read_image, png_folder_close};

static bool is_png_name(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".png") == 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, non-hidden entries of a folder. */
static Status list_folder(const char *folder, char ***names, size_t *count) {
    DIR *d = opendir(folder);
    if (!d) return error_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, "%s: cannot list folder: %s",
                             folder, strerror(errno));
    char **list = NULL;
    size_t n = 0, cap = 0;
    Status st = BC_OK;
    for (struct dirent *e; st == BC_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(list, cap * sizeof *list);
            if (!bigger) { st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory listing %s", folder); break; }
            list = bigger;
        }
        if (!(list[n] = dataset_strdup(e->d_name))) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        else n++;
    }
    closedir(d);
    if (n) qsort(list, n, sizeof *list, compare_names);
    if (st != BC_OK) {
        for (size_t i = 0; i < n; i++) free(list[i]);
        free(list);
        return st;
    }
    *names = list;
    *count = n;
    return BC_OK;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Reads a file's first bytes and checks its PNG header; keeps it when good. */
static Status consider_file(PngScan *scan, char *path, int32_t label) {
    uint8_t head[33];
    ssize_t got = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    Status st;
    if (fd < 0) {
        st = error_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    } else {
        got = read(fd, head, sizeof head);
        st = got < 0 ? error_set(BC_ERR_IO, "%s: cannot read: %s", path, strerror(errno)) : BC_OK;
        close(fd);
    }
    int w = 0, h = 0;
    bool color = false;
    if (st == BC_OK) st = png_read_header(head, (size_t)got, path, &w, &h, &color);
    if (st != BC_OK) {
        free(path);
        if (scan->strict) return st;
        if (scan->skipped < WARN_LIMIT) log_warn("%s (skipped)", error_last());
        scan->skipped++;
        return BC_OK;
    }
    if (scan->files.count == scan->files.cap) {
        size_t cap = scan->files.cap ? 2 * scan->files.cap : 256;
        char **paths = realloc(scan->files.paths, cap * sizeof *paths);
        int32_t *labels = paths ? realloc(scan->labels, cap * sizeof *labels) : NULL;
        int *widths = labels ? realloc(scan->widths, cap * sizeof *widths) : NULL;
        int *heights = widths ? realloc(scan->heights, cap * sizeof *heights) : NULL;
        if (paths) scan->files.paths = paths;
        if (labels) scan->labels = labels;
        if (widths) scan->widths = widths;
        if (heights) scan->heights = heights;
        if (!heights) {
            free(path);
            return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory listing PNG files");
        }
        scan->files.cap = cap;
    }
    scan->widths[scan->files.count] = w, scan->heights[scan->files.count] = h;
    scan->any_color |= color;
    scan->labels[scan->files.count] = label;
    scan->files.paths[scan->files.count++] = path;
    return BC_OK;
}

/* False when `folder` was entered before (a link cycle or a second link to it). */
static bool first_visit(PngScan *scan, const char *folder, Status *st) {
    struct stat sb;
    if (stat(folder, &sb) != 0 || seen_add(&scan->seen, sb.st_dev, sb.st_ino, st)) return true;
    if (*st == BC_OK) scan->repeats++;
    return false;
}

/* Every *.png below `folder` (recursively, sorted), labeled `label`. */
static Status scan_files(PngScan *scan, const char *folder, int32_t label) {
    char **names = NULL;
    size_t n = 0;
    Status st = BC_OK;
    if (!first_visit(scan, folder, &st)) return st;
    st = list_folder(folder, &names, &n);
    for (size_t i = 0; st == BC_OK && i < n; i++) {
        char *path = dataset_join(folder, names[i]);
        if (!path) { st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory"); break; }
        struct stat sb;
        bool exists = stat(path, &sb) == 0;
        /* Links are followed, but a file reached twice is taken once (folders: on entry). */
        if (exists && !S_ISDIR(sb.st_mode) && is_png_name(names[i]) &&
            !seen_add(&scan->seen, sb.st_dev, sb.st_ino, &st)) {
            if (st == BC_OK) scan->repeats++;
            free(path);
        } else if (exists && S_ISDIR(sb.st_mode)) {
            st = scan_files(scan, path, label);
            free(path);
        } else if (is_png_name(names[i])) {
            st = consider_file(scan, path, label); /* takes path */
        } else {
            scan->ignored++;
            free(path);
        }
    }
    free_names(names, n);
    return st;
}

static Status scan_folder(Dataset *ds, PngScan *scan, const char *folder) {
    char **names;
    size_t n;
    Status st = list_folder(folder, &names, &n);
    if (st != BC_OK) return st;
    /* Subfolders are the classes; loose files beside them are not part of any class. */
    const char **dirs = malloc((n ? n : 1) * sizeof *dirs);
    if (!dirs) {
        free_names(names, n);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    int classes = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = dataset_join(folder, names[i]);
        struct stat sb;
        if (path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) dirs[classes++] = names[i];
        free(path);
    }
    if (classes) {
        first_visit(scan, folder, &st); /* a link back to the top ends there */
        ds->class_names = calloc((size_t)classes, sizeof *ds->class_names);
        if (!ds->class_names) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        else ds->info.class_count = classes;
        for (int c = 0; st == BC_OK && c < classes; c++) {
            size_t before = scan->files.count;
            char *path = dataset_join(folder, dirs[c]);
            ds->class_names[c] = dataset_strdup(dirs[c]);
            st = path && ds->class_names[c] ? scan_files(scan, path, c)
                                            : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
            if (st == BC_OK && scan->files.count == before)
                log_warn("%s: class folder '%s' holds no usable PNG image", folder, dirs[c]);
            free(path);
        }
        if (st == BC_OK && n > (size_t)classes)
            log_warn("%s: %zu files beside the class folders are ignored", folder, n - (size_t)classes);
    } else {
        st = scan_files(scan, folder, -1);
    }
    free(dirs);
    free_names(names, n);
    return st;
}

static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The median of n values (sorted in place): one odd image does not set everyone's size. */
static int median_of(int *values, size_t n) {
    qsort(values, n, sizeof *values, compare_ints);
    return values[n / 2];
}

/* Images with one color everywhere (after compositing) in an evenly spaced sample: many of
 * them usually mean content that lives in the alpha channel or a wrong --background. */
static void warn_when_constant(const Dataset *ds) {
    enum { SAMPLE = 32 };
    const DatasetInfo *info = &ds->info;
    size_t bytes = (size_t)info->height * (size_t)info->width * (size_t)info->channels;
    uint8_t *image = malloc(bytes);
    if (!image) return;
    size_t sampled = info->count < SAMPLE ? info->count : SAMPLE, constant = 0, read = 0;
    for (size_t k = 0; k < sampled; k++) {
        if (png_folder_read_image(ds, k * info->count / sampled, image) != BC_OK) continue;
        read++;
        size_t i = 1;
        while (i < bytes && image[i] == image[i % (size_t)info->channels]) i++;
        constant += i == bytes;
    }
    free(image);
    error_clear();
    if (constant >= 2 && 4 * constant >= read)
        log_warn("%s: %zu of %zu sampled images are a single color; if their content is in the alpha "
                 "channel (icons, sprites), choose a --background that contrasts with it", info->path, constant, read);
}

static Status png_folder_open(Dataset *ds, const char *folder, const DatasetOptions *opts) {
    ds->info.format = "png";
    if (!(ds->path = dataset_strdup(folder))) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    PngScan scan = {.strict = opts->strict};
    Status st = scan_folder(ds, &scan, folder);
    free(scan.seen.slots);
    if (st == BC_OK && scan.repeats)
        log_info("%s: %zu files or folders reached again through links were taken once", folder, scan.repeats);
    if (opts->background_set) memcpy(scan.files.background, opts->background, sizeof scan.files.background);
    else memset(scan.files.background, 255, sizeof scan.files.background);
    ds->skip_bad = !opts->strict;
    ds->info.skipped_files = scan.skipped;
    PngFiles *files = malloc(sizeof *files);
    if (!files) st = st == BC_OK ? error_set(BC_ERR_OUT_OF_MEMORY, "out of memory") : st;
    else *files = scan.files;
    if (!files) png_files_free(&scan.files);
    ds->impl = files;
    ds->reader = &png_folder_reader;
    ds->info.count = scan.files.count;
    if (ds->info.class_count) ds->labels = scan.labels;
    else free(scan.labels);
    int median_h = scan.files.count ? median_of(scan.heights, scan.files.count) : 0;
    int median_w = scan.files.count ? median_of(scan.widths, scan.files.count) : 0;
    free(scan.heights);
    free(scan.widths);
    if (st != BC_OK) return st;
    if (scan.skipped > WARN_LIMIT)
        log_warn("%s: %zu bad files skipped in all (%d shown)", folder, scan.skipped, WARN_LIMIT);
    if (scan.files.count == 0)
        return error_set(BC_ERR_NOT_FOUND, "%s: no usable PNG images (%zu bad files skipped, %zu files not named *.png "
                         "ignored; only PNG is read)", folder, scan.skipped, scan.ignored);
    if (scan.ignored) log_info("%s: %zu files that are not *.png ignored", folder, scan.ignored);
    ds->info.channels = opts->channels ? opts->channels : scan.any_color ? 3 : 1;
    int h = opts->height, w = opts->width;
    if (!h && !w) h = median_h, w = median_w;
    else if (!h) h = w;
    else if (!w) w = h;
    ds->info.height = h, ds->info.width = w;
    warn_when_constant(ds);
    return BC_OK;
}

/* ---- as a format: any folder; train/ and test/ subfolders are the two splits ---- */

static bool any_folder(const char *folder) {
    (void)folder;
    return true;
}

static Status open_png_split(Dataset *ds, const char *folder, DatasetSplit split, const DatasetOptions *o) {
    if (dataset_has_folder(folder, "train") && dataset_has_folder(folder, "test")) {
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

const DatasetFormat png_folder_format = {"PNG folder", NULL, false, any_folder, open_png_split, NULL, NULL, NULL, NULL};
