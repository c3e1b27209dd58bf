/* test_eval_plot.c — the pictures without a device: "nice" tick selection, drawing
 * primitives clipping at the edges, text, and PNGs (a canvas, `byolcl plot` from a
 * metrics file with and without kNN accuracy) that decode with libpng at the expected
 * size and hold the colors drawn. */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "data_fixtures.h"
#include "eval/canvas.h"
#include "eval/plot.h"
#include "test_util.h"

static void expect_ticks(double lo, double hi, int wanted, const double *want, int count) {
    double got[32];
    int n = plot_nice_ticks(lo, hi, wanted, got, 32);
    if (n != count) fail_msg("ticks for [%g, %g]: %d, wanted %d", lo, hi, n, count);
    for (int i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > 1e-9 * fmax(1, fabs(want[i])))
            fail_msg("ticks for [%g, %g]: tick %d is %g, wanted %g", lo, hi, i, got[i], want[i]);
}

static void test_nice_ticks(void **state) {
    (void)state;
    expect_ticks(0, 100, 5, (double[]){0, 20, 40, 60, 80, 100}, 6);
    expect_ticks(0.13, 0.87, 5, (double[]){0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}, 7);
    expect_ticks(-1.2, 3.7, 5, (double[]){-1, 0, 1, 2, 3}, 5);
    expect_ticks(10, 20000, 5, (double[]){5000, 10000, 15000, 20000}, 4);
    expect_ticks(2.38, 2.41, 4, (double[]){2.38, 2.39, 2.40, 2.41}, 4);
    expect_ticks(5, 5, 5, (double[]){5, 5.2, 5.4, 5.6, 5.8, 6}, 6); /* empty range: widened */
    double t[4];
    assert_int_equal(plot_nice_ticks(0, 1000, 500, t, 4), 4); /* never more than max_ticks */
}

static Rgb pixel(const Canvas *c, int x, int y) {
    const unsigned char *p = c->rgb + ((size_t)y * (size_t)c->width + (size_t)x) * 3;
    return (Rgb){p[0], p[1], p[2]};
}

static bool same(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

static void test_canvas_draws_and_clips(void **state) {
    (void)state;
    Canvas c;
    TEST_CHECK(canvas_create(&c, 40, 30, RGB_WHITE));
    canvas_line(&c, -10, 5, 100, 5, RGB_BLACK); /* clipped, no crash */
    canvas_dot(&c, 39, 29, 3, palette_color(2));
    canvas_fill_rect(&c, 2, 10, 3, 2, palette_color(1));
    canvas_text(&c, 10, 15, "A", RGB_BLACK, 2);
    assert_true(same(pixel(&c, 0, 5), RGB_BLACK) && same(pixel(&c, 39, 5), RGB_BLACK));
    assert_true(same(pixel(&c, 0, 6), RGB_WHITE));
    assert_true(same(pixel(&c, 39, 29), palette_color(2)));
    assert_true(same(pixel(&c, 4, 11), palette_color(1)) && same(pixel(&c, 5, 11), RGB_WHITE));
    int inked = 0;
    for (int y = 15; y < 15 + 14; y++)
        for (int x = 10; x < 20; x++) inked += same(pixel(&c, x, y), RGB_BLACK);
    assert_true(inked > 20); /* the glyph was drawn, at scale 2 */
    assert_int_equal(canvas_text_width("abc", 1), 17);
    assert_int_equal(canvas_text_width("", 1), 0);
    canvas_free(&c);
}

/* Decodes a PNG fully; returns its RGB pixels (caller frees) and size. */
static unsigned char *read_png_rgb(const char *path, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) fail_msg("%s does not decode", path);
    png_init_io(png, f);
    png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    *w = (int)png_get_image_width(png, info), *h = (int)png_get_image_height(png, info);
    assert_int_equal(png_get_color_type(png, info), PNG_COLOR_TYPE_RGB);
    png_bytepp rows = png_get_rows(png, info);
    unsigned char *rgb = malloc((size_t)*w * (size_t)*h * 3);
    for (int y = 0; y < *h; y++) memcpy(rgb + (size_t)y * (size_t)*w * 3, rows[y], (size_t)*w * 3);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return rgb;
}

