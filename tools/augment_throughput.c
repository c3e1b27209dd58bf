/* augment_throughput.c — images/s and GB/s of the augmentation kernels (both views) against
 * the device's measured copy bandwidth; to be folded into byolcl-bench. Also writes a
 * preview grid of synthetic images when given a PNG path. Build from the repository root:
 *   cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc tools/augment_throughput.c \
 *      build/libbyolcl_core.a -lOpenCL -lclblast -lpng -lz -lpthread -lm -o build/augment_throughput
 *   build/augment_throughput [--device SEL] [--batch N] [--preview out.png] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byolcl/augment.h"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHECK(call)                                                                            \
    do {                                                                                       \
        if ((call) != BC_OK) {                                                                 \
            fprintf(stderr, "%s: %s\n", #call, error_last());                                  \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

/* Device-to-device copy bandwidth (bytes read + written per second). */
static double copy_bandwidth(Device *dev) {
    size_t bytes = 64u << 20;
    Buffer *a, *b;
    CHECK(buffer_create(dev, bytes, &a));
    CHECK(buffer_create(dev, bytes, &b));
    CHECK(buffer_fill_zero(dev, a, 0, bytes));
    CHECK(buffer_copy(dev, a, 0, b, 0, bytes));
    CHECK(device_finish(dev));
    int reps = 5;
    double t0 = seconds();
    for (int r = 0; r < reps; r++) CHECK(buffer_copy(dev, a, 0, b, 0, bytes));
    CHECK(device_finish(dev));
    double dt = seconds() - t0;
    buffer_release(a);
    buffer_release(b);
    return 2.0 * bytes * reps / dt;
}

static void measure(Device *dev, int n, int h, int w, int c, double copy_bw) {
    AugmentConfig config;
    augment_config_default(&config);
    size_t in_bytes = (size_t)n * h * w * c, out_floats = (size_t)n * c * h * w;
    uint8_t *images = malloc(in_bytes);
    for (size_t i = 0; i < in_bytes; i++) images[i] = (uint8_t)(i * 2654435761u >> 24);
    Buffer *in, *out;
    CHECK(buffer_create(dev, in_bytes, &in));
    CHECK(buffer_write(dev, in, 0, in_bytes, images));
    CHECK(buffer_create(dev, 2 * out_floats * sizeof(float), &out));
    /* warm-up: builds the program, sizes the scratch buffer */
    CHECK(augment_batch(dev, &config, 0, 1, 0, 0, view_of(out), in, n, h, w, c));
    CHECK(device_finish(dev));
    int steps = 0;
    double t0 = seconds(), dt;
    do {
        for (int v = 0; v < 2; v++)
            CHECK(augment_batch(dev, &config, v, 1, 0, steps, view_at(view_of(out), v * out_floats),
                                in, n, h, w, c));
        CHECK(device_finish(dev));
        steps++;
        dt = seconds() - t0;
    } while (dt < 2.0 && steps < 200);
    double views = 2.0 * n * steps / dt;
    /* The least traffic a view needs: read the uint8 image, write the float view. */
    double bytes_per_view = (double)h * w * c + 4.0 * c * h * w;
    printf("%3dx%-3dx%d  batch %d  %9.0f views/s  %6.2f GB/s  (%4.1f%% of copy bandwidth)\n", h, w,
           c, n, views, views * bytes_per_view / 1e9, 100.0 * views * bytes_per_view / copy_bw);
    if (getenv("AUGMENT_PROFILE")) {
        KernelTiming *rows;
        int count;
        CHECK(device_collect_timings(dev, &rows, &count));
        for (int i = 0; i < count; i++)
            printf("    %-30s %5d launches %9.3f ms total\n", rows[i].kernel_name, rows[i].launches, rows[i].total_ms);
        free(rows);
    }
    free(images);
    buffer_release(in);
    buffer_release(out);
}

static void preview(Device *dev, const char *path) {
    const int n = 4, size = 96, c = 3;
    uint8_t *img = malloc((size_t)n * size * size * c);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                double cx = size * (0.35 + 0.1 * i), cy = size * 0.45, r = size * 0.22;
                int disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
                double rgb[3] = {disc ? 0.9 : 0.15 + 0.7 * x / size, disc ? 0.35 : 0.25 + 0.1 * i,
                                 disc ? 0.1 : 0.2 + 0.6 * y / size};
                if (x < size / 8) rgb[0] = rgb[1] = rgb[2] = 0.95;
                if (y > size * 0.8 && (x / 6) % 2) rgb[0] = rgb[1] = rgb[2] = 0.05;
                for (int k = 0; k < c; k++) img[(((size_t)i * size + y) * size + x) * c + k] = (uint8_t)(255 * rgb[k]);
            }
    AugmentConfig config;
    augment_config_default(&config);
    CHECK(augment_preview(dev, &config, img, n, size, size, c, 7, 3, path));
    printf("wrote %s\n", path);
    free(img);
}

int main(int argc, char **argv) {
    const char *selector = NULL, *preview_path = NULL;
    int batch = 256;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--device") == 0) selector = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0) batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--preview") == 0) preview_path = argv[i + 1];
    }
    Device *dev;
    DeviceOptions options = {.profiling = getenv("AUGMENT_PROFILE") != NULL};
    CHECK(device_open(selector, &options, &dev));
    printf("device: %s (%s)\n", device_info(dev)->name, device_info(dev)->platform_name);
    if (preview_path) {
        preview(dev, preview_path);
    } else {
        double bw = copy_bandwidth(dev);
        printf("copy bandwidth: %.2f GB/s (read + write)\n", bw / 1e9);
        measure(dev, batch, 28, 28, 1, bw);
        measure(dev, batch, 32, 32, 3, bw);
        measure(dev, batch, 96, 96, 3, bw);
    }
    device_close(dev);
    return 0;
}
