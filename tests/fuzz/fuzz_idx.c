/* fuzz_idx.c — libFuzzer target for the IDX reader. Input: 1 byte (bit 0: gzip the files,
 * bits 1-7: where to split), then the images file followed by the labels file. */
#include <zlib.h>

#include "fuzz_common.h"

static void write_maybe_gz(const char *name, const uint8_t *data, size_t bytes, int gz) {
    if (!gz) {
        fuzz_write(name, data, bytes);
        return;
    }
    char gzname[128];
    snprintf(gzname, sizeof gzname, "%s.gz", name);
    const char *path = fuzz_write(gzname, NULL, 0);
    gzFile f = gzopen(path, "wb1");
    if (bytes) gzwrite(f, data, (unsigned)bytes);
    gzclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int gz = data[0] & 1;
    size_t rest = size - 1, split = rest * (data[0] >> 1) / 127;
    fuzz_remove("train-images-idx3-ubyte"), fuzz_remove("train-labels-idx1-ubyte");
    fuzz_remove("train-images-idx3-ubyte.gz"), fuzz_remove("train-labels-idx1-ubyte.gz");
    write_maybe_gz("train-images-idx3-ubyte", data + 1, split, gz);
    if (split < rest) write_maybe_gz("train-labels-idx1-ubyte", data + 1 + split, rest - split, gz);
    fuzz_open_and_read(DATASET_TRAIN, NULL);
    return 0;
}
