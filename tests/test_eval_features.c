/* test_eval_features.c — features of a frozen encoder: BN in evaluation mode makes an
 * image's features independent of its batch (batch of 1 = inside a batch of 100); a
 * checkpoint's online encoder loads exactly; bad checkpoints give clear errors (and the
 * command exits 1, bad flags 2); `byolcl eval` and `byolcl embed` run end to end on tiny
 * data and write valid JSON and a PNG of the expected size.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "byol/train_internal.h"
#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "byolcl/log.h"
#include "data_fixtures.h"
#include "test_util.h"

static int side(void) { return test_small() ? 8 : 12; } /* oclgrind is ~1000x slower */
#define SIDE side()

static void write_split(const char *images_name, const char *labels_name, uint32_t n) {
    size_t bytes;
    uint8_t *images = fixture_idx_images(n, (uint32_t)SIDE, (uint32_t)SIDE, &bytes);
    /* Make images differ in more than their offset: a per-image scale of the pattern. */
    for (uint32_t i = 0; i < n; i++)
        for (size_t p = 0; p < (size_t)(SIDE * SIDE); p++) images[16 + i * (size_t)(SIDE * SIDE) + p] = (uint8_t)((p * (i % 5 + 1) * 13 + i) & 255);
    fixture_write(fixture_path("%s", images_name), images, bytes);
    free(images);
    uint8_t *labels = fixture_idx_labels(n, 5, &bytes);
    fixture_write(fixture_path("%s", labels_name), labels, bytes);
    free(labels);
}

/* A tiny labeled dataset, a resolved configuration for it and a checkpoint of an untrained
 * (but initialized) model with non-trivial BN running statistics, at fixture "run.ckpt". */
static void make_checkpoint(TrainConfig *config, ByolModel *model_out) {
    write_split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60);
    write_split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 25);
    TrainRequest r;
    train_request_defaults(&r);
    char data[512];
    snprintf(data, sizeof data, "%s", fixture_root);
    r.data_path = data, r.out_dir = fixture_path("run");
    r.arch = "small", r.width = 4, r.batch = 8, r.proj_hidden = 16, r.proj_out = 8, r.steps = 1, r.seed = 7;
    Dataset *ds;
    TEST_CHECK(dataset_open(data, DATASET_TRAIN, NULL, &ds));
    TEST_CHECK(train_config_resolve(&r, dataset_info(ds), device_info(test_device()), config));
    train_config_finish(7, config);
    dataset_close(ds);
    config->augment.mean[0] = 0.4f, config->augment.std[0] = 0.25f;
    ByolModel model;
    TEST_CHECK(byol_model_create(test_device(), &config->encoder, &config->projector, &config->predictor, 8,
                                 BN_VIEWS_SEPARATE, config->seed, &model));
    size_t sf = arena_floats(model.online, ARENA_STATE);
    float *state = malloc(sf * sizeof *state);
    TEST_CHECK(arena_download(model.online, ARENA_STATE, state));
    float *noise = test_alloc_uniform(sf, 3, 0.2f, 1.5f);
    for (int i = 0; i < arena_entry_count(model.online); i++) { /* running mean in (-0.6, 0.5), var in (0.2, 1.5) */
        const ArenaEntry *e = arena_entry(model.online, i);
        if (e->kind != PARAM_BN_STAT) continue;
        bool var = strstr(e->name, "running_var") != NULL;
        for (size_t j = 0; j < e->count; j++) state[e->offset + j] = var ? noise[e->offset + j] : noise[e->offset + j] - 0.8f;
    }
    TEST_CHECK(arena_upload(model.online, ARENA_STATE, state));
    free(state);
    free(noise);
    TrainProgress progress = {.steps_done = 3, .wall_s = 1};
    TEST_CHECK(train_checkpoint_save(fixture_path("run.ckpt"), config, &progress, &model, "test device"));
    if (model_out) *model_out = model;
    else byol_model_destroy(&model);
}

static void test_batch_of_one_equals_batch_of_100(void **state) {
    (void)state;
    TrainConfig config;
    make_checkpoint(&config, NULL);
    EvalEncoder enc;
    TEST_CHECK(eval_encoder_load(test_device(), fixture_path("run.ckpt"), &enc));
    int n = test_small() ? 3 : 100;
    FeatureExtractor *x;
    TEST_CHECK(feature_extractor_create(test_device(), &enc, &config, SIDE, SIDE, 1, n, &x));
    int dim = feature_extractor_dim(x);
    assert_int_equal(dim, network_output_dim(enc.network, PART_ENCODER));
    uint8_t *images = malloc((size_t)n * SIDE * SIDE);
    for (size_t i = 0; i < (size_t)n * SIDE * SIDE; i++) images[i] = (uint8_t)((i * 2654435761u) >> 13);
    float *batch = malloc((size_t)n * (size_t)dim * sizeof *batch), *one = malloc((size_t)dim * sizeof *one);
    TEST_CHECK(feature_extractor_run(x, images, n, batch));
    double spread = 0;
    for (int i = 0; i < n * dim; i++) spread = fmax(spread, fabs(batch[i]));
    assert_true(spread > 1e-3); /* features are not all zero */
    const int picks[] = {0, n - 1, 1, n / 2};
    for (int p = 0; p < (test_small() ? 2 : 4); p++) {
        int i = picks[p];
        TEST_CHECK(feature_extractor_run(x, images + (size_t)i * SIDE * SIDE, 1, one));
        test_assert_close(one, batch + (size_t)i * (size_t)dim, (size_t)dim, 1e-5, 1e-4, "batch of 1 vs batch");
    }
    free(images), free(batch), free(one);
    feature_extractor_destroy(x);
    eval_encoder_destroy(&enc);
}

