/* test_train_methods.c — the methods and ablations of `byolcl train` end to end on tiny
 * generated data: a SimCLR run stopped halfway and resumed ends bit for bit where an
 * uninterrupted one ends; SimCLR and --no-predictor checkpoints hold no predictor (and
 * SimCLR no target) and evaluation loads their encoders; a checkpoint without the method
 * section (as written before it existed) reads and resumes as BYOL with batch norm per view;
 * --bn-views concat is kept in the checkpoint and config.json, resumes bit for bit and a
 * bad stored value is refused; --tau-base 0 keeps the
 * target equal to the online network and --tau-base 1 keeps it at its initialization; the
 * collapse monitor reaches metrics.jsonl. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byol/train_internal.h"
#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "byolcl/log.h"
#include "byolcl/metrics.h"
#include "byolcl/schedule.h"
#include "train_fixtures.h"
#include "test_util.h"

static Checkpoint *load(const char *name) {
    Checkpoint *c;
    TEST_CHECK(checkpoint_read(fixture_path("%s/checkpoint.ckpt", name), &c));
    return c;
}

static bool has_section(const Checkpoint *c, const char *name) {
    const void *data;
    size_t bytes;
    bool found = checkpoint_section(c, name, &data, &bytes) == BC_OK;
    error_clear();
    return found;
}

static void section(const Checkpoint *c, const char *name, const void **data, size_t *bytes) {
    TEST_CHECK(checkpoint_section(c, name, data, bytes));
}

static MetricsRecord *read_metrics(const char *name, int *count) {
    MetricsRecord *rows;
    TEST_CHECK(metrics_read(fixture_path("%s/metrics.jsonl", name), &rows, count));
    return rows;
}

/* `steps` steps of `method` (NULL: BYOL) with `bn_views` (NULL: the default) into
 * `straight` uninterrupted, and into `split` stopped halfway and resumed with no settings
 * given (the checkpoint's hold). */
static void train_straight_and_split(const char *straight, const char *split, int steps, const char *method,
                                     const char *bn_views) {
    for (int stop = 0; stop < 2; stop++) {
        TrainRequest r = tiny_request(fixture_path("%s", stop ? split : straight), steps);
        r.method = method;
        if (bn_views) r.bn_views = bn_views;
        r.stop_after = stop ? steps / 2 : 0;
        TEST_CHECK(train_run(&r));
    }
    TrainRequest r = tiny_request(fixture_path("%s", split), steps);
    r.resume = "";
    TEST_CHECK(train_run(&r));
}

/* The sections `names` of two runs' checkpoints: equal bytes when `equal`, else different. */
static void compare_sections(const char *run_a, const char *run_b, const char *const *names, int count, bool equal) {
    Checkpoint *a = load(run_a), *b = load(run_b);
    for (int i = 0; i < count; i++) {
        const void *da, *db;
        size_t na, nb;
        section(a, names[i], &da, &na);
        section(b, names[i], &db, &nb);
        bool same = na == nb && memcmp(da, db, na) == 0;
        if (same != equal) fail_msg("section %s: %s and %s %s", names[i], run_a, run_b, equal ? "differ" : "agree");
    }
    checkpoint_free(a);
    checkpoint_free(b);
}

static void test_simclr_resume_equals_uninterrupted(void **state) {
    (void)state;
    write_tiny_dataset();
    const int steps = test_small() ? 2 : 6;
    train_straight_and_split("straight", "split", steps, "simclr", NULL);
    const char *names[] = {"online.params", "online.state", "online.momentum", "method"};
    compare_sections("straight", "split", names, 4, true);
    int na, nb;
    MetricsRecord *ra = read_metrics("straight", &na), *rb = read_metrics("split", &nb);
    assert_int_equal(na, steps);
    assert_int_equal(nb, steps);
    for (int i = 0; i < steps; i++) {
        if (ra[i].loss != rb[i].loss || ra[i].collapse != rb[i].collapse)
            fail_msg("step %ld: loss %.6f / %.6f, collapse %.6f / %.6f after resume", ra[i].step, ra[i].loss,
                     rb[i].loss, ra[i].collapse, rb[i].collapse);
        /* NT-Xent with 2 x 8 views: log(15) = 2.71 for a collapsed batch, 0 at best. */
        if (!(ra[i].loss > 0 && ra[i].loss < 4)) fail_msg("step %ld: SimCLR loss %g", ra[i].step, ra[i].loss);
        if (!(ra[i].collapse > 0 && ra[i].collapse < 1)) fail_msg("step %ld: collapse %g", ra[i].step, ra[i].collapse);
    }
    free(ra);
    free(rb);
}

