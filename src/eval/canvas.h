/* canvas.h — an RGB raster to draw plots on (lines, dots, rectangles, 5x7 text), saved as
 * PNG. Drawing clips at the edges, so callers need not. */
#ifndef BYOLCL_EVAL_CANVAS_H
#define BYOLCL_EVAL_CANVAS_H

#include "byolcl/byolcl.h"

typedef struct {
    unsigned char r, g, b;
} Rgb;

typedef struct {
    int width, height;
    unsigned char *rgb; /* height rows of width * 3 bytes */
} Canvas;

#define RGB_WHITE ((Rgb){255, 255, 255})
#define RGB_BLACK ((Rgb){0, 0, 0})
#define RGB_GRAY ((Rgb){150, 150, 150})
#define RGB_LIGHT_GRAY ((Rgb){225, 225, 225})

/* Ten well-separated colors for classes (wraps around past ten). */
Rgb palette_color(int index);

Status canvas_create(Canvas *canvas, int width, int height, Rgb background);
void canvas_free(Canvas *canvas);
void canvas_pixel(Canvas *canvas, int x, int y, Rgb color);
void canvas_fill_rect(Canvas *canvas, int x, int y, int w, int h, Rgb color);
void canvas_rect_outline(Canvas *canvas, int x, int y, int w, int h, Rgb color);
void canvas_line(Canvas *canvas, int x0, int y0, int x1, int y1, Rgb color);
void canvas_dot(Canvas *canvas, int cx, int cy, int radius, Rgb color);
/* Text with its top-left corner at (x, y); scale multiplies the 5x7 glyphs. */
void canvas_text(Canvas *canvas, int x, int y, const char *text, Rgb color, int scale);
int canvas_text_width(const char *text, int scale);
Status canvas_save_png(const Canvas *canvas, const char *path);

#endif
