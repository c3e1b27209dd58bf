/* fuzz_cifar.c — libFuzzer target for the CIFAR-10/100 reader. Input: 1 byte (bit 0:
 * CIFAR-100, bit 1: coarse labels, bit 2: add a batches.meta.txt from the tail), then
 * the batch file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int cifar100 = data[0] & 1;
    DatasetOptions opts = {.coarse_labels = (data[0] & 2) != 0};
    size_t body = size - 1, names = 0;
    if (data[0] & 4) names = body < 200 ? body / 2 : 200;
    fuzz_remove("test_batch.bin"), fuzz_remove("test.bin"), fuzz_remove("batches.meta.txt");
    fuzz_write(cifar100 ? "test.bin" : "test_batch.bin", data + 1, body - names);
    if (names) fuzz_write("batches.meta.txt", data + 1 + body - names, names);
    fuzz_open_and_read(DATASET_TEST, &opts);
    return 0;
}