/* The checkpoint's configuration, and the model it describes built from it. */
static void model_of(const char *name, TrainConfig *config, ByolModel *model) {
    TrainProgress progress;
    char made_on[256];
    TEST_CHECK(train_checkpoint_read_config(fixture_path("%s/checkpoint.ckpt", name), config, &progress, made_on,
                                            sizeof made_on));
    TEST_CHECK(train_model_create(test_device(), config, model));
}

static void expect_no_predictor(const char *name, bool target) {
    Checkpoint *c = load(name);
    const void *layout;
    size_t bytes;
    section(c, "layout", &layout, &bytes);
    char *text = strndup(layout, bytes);
    assert_non_null(text);
    if (strstr(text, "predictor")) fail_msg("%s: the checkpoint's layout names predictor entries", name);
    assert_non_null(strstr(text, "projector.fc2.weight"));
    free(text);
    assert_int_equal(has_section(c, "target.params"), target);
    TrainConfig config;
    ByolModel model;
    model_of(name, &config, &model);
    assert_int_equal(arena_find(model.online, "predictor.fc1.weight"), -1);
    assert_int_equal(arena_find(model.online, "predictor.fc2.bias"), -1);
    assert_true(arena_find(model.online, "projector.fc2.weight") >= 0);
    section(c, "online.params", &layout, &bytes);
    assert_int_equal(bytes, arena_floats(model.online, ARENA_PARAMS) * sizeof(float));
    assert_int_equal(model.target != NULL, target);
    TEST_CHECK(train_checkpoint_load_state(fixture_path("%s/checkpoint.ckpt", name), &model));
    byol_model_destroy(&model);
    checkpoint_free(c);
    /* eval and embed take the encoder as they do from any checkpoint. */
    EvalEncoder encoder;
    TEST_CHECK(eval_encoder_load(test_device(), fixture_path("%s/checkpoint.ckpt", name), &encoder));
    eval_encoder_destroy(&encoder);
}

static void test_simclr_and_no_predictor_checkpoints_hold_no_predictor(void **state) {
    (void)state;
    write_tiny_dataset();
    TrainRequest r = tiny_request(fixture_path("simclr"), 2);
    r.method = "simclr";
    TEST_CHECK(train_run(&r));
    expect_no_predictor("simclr", false);
    TrainConfig config;
    ByolModel model;
    model_of("simclr", &config, &model);
    assert_int_equal(config.method.kind, METHOD_SIMCLR);
    assert_true(config.method.temperature == 0.5); /* 12 px images: SimCLR's small-image default */
    byol_model_destroy(&model);

    r = tiny_request(fixture_path("nopred"), 2);
    r.no_predictor = true;
    TEST_CHECK(train_run(&r));
    expect_no_predictor("nopred", true);
    model_of("nopred", &config, &model);
    assert_int_equal(config.method.kind, METHOD_BYOL);
    assert_int_equal(config.method.predictor, 0);
    byol_model_destroy(&model);

    /* `byolcl plot`: one run's panels, and both runs' collapse monitors together. */
    TEST_CHECK(plot_metrics(fixture_path("simclr"), fixture_path("one.png")));
    const char *runs[] = {fixture_path("simclr"), fixture_path("nopred/")};
    TEST_CHECK(plot_collapse_of_runs(runs, 2, fixture_path("both.png")));
    assert_true(fs_exists(fixture_path("one.png")) && fs_exists(fixture_path("both.png")));
    const char *missing[] = {fixture_path("nowhere")};
    assert_int_not_equal(plot_collapse_of_runs(missing, 1, fixture_path("none.png")), BC_OK);
}

