/* fuzz_stl10.c — libFuzzer target for the STL-10 reader. Input: 1 byte (bits 0-5: how many
 * bytes at the end are the labels file, bit 6: unlabeled split), then the images file and
 * the labels. Use -max_len=60000: one 96x96x3 image is 27648 bytes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t body = size - 1, labels = data[0] & 63;
    if (labels > body) labels = body;
    bool unlabeled = (data[0] & 64) != 0;
    fuzz_remove("train_X.bin"), fuzz_remove("train_y.bin"), fuzz_remove("unlabeled_X.bin");
    fuzz_write(unlabeled ? "unlabeled_X.bin" : "train_X.bin", data + 1, body - labels);
    if (labels && !unlabeled) fuzz_write("train_y.bin", data + 1 + body - labels, labels);
    fuzz_open_and_read(unlabeled ? DATASET_UNLABELED : DATASET_TRAIN, NULL);
    return 0;
}
