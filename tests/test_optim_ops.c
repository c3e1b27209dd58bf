/* test_optim_ops.c — the optimizer kernels as ops (src/ops/optim.c) against
 * tests/ref/optim_ref.c on a hand-made table of odd entries (every flag combination, an
 * all-zero weight entry, views at offsets): SGD, LARS's trust ratios and update, the EMA,
 * the non-finite count and the fill.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/ops.h"
#include "ref/gradcheck.h"
#include "ref/optim_ref.h"
#include "test_util.h"

enum { CHUNK = 16, MAX_ENTRIES = 8, W_AT = 5, G_AT = 2, M_AT = 7 };

/* A table laid out as arena.h lays one out: entries at multiples of CHUNK, zero gaps. */
typedef struct {
    int rows[MAX_ENTRIES * ARENA_TABLE_COLUMNS], entries;
    int *map; /* entry per chunk */
    size_t n; /* floats, gaps included */
    float *w, *g, *m;
    Buffer *bw, *bg, *bm, *btable, *bmap;
    ParamTable table;
} Params;

static Params params_make(uint64_t seed) {
    static const struct {
        int count, flags;
        bool zero;
    } spec[] = {{300, ARENA_FLAG_DECAY | ARENA_FLAG_ADAPT, false}, {17, 0, false},
                {1, ARENA_FLAG_DECAY | ARENA_FLAG_ADAPT, false},   {5, ARENA_FLAG_DECAY | ARENA_FLAG_ADAPT, true},
                {33, ARENA_FLAG_DECAY, false},                     {7, ARENA_FLAG_ADAPT, false},
                {5000, ARENA_FLAG_DECAY | ARENA_FLAG_ADAPT, false}};
    Params p = {.entries = test_small() ? 6 : 7};
    for (int e = 0; e < p.entries; e++) {
        int *row = p.rows + ARENA_TABLE_COLUMNS * e;
        row[0] = (int)p.n, row[1] = spec[e].count, row[2] = spec[e].flags;
        p.n += (size_t)(spec[e].count + CHUNK - 1) / CHUNK * CHUNK;
    }
    p.map = malloc(p.n / CHUNK * sizeof *p.map);
    p.w = calloc(p.n, sizeof(float)), p.g = calloc(p.n, sizeof(float)), p.m = calloc(p.n, sizeof(float));
    assert_true(p.map && p.w && p.g && p.m);
    for (int e = 0; e < p.entries; e++) {
        const int *row = p.rows + ARENA_TABLE_COLUMNS * e;
        for (int c = row[0] / CHUNK; c < (row[0] + row[1] + CHUNK - 1) / CHUNK; c++) p.map[c] = e;
        if (!spec[e].zero) test_fill_uniform(p.w + row[0], (size_t)row[1], seed + (uint64_t)e, -1, 1);
        test_fill_uniform(p.g + row[0], (size_t)row[1], seed + 100 + (uint64_t)e, -1, 1);
        test_fill_uniform(p.m + row[0], (size_t)row[1], seed + 200 + (uint64_t)e, -1, 1);
    }
    p.bw = test_upload_at(p.w, p.n, W_AT), p.bg = test_upload_at(p.g, p.n, G_AT), p.bm = test_upload_at(p.m, p.n, M_AT);
    p.btable = test_upload_ints_at(p.rows, (size_t)p.entries * ARENA_TABLE_COLUMNS, 0);
    p.bmap = test_upload_ints_at(p.map, p.n / CHUNK, 0);
    p.table = (ParamTable){p.btable, p.entries, p.bmap, CHUNK};
    return p;
}

static void params_free(Params *p) {
    buffer_release(p->bw), buffer_release(p->bg), buffer_release(p->bm);
    buffer_release(p->btable), buffer_release(p->bmap);
    free(p->map), free(p->w), free(p->g), free(p->m);
}

static double *doubles_of(const float *x, size_t n) {
    double *d = malloc(n * sizeof *d);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static void expect(const Buffer *b, size_t n, size_t at, const double *want, double atol, const char *what) {
    float *got = test_download_at(b, n, at, what), *wantf = ref_floats_from_doubles(want, n);
    test_assert_close(got, wantf, n, atol, 1e-5, what);
    free(got);
    free(wantf);
}

static void test_sgd_apply_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    Params p = params_make(1);
    double *w = doubles_of(p.w, p.n), *v = doubles_of(p.m, p.n);
    for (int step = 0; step < 2; step++) {
        TEST_CHECK(sgd_apply(dev, view_at(view_of(p.bw), W_AT), view_at(view_of(p.bg), G_AT),
                             view_at(view_of(p.bm), M_AT), &p.table, p.n, 0.01f, 0.1f, 0.9f));
        sgd_ref(w, v, p.g, p.rows, p.entries, 0.01f, 0.1f, 0.9f);
    }
    expect(p.bw, p.n, W_AT, w, 1e-6, "sgd w");
    expect(p.bm, p.n, M_AT, v, 1e-6, "sgd velocity");
    free(w), free(v);
    params_free(&p);
}