/* Rewrites a checkpoint without its "method" section and with the configuration as it was
 * before --background: the file an older byolcl wrote. */
static void strip_method_section(const char *name) {
    Checkpoint *c = load(name);
    static const char *keep[] = {"config", "progress", "device", "layout", "online.params", "online.state",
                                 "online.momentum", "target.params", "target.state"};
    CheckpointSection sections[9];
    for (int i = 0; i < 9; i++) {
        sections[i].name = keep[i];
        section(c, keep[i], &sections[i].data, &sections[i].bytes);
    }
    sections[0].bytes = offsetof(TrainConfig, background);
    TEST_CHECK(checkpoint_write(fixture_path("%s/old.ckpt", name), sections, 9));
    checkpoint_free(c);
    assert_int_equal(rename(fixture_path("%s/old.ckpt", name), fixture_path("%s/checkpoint.ckpt", name)), 0);
}

static void test_checkpoint_without_method_reads_as_byol(void **state) {
    (void)state;
    write_tiny_dataset();
    TrainRequest r = tiny_request(fixture_path("old"), 4);
    r.stop_after = 2;
    TEST_CHECK(train_run(&r));
    strip_method_section("old");
    Checkpoint *c = load("old");
    assert_false(has_section(c, "method"));
    checkpoint_free(c);
    TrainConfig config;
    ByolModel model;
    model_of("old", &config, &model);
    assert_int_equal(config.method.kind, METHOD_BYOL);
    assert_int_equal(config.method.predictor, 1);
    assert_int_equal(config.background[0], 255); /* older runs composited onto white */
    assert_int_equal(config.background[2], 255);
    assert_int_equal(config.bn_views, BN_VIEWS_SEPARATE); /* older runs: one forward per view */
    assert_non_null(model.target);
    assert_true(arena_find(model.online, "predictor.fc1.weight") >= 0);
    byol_model_destroy(&model);
    r = tiny_request(fixture_path("old"), 4);
    r.resume = "";
    TEST_CHECK(train_run(&r));
    c = load("old");
    assert_true(has_section(c, "method")); /* rewritten by this version */
    const void *data;
    size_t bytes;
    section(c, "bn_views", &data, &bytes);
    assert_int_equal(bytes, sizeof(int32_t));
    assert_int_equal(*(const int32_t *)data, BN_VIEWS_SEPARATE);
    checkpoint_free(c);
}

/* Rewrites a checkpoint with `value` in its bn_views section. */
static void rewrite_bn_views(const char *name, int32_t value) {
    Checkpoint *c = load(name);
    static const char *keep[] = {"config", "method", "budget", "bn_views", "progress", "device", "layout",
                                 "online.params", "online.state", "online.momentum", "target.params", "target.state"};
    enum { KEPT = sizeof keep / sizeof keep[0] };
    CheckpointSection sections[KEPT];
    for (int i = 0; i < KEPT; i++) {
        sections[i].name = keep[i];
        section(c, keep[i], &sections[i].data, &sections[i].bytes);
        if (strcmp(keep[i], "bn_views") == 0) sections[i].data = &value;
    }
    TEST_CHECK(checkpoint_write(fixture_path("%s/bad.ckpt", name), sections, KEPT));
    checkpoint_free(c);
}

