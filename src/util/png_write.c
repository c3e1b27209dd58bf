/* png_write.c — encodes to memory with libpng (errors come back through setjmp), then
 * writes the file atomically so a reader never sees half a PNG. */
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/png_write.h"

/* On the heap: it changes between setjmp and a possible longjmp. */
typedef struct {
    uint8_t *data;
    size_t bytes, cap;
    bool out_of_memory;
    char message[256];
} PngMemory;

static void append_bytes(png_structp png, png_bytep data, png_size_t length) {
    PngMemory *m = png_get_io_ptr(png);
    if (m->bytes + length > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->bytes + length) cap *= 2;
        uint8_t *bigger = realloc(m->data, cap);
        if (!bigger) {
            m->out_of_memory = true;
            png_error(png, "out of memory");
        }
        m->data = bigger;
        m->cap = cap;
    }
    memcpy(m->data + m->bytes, data, length);
    m->bytes += length;
}

static void flush_nothing(png_structp png) { (void)png; }

/* libpng reports errors by longjmp; keep its text for error_set. */
static void remember_error(png_structp png, png_const_charp message) {
    PngMemory *m = png_get_error_ptr(png);
    snprintf(m->message, sizeof m->message, "%s", message);
    png_longjmp(png, 1);
}

static void ignore_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

Status png_write(const char *path, const uint8_t *pixels, int width, int height, int channels) {
    if (width < 1 || height < 1 || (channels != 1 && channels != 3))
        return error_set(BC_ERR_USAGE, "%s: cannot write a %dx%d image with %d channels as PNG",
                         path, width, height, channels);
    PngMemory *mem = calloc(1, sizeof *mem);
    if (!mem) return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    snprintf(mem->message, sizeof mem->message, "unknown libpng error");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, mem, remember_error, ignore_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        free(mem);
        return error_set(BC_ERR_OUT_OF_MEMORY, "%s: cannot start libpng", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        Status st = error_set(mem->out_of_memory ? BC_ERR_OUT_OF_MEMORY : BC_ERR_IO,
                              "%s: encoding PNG failed: %s", path, mem->message);
        free(mem->data);
        free(mem);
        return st;
    }
    png_set_write_fn(png, mem, append_bytes, flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    FsPart part = {mem->data, mem->bytes};
    Status st = fs_write_atomic(path, &part, 1);
    free(mem->data);
    free(mem);
    return st;
}
