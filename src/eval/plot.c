/* plot.c — line and scatter panels with axes, ticks, grid and labels. */
#include <math.h>
#include <stdio.h>

#include "eval/font5x7.h"
#include "eval/plot.h"

enum { MARGIN_LEFT = 64, MARGIN_RIGHT = 16, MARGIN_TOP = 40, MARGIN_BOTTOM = 42, MAX_TICKS = 16 };

int plot_nice_ticks(double lo, double hi, int wanted, double *ticks, int max_ticks) {
    if (!(hi > lo)) hi = lo + 1.0;
    double raw = (hi - lo) / (wanted > 1 ? wanted : 2);
    double magnitude = pow(10.0, floor(log10(raw)));
    double fraction = raw / magnitude;
    double step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * magnitude;
    /* Whole multiples of the step (no accumulated rounding: 0.3, not 0.30000000000000004). */
    int n = 0;
    for (double k = ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9 && n < max_ticks; k++)
        ticks[n++] = k == 0 ? 0.0 : k * step;
    return n;
}

static void format_tick(double value, double step, char *out, size_t cap) {
    double a = fabs(value);
    if (a != 0 && (a >= 1e5 || a < 1e-3)) snprintf(out, cap, "%.1e", value);
    else if (step >= 1) snprintf(out, cap, "%.0f", value);
    else if (step >= 0.1) snprintf(out, cap, "%.1f", value);
    else if (step >= 0.01) snprintf(out, cap, "%.2f", value);
    else snprintf(out, cap, "%.3f", value);
}

typedef struct {
    double x_lo, x_hi, y_lo, y_hi;
    int left, top, width, height; /* plotting area in pixels */
} Axes;

static int to_px(const Axes *a, double x) {
    return a->left + (int)lround((x - a->x_lo) / (a->x_hi - a->x_lo) * (a->width - 1));
}
static int to_py(const Axes *a, double y) {
    return a->top + a->height - 1 - (int)lround((y - a->y_lo) / (a->y_hi - a->y_lo) * (a->height - 1));
}

/* Draws frame, grid, ticks, title and axis labels; widens the ranges to whole ticks. */
static Axes draw_axes(Canvas *c, PlotRect r, double x_lo, double x_hi, double y_lo, double y_hi,
                      const PlotLabels *labels) {
    Axes a = {x_lo, x_hi, y_lo, y_hi, r.x + MARGIN_LEFT, r.y + MARGIN_TOP,
              r.width - MARGIN_LEFT - MARGIN_RIGHT, r.height - MARGIN_TOP - MARGIN_BOTTOM};
    if (!(a.x_hi > a.x_lo)) a.x_hi = a.x_lo + 1;
    if (!(a.y_hi > a.y_lo)) a.y_lo -= 0.5, a.y_hi += 0.5;
    double xt[MAX_TICKS], yt[MAX_TICKS];
    int nx = plot_nice_ticks(a.x_lo, a.x_hi, 5, xt, MAX_TICKS);
    int ny = plot_nice_ticks(a.y_lo, a.y_hi, 5, yt, MAX_TICKS);
    double x_step = nx > 1 ? xt[1] - xt[0] : 1, y_step = ny > 1 ? yt[1] - yt[0] : 1;
    char text[32];
    for (int i = 0; i < ny; i++) {
        int py = to_py(&a, yt[i]);
        canvas_line(c, a.left, py, a.left + a.width - 1, py, RGB_LIGHT_GRAY);
        canvas_line(c, a.left - 4, py, a.left, py, RGB_BLACK);
        format_tick(yt[i], y_step, text, sizeof text);
        canvas_text(c, a.left - 7 - canvas_text_width(text, 1), py - 3, text, RGB_BLACK, 1);
    }
    for (int i = 0; i < nx; i++) {
        int px = to_px(&a, xt[i]);
        canvas_line(c, px, a.top, px, a.top + a.height - 1, RGB_LIGHT_GRAY);
        canvas_line(c, px, a.top + a.height - 1, px, a.top + a.height + 3, RGB_BLACK);
        format_tick(xt[i], x_step, text, sizeof text);
        canvas_text(c, px - canvas_text_width(text, 1) / 2, a.top + a.height + 7, text, RGB_BLACK, 1);
    }
    canvas_rect_outline(c, a.left, a.top, a.width, a.height, RGB_BLACK);
    if (labels) {
        if (labels->title)
            canvas_text(c, r.x + (r.width - canvas_text_width(labels->title, 2)) / 2, r.y + 6,
                        labels->title, RGB_BLACK, 2);
        if (labels->x_label)
            canvas_text(c, a.left + (a.width - canvas_text_width(labels->x_label, 1)) / 2,
                        a.top + a.height + 24, labels->x_label, RGB_BLACK, 1);
        if (labels->y_label) /* above the axis, left-aligned: no rotated text needed */
            canvas_text(c, r.x + 4, a.top - 12, labels->y_label, RGB_BLACK, 1);
    }
    return a;
}