static void test_bn_views_concat_is_kept_and_resumes_exactly(void **state) {
    (void)state;
    write_tiny_dataset();
    const int steps = test_small() ? 2 : 4;
    train_straight_and_split("cat", "catsplit", steps, NULL, "concat");
    TrainRequest r = tiny_request(fixture_path("sep"), steps);
    r.bn_views = "separate";
    TEST_CHECK(train_run(&r));

    TrainConfig config;
    ByolModel model;
    model_of("catsplit", &config, &model);
    assert_int_equal(config.bn_views, BN_VIEWS_CONCAT);
    assert_int_equal(model.bn_views, BN_VIEWS_CONCAT);
    byol_model_destroy(&model);
    const char *names[] = {"online.params", "online.state", "target.params", "bn_views"};
    compare_sections("cat", "catsplit", names, 4, true);
    compare_sections("cat", "sep", names, 4, false);
    size_t json_bytes;
    char *json = (char *)fixture_read_file(fixture_path("cat/config.json"), &json_bytes);
    json[json_bytes] = '\0';
    assert_non_null(strstr(json, "\"bn_views\": \"concat\""));
    free(json);

    /* A stored value that is neither mode is refused, naming the section. */
    rewrite_bn_views("cat", 7);
    TrainProgress progress;
    char made_on[256];
    assert_int_equal(train_checkpoint_read_config(fixture_path("cat/bad.ckpt"), &config, &progress, made_on,
                                                  sizeof made_on), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "bn_views"));
}

/* The first target floats of the checkpoint against `want` (floats of the online layout). */
static void expect_target_equals(const char *name, const float *want, const char *what) {
    Checkpoint *c = load(name);
    const void *target;
    size_t bytes;
    section(c, "target.params", &target, &bytes);
    if (memcmp(target, want, bytes) != 0) fail_msg("%s: %s", name, what);
    checkpoint_free(c);
}

static void test_tau_extremes_are_the_papers_ablations(void **state) {
    (void)state;
    for (int64_t k = 0; k <= 10; k++) {
        assert_true(target_tau_at(0.0, k, 10) == 0.0);
        assert_true(target_tau_at(1.0, k, 10) == 1.0);
    }
    write_tiny_dataset();
    TrainRequest r = tiny_request(fixture_path("tau0"), 3);
    r.tau_base = 0.0;
    TEST_CHECK(train_run(&r));
    Checkpoint *c = load("tau0");
    const void *online;
    size_t bytes;
    section(c, "online.params", &online, &bytes);
    expect_target_equals("tau0", online, "with tau 0 the target is not the online network");
    checkpoint_free(c);

    r = tiny_request(fixture_path("tau1"), 3);
    r.tau_base = 1.0;
    TEST_CHECK(train_run(&r));
    TrainConfig config;
    ByolModel model; /* freshly built: the initialization the run started from */
    model_of("tau1", &config, &model);
    float *initial = malloc(arena_floats(model.online, ARENA_PARAMS) * sizeof *initial);
    assert_non_null(initial);
    TEST_CHECK(arena_download(model.online, ARENA_PARAMS, initial));
    expect_target_equals("tau1", initial, "with tau 1 the target moved away from its initialization");
    c = load("tau1");
    section(c, "online.params", &online, &bytes);
    if (memcmp(online, initial, bytes) == 0) fail_msg("tau1: the online network did not train");
    checkpoint_free(c);
    free(initial);
    byol_model_destroy(&model);
}

static void test_method_flags_are_checked(void **state) {
    (void)state;
    write_tiny_dataset();
    TrainRequest r = tiny_request(fixture_path("bad"), 2);
    r.method = "moco";
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--method"));
    r = tiny_request(fixture_path("bad"), 2);
    r.method = "simclr";
    r.temperature = 0.0;
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--temperature"));
    r = tiny_request(fixture_path("bad"), 2);
    r.temperature = 0.2; /* BYOL */
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    r = tiny_request(fixture_path("bad"), 2);
    r.method = "simclr";
    r.no_predictor = true;
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--no-predictor"));
    r = tiny_request(fixture_path("bad"), 2);
    r.bn_views = "both";
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--bn-views"));
}

#define TRAIN_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void) {
    log_set_level(LOG_QUIET);
    const struct CMUnitTest tests[] = {
        TRAIN_TEST(test_simclr_resume_equals_uninterrupted),
        TRAIN_TEST(test_simclr_and_no_predictor_checkpoints_hold_no_predictor),
        TRAIN_TEST(test_checkpoint_without_method_reads_as_byol),
        TRAIN_TEST(test_bn_views_concat_is_kept_and_resumes_exactly),
        TRAIN_TEST(test_tau_extremes_are_the_papers_ablations),
        TRAIN_TEST(test_method_flags_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
