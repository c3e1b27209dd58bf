/* plot.h — the pictures byolcl draws: line charts (loss and accuracy against steps) and
 * scatter plots of 2-D embeddings colored by class, as panels on a canvas. */
#ifndef BYOLCL_EVAL_PLOT_H
#define BYOLCL_EVAL_PLOT_H

#include "eval/canvas.h"

typedef struct {
    int x, y, width, height; /* the panel's rectangle on the canvas, title and labels included */
} PlotRect;

typedef struct {
    const char *name;   /* legend entry; NULL for none */
    const double *x, *y;
    int count;
    Rgb color;
} PlotSeries;

typedef struct {
    const char *title, *x_label, *y_label;
} PlotLabels;

/* Axes with "nice" ticks fitted to the data, grid lines, and each series as a polyline. */
void plot_panel_lines(Canvas *canvas, PlotRect rect, const PlotSeries *series, int count,
                      const PlotLabels *labels);
/* Points (x[i], y[i]) colored by classes[i] (palette_color); classes may be NULL. */
void plot_panel_scatter(Canvas *canvas, PlotRect rect, const double *x, const double *y,
                        const int *classes, int count, const PlotLabels *labels);
/* A column of colored swatches with names, top-left at (x, y). */
void plot_legend(Canvas *canvas, int x, int y, const char *const *names, int count);

/* Tick positions for [lo, hi]: step is 1, 2 or 5 times a power of ten, about `wanted` ticks. */
int plot_nice_ticks(double lo, double hi, int wanted, double *ticks, int max_ticks);

#endif