static void test_checkpoint_encoder_loads_exactly(void **state) {
    (void)state;
    TrainConfig config;
    ByolModel model;
    make_checkpoint(&config, &model);
    EvalEncoder enc, random;
    TEST_CHECK(eval_encoder_load(test_device(), fixture_path("run.ckpt"), &enc));
    TEST_CHECK(eval_encoder_random(test_device(), &config, &random));
    assert_true(arena_is_prefix_of(enc.arena, model.online));
    for (int part = 0; part < 2; part++) {
        ArenaPart which = part ? ARENA_STATE : ARENA_PARAMS;
        size_t n = arena_floats(enc.arena, which);
        float *got = malloc(n * sizeof *got), *init = malloc(n * sizeof *init);
        float *want = malloc(arena_floats(model.online, which) * sizeof *want);
        TEST_CHECK(arena_download(enc.arena, which, got));
        TEST_CHECK(arena_download(random.arena, which, init));
        TEST_CHECK(arena_download(model.online, which, want));
        assert_memory_equal(got, want, n * sizeof *got);
        /* The random-init encoder holds the same initial parameters (same seed); its BN
         * statistics are the fresh ones, not the checkpoint's. */
        if (which == ARENA_PARAMS) assert_memory_equal(init, want, n * sizeof *got);
        else assert_true(memcmp(init, want, n * sizeof *got) != 0);
        free(got), free(init), free(want);
    }
    eval_encoder_destroy(&enc);
    eval_encoder_destroy(&random);
    byol_model_destroy(&model);
}

static void expect_load_error(const char *path, Status want, const char *fragment) {
    EvalEncoder enc;
    Status st = eval_encoder_load(test_device(), path, &enc);
    if (st != want) fail_msg("%s: got %s (%s), wanted %s", path, status_name(st), error_last(), status_name(want));
    if (!strstr(error_last(), fragment)) fail_msg("%s: message '%s' lacks '%s'", path, error_last(), fragment);
}

static void test_bad_checkpoints_are_refused(void **state) {
    (void)state;
    if (test_small()) skip(); /* deliberate misuse: no kernels involved */
    TrainConfig config;
    make_checkpoint(&config, NULL);
    expect_load_error(fixture_path("missing.ckpt"), BC_ERR_IO, "missing.ckpt");
    fixture_write(fixture_path("garbage.ckpt"), "not a checkpoint at all, just text", 34);
    expect_load_error(fixture_path("garbage.ckpt"), BC_ERR_FORMAT, "garbage.ckpt");
    size_t bytes;
    uint8_t *good = fixture_read_file(fixture_path("run.ckpt"), &bytes);
    fixture_write(fixture_path("short.ckpt"), good, bytes / 2);
    expect_load_error(fixture_path("short.ckpt"), BC_ERR_FORMAT, "short.ckpt");
    free(good);
    /* A configuration that does not describe the stored parameters (another width). */
    Checkpoint *c;
    TEST_CHECK(checkpoint_read(fixture_path("run.ckpt"), &c));
    const char *names[] = {"config", "progress", "device", "layout", "online.params", "online.state"};
    CheckpointSection sections[6];
    TrainConfig other = config;
    other.encoder.width = 6;
    for (int i = 0; i < 6; i++) {
        sections[i].name = names[i];
        TEST_CHECK(checkpoint_section(c, names[i], &sections[i].data, &sections[i].bytes));
    }
    sections[0].data = &other;
    TEST_CHECK(checkpoint_write(fixture_path("other.ckpt"), sections, 6));
    checkpoint_free(c);
    expect_load_error(fixture_path("other.ckpt"), BC_ERR_FORMAT, "do not match");
}

