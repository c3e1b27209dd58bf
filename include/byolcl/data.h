/* data.h — image datasets (IDX, CIFAR-10/100, STL-10, folders of PNGs) and the prefetching
 * batch loader that turns one into shuffled uint8 batches for the trainer.
 *
 * Formats, detected from the path (a folder, or one file of the format):
 *   idx     MNIST / Fashion-MNIST / EMNIST: *-images-idx3-ubyte[.gz] + the matching
 *           *-labels-idx1-ubyte[.gz] (optional). train = names containing "train",
 *           test = "t10k" or "test". gzip or raw (zlib reads both). Held in memory.
 *   cifar10 data_batch_1..5.bin (train), test_batch.bin (test); batches.meta.txt names.
 *   cifar100 train.bin / test.bin; fine labels (100 classes) unless coarse_labels (20).
 *   stl10   train_X.bin + train_y.bin, test_X.bin + test_y.bin, unlabeled_X.bin
 *           (DATASET_UNLABELED); 96x96x3, column-major planes as distributed; labels 1..10
 *           on disk, 0..9 here. class_names.txt when present.
 *           CIFAR and STL-10 images are read with pread at read time (100k STL-10 images
 *           are 2.7 GB), so only labels live in memory.
 *   png     a folder of *.png (case-insensitive; other files are ignored). Subfolders are
 *           classes (label = index of the subfolder in sorted order, files found
 *           recursively below it); a folder with only files is unlabeled. A folder that
 *           has train/ and test/ subfolders is split by them; otherwise everything is the
 *           train split. Decoding happens in dataset_read_image (the loader's workers):
 *           gray, gray+alpha, RGB, RGBA, palette, 1/2/4/16-bit and interlaced PNGs are
 *           converted by libpng to 8-bit with the dataset's channel count (alpha is
 *           dropped), then resized so the shorter side fits and center-cropped to
 *           height x width (antialiased bilinear).
 *           Bad files: opening reads every file's PNG signature and header; by default a
 *           file that cannot be read, is not a PNG, or has a zero/oversized image is
 *           skipped with one warning and counted (dataset_info.skipped_files), because
 *           large scraped folders always hold a few. A file whose pixel data turns out
 *           corrupt at decode time is also skipped: the loader substitutes the next image
 *           of the epoch order and counts it (loader_skipped_images); the substitution
 *           depends only on the file content, so resumed runs stay identical.
 *           strict = true turns every bad file into an error instead.
 *
 * Errors name the file and the problem: BC_ERR_NOT_FOUND (missing path or files),
 * BC_ERR_IO (unreadable), BC_ERR_FORMAT (wrong magic, truncated, count mismatch, label out
 * of range, zero-size images, corrupt PNG). Nothing here calls OpenCL. */
#ifndef BYOLCL_DATA_H
#define BYOLCL_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byolcl/byolcl.h"

/* Where the default dataset lives (Debian package dataset-fashion-mnist). */
#define DATASET_DEFAULT_PATH "/usr/share/datasets/fashion-mnist"
#define DATASET_MAX_CHANNELS 4
/* The largest side images may be resized to (--size, --image-size). */
#define DATASET_MAX_SIDE 4096

typedef enum { DATASET_TRAIN, DATASET_TEST, DATASET_UNLABELED } DatasetSplit;

typedef struct {
    int height, width;  /* png: the size images are resized to; 0 = the median of the images' */
    int channels;       /* png: 1 or 3; 0 = 3 when any image has color, else 1 */
    bool strict;        /* png: a bad file is an error instead of skip-and-count */
    bool background_set; /* png: composite transparent pixels onto `background` (RGB), */
    uint8_t background[3]; /* else onto white */
    bool coarse_labels; /* cifar100: the 20 coarse classes instead of the 100 fine ones */
} DatasetOptions;

typedef struct Dataset Dataset;

typedef struct {
    const char *format;      /* "idx", "cifar10", "cifar100", "stl10", "png" */
    const char *path;        /* the image file or folder actually opened */
    size_t count;            /* images */
    int height, width, channels;
    bool has_labels;
    int class_count;         /* 0 when unlabeled */
    size_t skipped_files;    /* png: files skipped at open (see above) */
} DatasetInfo;

/* Opens `path` (NULL or "" = DATASET_DEFAULT_PATH; the error then names the package and
 * --data). `opts` may be NULL for the defaults. */