static void test_lars_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    Params p = params_make(2);
    Buffer *trust;
    TEST_CHECK(buffer_create(dev, (size_t)p.entries * sizeof(float), &trust));
    TEST_CHECK(lars_trust_ratios(dev, trust, view_at(view_of(p.bw), W_AT), view_at(view_of(p.bg), G_AT), &p.table,
                                 0.1f, 1e-3f));
    double *w = doubles_of(p.w, p.n), *t = doubles_of(p.m, p.n), want_trust[MAX_ENTRIES];
    for (int e = 0; e < p.entries; e++)
        want_trust[e] = lars_trust_ratio_ref(w, p.g, p.rows + ARENA_TABLE_COLUMNS * e, 0.1f, 1e-3f);
    expect(trust, (size_t)p.entries, 0, want_trust, 1e-9, "trust ratios");
    TEST_CHECK(lars_apply(dev, view_at(view_of(p.bw), W_AT), view_at(view_of(p.bg), G_AT), view_at(view_of(p.bm), M_AT),
                          &p.table, trust, p.n, 0.1f, 0.5f, 0.9f));
    lars_ref(w, t, p.g, p.rows, p.entries, 0.1f, 1e-3f, 0.5f, 0.9f);
    expect(p.bw, p.n, W_AT, w, 1e-6, "lars w");
    expect(p.bm, p.n, M_AT, t, 1e-6, "lars trace");
    buffer_release(trust);
    free(w), free(t);
    params_free(&p);
}

static void test_ema_count_and_fill_match_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    static const size_t sizes[] = {1, 3, 257, 1000};
    for (size_t k = 0; k < (test_small() ? 3u : 4u); k++) {
        size_t n = sizes[k];
        float *target = test_alloc_uniform(n, 30 + k, -1, 1), *online = test_alloc_uniform(n, 40 + k, -1, 1);
        Buffer *bt = test_upload_at(target, n, 3), *bo = test_upload_at(online, n, 6);
        double *want = doubles_of(target, n);
        TEST_CHECK(ema_update(dev, view_at(view_of(bt), 3), view_at(view_of(bo), 6), n, 0.996));
        ema_ref(want, online, n, 0.996);
        expect(bt, n, 3, want, 1e-7, "ema");
        /* tau = 1 leaves the target exactly as it was; tau outside [0, 1] is refused. */
        float *before = test_download_at(bt, n, 3, "ema");
        TEST_CHECK(ema_update(dev, view_at(view_of(bt), 3), view_at(view_of(bo), 6), n, 1.0));
        float *after = test_download_at(bt, n, 3, "ema tau 1");
        assert_memory_equal(before, after, n * sizeof(float));
        assert_int_equal(ema_update(dev, view_of(bt), view_of(bo), n, 1.5), BC_ERR_USAGE);

        for (size_t i = 0; i < n; i += 7) online[i] = i % 2 ? INFINITY : NAN;
        Buffer *bn = test_upload_at(online, n, 6), *count;
        TEST_CHECK(buffer_create(dev, sizeof(int), &count));
        TEST_CHECK(count_nonfinite(dev, count, view_at(view_of(bn), 6), n));
        int c = -1;
        TEST_CHECK(buffer_read(dev, count, 0, sizeof c, &c));
        assert_int_equal(c, count_nonfinite_ref(online, n));

        TEST_CHECK(fill_floats(dev, view_at(view_of(bt), 3), n, 2.5f));
        float *filled = test_download_at(bt, n, 3, "fill"); /* and the prefix untouched */
        for (size_t i = 0; i < n; i++) assert_true(filled[i] == 2.5f);
        buffer_release(bt), buffer_release(bo), buffer_release(bn), buffer_release(count);
        free(target), free(online), free(want), free(before), free(after), free(filled);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_apply_matches_reference),
        cmocka_unit_test(test_lars_matches_reference),
        cmocka_unit_test(test_ema_count_and_fill_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
