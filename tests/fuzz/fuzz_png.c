/* fuzz_png.c — libFuzzer target for the PNG decoder and the resize: the input is one PNG
 * file, decoded to 1 and 3 channels and resized to 13 x 7; and the same file opened as a
 * one-image folder (header check, skip-and-count, read through the dataset). */
#include "data/png_decode.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (int channels = 1; channels <= 3; channels += 2) {
        uint8_t *pixels = NULL;
        int w, h;
        if (png_decode(data, size, "input.png", channels, (const uint8_t[3]){255, 255, 255}, &pixels, &w, &h) == BC_OK) {
            if (w <= 0 || h <= 0) abort();
            uint8_t out[13 * 7 * 3];
            if (image_resize_center_crop(pixels, h, w, channels, out, 13, 7) != BC_OK) abort();
        }
        free(pixels);
    }
    fuzz_write("input.png", data, size);
    DatasetOptions opts = {.height = 5, .width = 9};
    fuzz_open_and_read(DATASET_TRAIN, &opts);
    return 0;
}