static int run_command(const char *args) {
    const char *dir = getenv("BYOLCL_BINARY_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/byolcl %s >/dev/null 2>%s", dir ? dir : ".", args, fixture_path("stderr.txt"));
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_command(const char *args, int code, const char *fragment) {
    int got = run_command(args);
    size_t bytes;
    char *err = (char *)fixture_read_file(fixture_path("stderr.txt"), &bytes);
    if (got != code) fail_msg("byolcl %s: exit %d, wanted %d (%s)", args, got, code, err);
    if (!strstr(err, fragment)) fail_msg("byolcl %s: stderr '%s' lacks '%s'", args, err, fragment);
    free(err);
}

static void test_command_exit_codes(void **state) {
    (void)state;
    if (test_small()) skip();
    char args[1024];
    snprintf(args, sizeof args, "eval --checkpoint %s", fixture_path("nothing-here.ckpt"));
    expect_command(args, 1, "nothing-here.ckpt");
    expect_command("eval", 2, "--checkpoint is required");
    expect_command("eval --checkpoint x --fractions 0.5,2", 2, "--fractions");
    expect_command("eval --checkpoint x --knn-k many", 2, "--knn-k");
    expect_command("embed --checkpoint x --points -1", 2, "--points");
    expect_command("plot", 2, "--run");
}

static bool png_size(const char *path, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return false;
    }
    png_init_io(png, f);
    png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL); /* decodes every row: a broken file fails */
    *w = (int)png_get_image_width(png, info), *h = (int)png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return true;
}

/* The printed table ends with the trained row minus each baseline, in points, and a count. */
static void test_report_states_the_differences(void **state) {
    (void)state;
    EvalReport report;
    memset(&report, 0, sizeof report);
    eval_request_defaults(&report.request);
    report.request.fractions[0] = 1, report.request.fractions[1] = 0.1, report.request.fraction_count = 2;
    const char *names[3] = {"BYOL (10 steps)", "random init (seed 0)", "raw pixels"};
    const double knn[3] = {0.80, 0.70, 0.8125}, probe100[3] = {0.85, 0.75, 0.84}, probe10[3] = {0.70, 0.65, 0.7};
    for (int i = 0; i < 3; i++) {
        snprintf(report.rows[i].name, sizeof report.rows[i].name, "%s", names[i]);
        report.rows[i].knn = knn[i];
        report.rows[i].probe[0].top1 = probe100[i], report.rows[i].probe[1].top1 = probe10[i];
        report.rows[i].probe[0].top5 = report.rows[i].probe[1].top5 = NAN;
    }
    report.row_count = 3, report.class_count = 10;
    char *text = NULL;
    size_t bytes = 0;
    FILE *out = open_memstream(&text, &bytes);
    eval_report_print(&report, out);
    fclose(out);
    const char *random = strstr(text, "minus random init (seed 0)"), *pixels = strstr(text, "minus raw pixels");
    assert_non_null(random);
    assert_non_null(pixels);
    assert_non_null(strstr(random, "+10.00"));
    assert_non_null(strstr(random, "ahead on 3 of 3"));
    assert_non_null(strstr(pixels, "-1.25"));
    assert_non_null(strstr(pixels, "+1.00"));
    assert_non_null(strstr(pixels, "ahead on 1 of 3")); /* a tie (probe 10%) is not ahead */
    free(text);
}

static void test_eval_and_embed_end_to_end(void **state) {
    (void)state;
    if (test_small()) skip(); /* the pieces run under oclgrind above and in the probe/kNN tests */
    TrainConfig config;
    make_checkpoint(&config, NULL);
    EvalRequest r;
    eval_request_defaults(&r);
    r.checkpoint = fixture_path("run.ckpt");
    r.device = getenv("BYOLCL_TEST_DEVICE");
    r.knn.k = 10, r.probe.epochs = 5, r.batch = 16, r.quiet = true;
    r.fractions[0] = 1, r.fractions[1] = 0.5, r.fraction_count = 2;
    EvalReport report;
    TEST_CHECK(eval_run(&r, &report));
    assert_int_equal(report.row_count, 3);
    assert_int_equal(report.train_count, 60);
    assert_int_equal(report.test_count, 25);
    assert_int_equal(report.rows[2].dim, SIDE * SIDE);
    for (int i = 0; i < 3; i++) {
        assert_true(report.rows[i].knn >= 0 && report.rows[i].knn <= 1);
        assert_int_equal(report.rows[i].probe[0].train_count, 60);
        assert_int_equal(report.rows[i].probe[1].train_count, 30); /* 6 of each of 5 classes */
        assert_true(report.rows[i].probe[1].top1 >= 0 && report.rows[i].probe[1].top1 <= 1);
    }
    TEST_CHECK(eval_report_write_json(&report, fixture_path("eval.json")));
    size_t bytes;
    char *json = (char *)fixture_read_file(fixture_path("eval.json"), &bytes);
    assert_non_null(strstr(json, "\"rows\": ["));
    assert_non_null(strstr(json, "\"name\": \"raw pixels\""));
    free(json);

    EmbedRequest e = {.checkpoint = fixture_path("run.ckpt"), .device = getenv("BYOLCL_TEST_DEVICE"),
                      .out_png = fixture_path("embed.png"), .points = 20, .batch = 7};
    TEST_CHECK(embed_run(&e));
    int w = 0, h = 0;
    assert_true(png_size(fixture_path("embed.png"), &w, &h));
    assert_int_equal(w, 2 * 520 + 190);
    assert_int_equal(h, 520);
}

int main(void) {
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_of_one_equals_batch_of_100, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_encoder_loads_exactly, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bad_checkpoints_are_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_command_exit_codes, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_report_states_the_differences),
        cmocka_unit_test_setup_teardown(test_eval_and_embed_end_to_end, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
