/* canvas.c — drawing primitives on an RGB raster. */
#include <stdlib.h>
#include <string.h>

#include "eval/canvas.h"
#include "eval/font5x7.h"
#include "util/png_write.h"

Rgb palette_color(int index) {
    static const Rgb colors[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                   {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                   {188, 189, 34},  {23, 190, 207}};
    if (index < 0) index = -index;
    return colors[index % 10];
}

Status canvas_create(Canvas *canvas, int width, int height, Rgb background) {
    canvas->width = width;
    canvas->height = height;
    canvas->rgb = malloc((size_t)width * (size_t)height * 3);
    if (!canvas->rgb) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d picture", width, height);
    canvas_fill_rect(canvas, 0, 0, width, height, background);
    return BC_OK;
}

void canvas_free(Canvas *canvas) {
    free(canvas->rgb);
    canvas->rgb = NULL;
}

void canvas_pixel(Canvas *canvas, int x, int y, Rgb color) {
    if (x < 0 || y < 0 || x >= canvas->width || y >= canvas->height) return;
    unsigned char *p = canvas->rgb + ((size_t)y * (size_t)canvas->width + (size_t)x) * 3;
    p[0] = color.r;
    p[1] = color.g;
    p[2] = color.b;
}

void canvas_fill_rect(Canvas *canvas, int x, int y, int w, int h, Rgb color) {
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) canvas_pixel(canvas, i, j, color);
}

void canvas_rect_outline(Canvas *canvas, int x, int y, int w, int h, Rgb color) {
    canvas_line(canvas, x, y, x + w - 1, y, color);
    canvas_line(canvas, x, y + h - 1, x + w - 1, y + h - 1, color);
    canvas_line(canvas, x, y, x, y + h - 1, color);
    canvas_line(canvas, x + w - 1, y, x + w - 1, y + h - 1, color);
}

void canvas_line(Canvas *canvas, int x0, int y0, int x1, int y1, Rgb color) {
    /* Bresenham: exact integer steps, no gaps at any slope. */
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        canvas_pixel(canvas, x0, y0, color);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

void canvas_dot(Canvas *canvas, int cx, int cy, int radius, Rgb color) {
    for (int y = -radius; y <= radius; y++)
        for (int x = -radius; x <= radius; x++)
            if (x * x + y * y <= radius * radius + radius) canvas_pixel(canvas, cx + x, cy + y, color);
}

void canvas_text(Canvas *canvas, int x, int y, const char *text, Rgb color, int scale) {
    for (const char *c = text; *c; c++, x += FONT_ADVANCE * scale) {
        const unsigned char *rows = font5x7_glyph(*c);
        for (int r = 0; r < FONT_GLYPH_H; r++)
            for (int col = 0; col < FONT_GLYPH_W; col++)
                if (rows[r] & (1u << (FONT_GLYPH_W - 1 - col)))
                    canvas_fill_rect(canvas, x + col * scale, y + r * scale, scale, scale, color);
    }
}

int canvas_text_width(const char *text, int scale) {
    int n = (int)strlen(text);
    return n ? (n * FONT_ADVANCE - 1) * scale : 0;
}

Status canvas_save_png(const Canvas *canvas, const char *path) {
    return png_write(path, canvas->rgb, canvas->width, canvas->height, 3);
}