Status dataset_open(const char *path, DatasetSplit split, const DatasetOptions *opts, Dataset **out);
void dataset_close(Dataset *ds);
const DatasetInfo *dataset_info(const Dataset *ds);
const char *dataset_split_name(DatasetSplit split);
/* Class i's name ("3" when the format has no names); NULL when out of range. */
const char *dataset_class_name(const Dataset *ds, int class_index);
/* The label of image `index` in 0..class_count-1, or -1 when the dataset is unlabeled. */
int32_t dataset_label(const Dataset *ds, size_t index);
/* Decodes image `index` into dst (height*width*channels bytes, HWC order). Safe to call
 * from several threads at once. */
Status dataset_read_image(const Dataset *ds, size_t index, uint8_t *dst);
/* True when the loader should skip an image whose read fails with BC_ERR_FORMAT. */
bool dataset_skips_bad_images(const Dataset *ds);

/* Per-channel mean and standard deviation of pixel/255 over min(count, max_images) images
 * spaced evenly through the dataset (0 = all): deterministic. Unreadable images in a
 * skipping dataset are left out; *used_images says how many were used. */
Status dataset_channel_stats(const Dataset *ds, size_t max_images, double mean[DATASET_MAX_CHANNELS],
                             double stddev[DATASET_MAX_CHANNELS], size_t *used_images);

/* ---- the batch loader ---------------------------------------------------------------
 * Batches are numbered by a global step s = epoch * steps_per_epoch + step. Epoch e's image
 * order is a permutation that depends only on (seed, e), so loader_seek(e, k) followed by
 * loader_next_batch yields exactly what an uninterrupted run yields at that point.
 * Worker threads fill a ring of `buffers` host batches ahead of the consumer.
 *
 * Buffer lifetime: a Batch returned by loader_next_batch stays valid and untouched — the
 * trainer may enqueue a non-blocking upload from it — until the caller passes it to
 * loader_release_batch (or closes the loader). Release batches once their upload has
 * completed; the loader can only run as many batches ahead as there are unreleased
 * buffers, and asking for a batch while holding all `buffers` is a BC_ERR_USAGE error. */

typedef struct {
    size_t batch_size;
    uint64_t seed;
    bool shuffle;   /* training: true; evaluation: false (dataset order) */
    bool drop_last; /* training: true (every batch full); evaluation: false (every image) */
    bool one_pass;  /* stop after epoch 0 (evaluation): then next_batch gives count 0 */
    int workers;    /* decoding threads; 0 = min(online CPUs, 4) */
    int buffers;    /* host batches in the ring; 0 = workers + 2 */
    /* Data-parallel training: this rank loads only images shard_first .. shard_first +
     * shard_count - 1 of each batch (the batches and their order stay those of batch_size);
     * shard_count 0: the whole batch. */
    size_t shard_first, shard_count;
} LoaderOptions;

typedef struct {
    const uint8_t *images;   /* count * height * width * channels bytes, NHWC */
    const int32_t *labels;   /* count labels, -1 for unlabeled images */
    const uint32_t *indices; /* the dataset index of each image (for tests and debugging) */
    size_t count;            /* batch_size, less only for an evaluation pass's last batch, 0 at its end */
    uint64_t epoch, step;    /* step within the epoch */
    int slot;                /* ring slot, for loader_release_batch */
} Batch;

typedef struct Loader Loader;

/* The loader borrows `ds`, which must outlive it. Workers start at epoch 0, step 0. */
Status loader_create(const Dataset *ds, const LoaderOptions *opts, Loader **out);
void loader_close(Loader *loader);
size_t loader_steps_per_epoch(const Loader *loader);
int loader_worker_count(const Loader *loader);
/* Blocks until the next batch is ready. Errors from the workers (with their message) are
 * returned here. */
Status loader_next_batch(Loader *loader, Batch *out);
void loader_release_batch(Loader *loader, const Batch *batch);
/* Continues at (epoch, step); batches prepared ahead are dropped. Held batches stay valid
 * until released. */
Status loader_seek(Loader *loader, uint64_t epoch, uint64_t step);
/* Images that failed to decode and were replaced (skipping datasets only). */
size_t loader_skipped_images(const Loader *loader);
/* The position of image `position` of epoch `epoch` in dataset order: the permutation the
 * loader uses (identity when shuffle is off). Pure function, exposed for tests. */
void loader_epoch_order(uint64_t seed, uint64_t epoch, bool shuffle, uint32_t *order, size_t count);

#endif