static void data_range(const double *v, int n, double *lo, double *hi) {
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (v[i] < *lo) *lo = v[i];
        if (v[i] > *hi) *hi = v[i];
    }
}

void plot_panel_lines(Canvas *canvas, PlotRect rect, const PlotSeries *series, int count,
                      const PlotLabels *labels) {
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (int s = 0; s < count; s++) {
        data_range(series[s].x, series[s].count, &x_lo, &x_hi);
        data_range(series[s].y, series[s].count, &y_lo, &y_hi);
    }
    if (!isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    double pad = (y_hi - y_lo) * 0.05;
    Axes a = draw_axes(canvas, rect, x_lo, x_hi, y_lo - pad, y_hi + pad, labels);
    for (int s = 0; s < count; s++) {
        const PlotSeries *ps = &series[s];
        int have_prev = 0, px0 = 0, py0 = 0;
        for (int i = 0; i < ps->count; i++) {
            if (!isfinite(ps->x[i]) || !isfinite(ps->y[i])) {
                have_prev = 0;
                continue;
            }
            int px = to_px(&a, ps->x[i]), py = to_py(&a, ps->y[i]);
            if (have_prev) {
                canvas_line(canvas, px0, py0, px, py, ps->color);
                canvas_line(canvas, px0, py0 + 1, px, py + 1, ps->color); /* 2 px thick */
            } else if (ps->count == 1) {
                canvas_dot(canvas, px, py, 2, ps->color);
            }
            px0 = px, py0 = py, have_prev = 1;
        }
    }
    int named = 0;
    for (int s = 0; s < count; s++) named += series[s].name != NULL;
    if (named > 1) {
        int y = a.top + 6;
        for (int s = 0; s < count; s++) {
            if (!series[s].name) continue;
            int x = a.left + a.width - 10 - canvas_text_width(series[s].name, 1) - 14;
            canvas_fill_rect(canvas, x, y + 1, 10, 5, series[s].color);
            canvas_text(canvas, x + 14, y, series[s].name, RGB_BLACK, 1);
            y += 12;
        }
    }
}

void plot_panel_scatter(Canvas *canvas, PlotRect rect, const double *x, const double *y,
                        const int *classes, int count, const PlotLabels *labels) {
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    data_range(x, count, &x_lo, &x_hi);
    data_range(y, count, &y_lo, &y_hi);
    if (!isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    double px_pad = (x_hi - x_lo) * 0.03, py_pad = (y_hi - y_lo) * 0.03;
    Axes a = draw_axes(canvas, rect, x_lo - px_pad, x_hi + px_pad, y_lo - py_pad, y_hi + py_pad, labels);
    for (int i = 0; i < count; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        canvas_dot(canvas, to_px(&a, x[i]), to_py(&a, y[i]), 1, palette_color(classes ? classes[i] : 0));
    }
}

void plot_legend(Canvas *canvas, int x, int y, const char *const *names, int count) {
    for (int i = 0; i < count; i++) {
        canvas_fill_rect(canvas, x, y + i * 14, 10, 10, palette_color(i));
        canvas_text(canvas, x + 15, y + i * 14 + 2, names[i], RGB_BLACK, 1);
    }
}