static void test_canvas_png_round_trip(void **state) {
    (void)state;
    Canvas c;
    TEST_CHECK(canvas_create(&c, 33, 21, RGB_WHITE));
    canvas_fill_rect(&c, 3, 4, 5, 6, palette_color(3));
    TEST_CHECK(canvas_save_png(&c, fixture_path("c.png")));
    int w, h;
    unsigned char *rgb = read_png_rgb(fixture_path("c.png"), &w, &h);
    assert_int_equal(w, 33);
    assert_int_equal(h, 21);
    assert_memory_equal(rgb, c.rgb, 33 * 21 * 3);
    free(rgb);
    canvas_free(&c);
}

static int count_color(const unsigned char *rgb, int w, int h, Rgb color, int x0, int x1) {
    int n = 0;
    for (int y = 0; y < h; y++)
        for (int x = x0; x < x1 && x < w; x++) {
            const unsigned char *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
            n += p[0] == color.r && p[1] == color.g && p[2] == color.b;
        }
    return n;
}

static void write_metrics(const char *path, bool with_knn) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int s = 10; s <= 200; s += 10) {
        fprintf(f, "{\"step\": %d, \"total_steps\": 200, \"epoch\": 0, \"loss\": %.4f, \"lr\": 0.1, \"tau\": 0.99, "
                "\"images_per_s\": 100, \"wall_s\": %d", s, 4.0 * exp(-s / 60.0) + 0.5, s);
        if (with_knn && s % 50 == 0) fprintf(f, ", \"knn_accuracy\": %.4f", 0.3 + s / 1000.0);
        fprintf(f, "}\n");
    }
    fclose(f);
}

static void test_plot_metrics_png(void **state) {
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", fixture_path("run"));
    fixture_mkdir(dir);
    write_metrics(fixture_path("run/metrics.jsonl"), false);
    TEST_CHECK(plot_metrics(dir, fixture_path("loss.png")));
    int w, h;
    unsigned char *rgb = read_png_rgb(fixture_path("loss.png"), &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 440);
    assert_true(count_color(rgb, w, h, palette_color(0), 0, w) > 200); /* the loss curve */
    free(rgb);

    write_metrics(fixture_path("with_knn.jsonl"), true);
    TEST_CHECK(plot_metrics(fixture_path("with_knn.jsonl"), fixture_path("both.png")));
    rgb = read_png_rgb(fixture_path("both.png"), &w, &h);
    assert_int_equal(w, 1280); /* a second panel for kNN accuracy */
    assert_int_equal(h, 440);
    assert_true(count_color(rgb, w, h, palette_color(3), 640, w) > 100); /* the kNN curve, right panel */
    assert_int_equal(count_color(rgb, w, h, palette_color(3), 0, 640), 0);
    free(rgb);

    fixture_write(fixture_path("empty.jsonl"), "", 0);
    assert_int_equal(plot_metrics(fixture_path("empty.jsonl"), fixture_path("x.png")), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "no metrics records"));
    assert_int_not_equal(plot_metrics(fixture_path("absent"), fixture_path("x.png")), BC_OK);
}

static void test_scatter_colors_points_by_class(void **state) {
    (void)state;
    Canvas c;
    TEST_CHECK(canvas_create(&c, 400, 300, RGB_WHITE));
    double x[60], y[60];
    int classes[60];
    for (int i = 0; i < 60; i++) x[i] = i % 3 * 10.0 + i * 0.01, y[i] = i % 3, classes[i] = i % 3;
    PlotLabels labels = {"title", "x", "y"};
    plot_panel_scatter(&c, (PlotRect){0, 0, 300, 300}, x, y, classes, 60, &labels);
    const char *names[3] = {"zero", "one", "two"};
    plot_legend(&c, 310, 20, names, 3);
    for (int k = 0; k < 3; k++) assert_true(count_color(c.rgb, 400, 300, palette_color(k), 0, 300) > 20);
    assert_true(same(pixel(&c, 312, 20 + 14 * 2 + 3), palette_color(2))); /* legend swatch */
    canvas_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_canvas_draws_and_clips),
        cmocka_unit_test_setup_teardown(test_canvas_png_round_trip, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_plot_metrics_png, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_scatter_colors_points_by_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
