/* bench_tune_conv.c — byolcl-bench --tune on a GPU, the convolutions: searches the implicit-GEMM
 * kernels' sizes (CONV_IGEMM_WG_M/N, TILE_M/N/K, PAD: cl/conv2d_igemm.cl) on the three passes
 * of ResNet-18's convolutions at 32x32x3, batch 256 (--quick: the small ResNet, batch 2), then
 * the weight gradient's depth split (CONV_IGEMM_WGRAD_GROUPS, _MIN_K) on its weight gradients.
 * The profile as loaded is the first candidate of each stage, then known shapes, then the rest
 * of the space in a seeded random order; each candidate is checked against the double
 * references on odd shapes before it is timed (device time, each layer as often as the network
 * runs it). The fastest stays applied for the caller to save, and a table compares it with the
 * profile as loaded, layer by layer and pass by pass. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bench_models.h"
#include "ops/conv2d_igemm.h"
#include "ops/conv2d_paths.h"
#include "util/clock.h"

#define COUNT(array) ((int)(sizeof array / sizeof *array))

enum { PASS_FORWARD = 0, PASS_DATA, PASS_WEIGHTS, PASSES };
static const char *const pass_names[PASSES] = {"fwd", "bwd-data", "bwd-weights"};

/* One setting of the keys searched here: CONV_IGEMM (the profile as loaded may have it off) and
 * the kernels' sizes. */
typedef struct {
    int on;
    ConvIgemmParams p;
} ConvChoice;

/* The layers timed, with operands sized for the largest and shared by all. */
typedef struct {
    ConvLayer layers[MODEL_MAX_CONVS];
    int count;
    unsigned passes; /* bit p: pass p is timed */
    Buffer *in, *weight, *out, *d_out, *d_in, *d_weight;
    double flops; /* per run of the set */
    const char *label;
} ConvSet;

/* One layer's pass (ConvSet's run_one context). */
typedef struct {
    const ConvSet *set;
    int layer, pass;
} ConvCall;

/* Training never computes the stem's input gradient (the image needs none). */
static bool pass_timed(const ConvSet *t, int layer, int pass) {
    return (t->passes >> pass & 1) && !(layer == 0 && pass == PASS_DATA);
}

static double pass_flops(const Conv2dShape *s) {
    return 2.0 * s->n * s->c_out * conv2d_out_h(s) * conv2d_out_w(s) * (double)(s->c_in * s->kernel_h * s->kernel_w);
}

static Status run_pass(Device *device, const ConvSet *t, int layer, int pass) {
    const Conv2dShape *s = &t->layers[layer].shape;
    if (pass == PASS_FORWARD) return conv2d_forward(device, view_of(t->out), view_of(t->in), view_of(t->weight), s);
    if (pass == PASS_DATA)
        return conv2d_backward_data(device, view_of(t->d_in), view_of(t->d_out), view_of(t->weight), s, false);
    return conv2d_backward_weights(device, view_of(t->d_weight), view_of(t->d_out), view_of(t->in), s);
}

static Status run_set(Device *device, void *context) {
    const ConvSet *t = context;
    Status st = BC_OK;
    for (int l = 0; st == BC_OK && l < t->count; l++)
        for (int p = 0; st == BC_OK && p < PASSES; p++)
            for (int r = 0; st == BC_OK && pass_timed(t, l, p) && r < t->layers[l].repeats; r++)
                st = run_pass(device, t, l, p);
    return st;
}

static Status run_one(Device *device, void *context) {
    const ConvCall *c = context;
    return run_pass(device, c->set, c->layer, c->pass);
}

static Status set_create(Bench *b, ConvSet *t) {
    ModelSpec model = b->quick ? (ModelSpec){"small-w16", MODEL_SMALL, 1, 28, 16, 2, 512, 128}
                               : (ModelSpec){"resnet18", MODEL_RESNET18, 3, 32, 64, 256, 4096, 256};
    t->label = b->quick ? "small-w16 n2 convs" : "resnet18 n256 convs";
    t->count = model_conv_layers(&model, t->layers, MODEL_MAX_CONVS);
    size_t in = 1, weight = 1, out = 1;
    t->flops = 0;
    for (int l = 0; l < t->count; l++) {
        const Conv2dShape *s = &t->layers[l].shape;
        size_t i = (size_t)s->n * s->c_in * s->h * s->w, w = (size_t)s->c_out * s->c_in * s->kernel_h * s->kernel_w;
        size_t o = (size_t)s->n * s->c_out * conv2d_out_h(s) * conv2d_out_w(s);
        in = i > in ? i : in, weight = w > weight ? w : weight, out = o > out ? o : out;
        for (int p = 0; p < PASSES; p++)
            if (pass_timed(t, l, p)) t->flops += pass_flops(s) * t->layers[l].repeats;
    }
    Status st = bench_upload_random(b, in, -1, 1, &t->in, NULL);
    if (st == BC_OK) st = bench_upload_random(b, weight, -0.5f, 0.5f, &t->weight, NULL);
    if (st == BC_OK) st = bench_upload_random(b, out, -1, 1, &t->d_out, NULL);
    if (st == BC_OK) st = buffer_create(b->device, out * sizeof(float), &t->out);
    if (st == BC_OK) st = buffer_create(b->device, in * sizeof(float), &t->d_in);
    if (st == BC_OK) st = buffer_create(b->device, weight * sizeof(float), &t->d_weight);
    if (st == BC_OK) st = buffer_fill_zero(b->device, t->d_weight, 0, weight * sizeof(float)); /* it accumulates */
    return st;
}

static void set_release(ConvSet *t) {
    Buffer *all[] = {t->in, t->weight, t->out, t->d_out, t->d_in, t->d_weight};
    for (int i = 0; i < COUNT(all); i++) buffer_release(all[i]);
}

static Status choice_apply(Device *device, const ConvChoice *c) {
    Status st = device_profile_set(device, "CONV_IGEMM", c->on);
    return st == BC_OK ? conv2d_igemm_params_apply(device, &c->p) : st;
}

static void choice_text(const ConvChoice *c, bool wgrad, char *out, size_t cap) {
    const ConvIgemmParams *p = &c->p;
    if (!c->on) snprintf(out, cap, "as loaded (CONV_IGEMM = 0)");
    else if (wgrad) snprintf(out, cap, "igemm wgrad groups %d min-k %d", p->wgrad_groups, p->wgrad_min_k);
    else
        snprintf(out, cap, "igemm wg%dx%d t%dx%d k%d pad%d", p->wg_m, p->wg_n, p->tile_m, p->tile_n, p->tile_k,
                 p->pad);
}

static bool same_choice(const ConvChoice *x, const ConvChoice *y) {
    return x->on == y->on && memcmp(&x->p, &y->p, sizeof x->p) == 0;
}

/* Appends c unless already listed or not launchable on the device. */
static void add_choice(ConvChoice *out, int *count, int cap, const ConvChoice *c, const DeviceInfo *info) {
    for (int i = 0; i < *count; i++)
        if (same_choice(&out[i], c)) return;
    if (*count < cap && (!c->on || !conv2d_igemm_params_problem(&c->p, info))) out[(*count)++] = *c;
}

/* Stage one: the work-group and register tiles. Known shapes (as WG_M WG_N TILE_M TILE_N TILE_K
 * PAD): the defaults, their depth halved and doubled, 128 x 128 tiles of 8 x 8 per work-item
 * (CUTLASS SIMT), 64 x 64 of 8 x 8 on 64 work-items (dlprimitives), 64 x 64 on 128 work-items,
 * and the defaults unpadded. Then every WG_M, WG_N in {8, 16, 32}, TILE_M, TILE_N in {2, 4, 8},
 * TILE_K in {8, 16, 32}, PAD in {0, 1} whose block is 16 to 128 wide and whose work-group the
 * device takes. --quick: the defaults and two small odd tilings. */
static int tile_choices(const Bench *b, const ConvChoice *loaded, ConvChoice *out, int cap) {
    static const int known[][6] = {{16, 16, 4, 4, 16, 1}, {16, 16, 4, 4, 8, 1}, {16, 16, 4, 4, 32, 1},
                                   {16, 16, 8, 8, 8, 1},  {8, 8, 8, 8, 16, 1},   {8, 16, 8, 4, 16, 1},
                                   {16, 16, 4, 4, 16, 0}};
    static const int quick[][6] = {{16, 16, 4, 4, 16, 1}, {4, 8, 3, 2, 5, 0}, {8, 8, 2, 2, 8, 1}};
    static const int side[] = {8, 16, 32}, tile[] = {2, 4, 8}, depth[] = {8, 16, 32}, pad[] = {0, 1};
    const DeviceInfo *info = device_info(b->device);
    int count = 0;
    add_choice(out, &count, cap, loaded, info);
    const int(*list)[6] = b->quick ? quick : known;
    for (int i = 0; i < (b->quick ? COUNT(quick) : COUNT(known)); i++) {
        ConvChoice c = {1, loaded->p};
        c.p.wg_m = list[i][0], c.p.wg_n = list[i][1], c.p.tile_m = list[i][2], c.p.tile_n = list[i][3];
        c.p.tile_k = list[i][4], c.p.pad = list[i][5];
        add_choice(out, &count, cap, &c, info);
    }
    if (b->quick) return count;
    int first_random = count;
    for (int wm = 0; wm < COUNT(side); wm++)
        for (int wn = 0; wn < COUNT(side); wn++)
            for (int tm = 0; tm < COUNT(tile); tm++)
                for (int tn = 0; tn < COUNT(tile); tn++)
                    for (int k = 0; k < COUNT(depth); k++)
                        for (int pd = 0; pd < COUNT(pad); pd++) {
                            ConvChoice c = {1, loaded->p};
                            c.p.wg_m = side[wm], c.p.wg_n = side[wn], c.p.tile_m = tile[tm], c.p.tile_n = tile[tn];
                            c.p.tile_k = depth[k], c.p.pad = pad[pd];
                            int block_m = c.p.wg_m * c.p.tile_m, block_n = c.p.wg_n * c.p.tile_n;
                            if (block_m >= 16 && block_m <= 128 && block_n >= 16 && block_n <= 128)
                                add_choice(out, &count, cap, &c, info);
                        }
    bench_tune_shuffle(out + first_random, count - first_random, sizeof *out, b->seed);
    return count;
}

/* Stage two: the weight gradient's split, on stage one's tiles. WGRAD_GROUPS in {1, 2, 4, 8,
 * 16} per compute unit, WGRAD_MIN_K in {256, ..., 4096}; --quick: two of them. */
static int wgrad_choices(const Bench *b, const ConvChoice *tiles, ConvChoice *out, int cap) {
    static const int groups[] = {1, 2, 4, 8, 16}, min_k[] = {256, 512, 1024, 2048, 4096};
    static const int quick[][2] = {{8, 256}, {1, 4096}};
    const DeviceInfo *info = device_info(b->device);
    int units = info->compute_units ? (int)info->compute_units : 1, count = 0;
    add_choice(out, &count, cap, tiles, info);
    for (int g = 0; g < (b->quick ? COUNT(quick) : COUNT(groups)); g++)
        for (int k = 0; k < (b->quick ? 1 : COUNT(min_k)); k++) {
            ConvChoice c = *tiles;
            c.p.wgrad_groups = (b->quick ? quick[g][0] : groups[g]) * units;
            c.p.wgrad_min_k = b->quick ? quick[g][1] : min_k[k];
            add_choice(out, &count, cap, &c, info);
        }
    if (!b->quick) bench_tune_shuffle(out + 1, count - 1, sizeof *out, b->seed + 1);
    return count;
}

/* Odd shapes through the three passes: stride 2 with odd sides (the gathered input gradient's
 * misses), a 1x1 stride-2 shortcut with more output channels than one 64-row block, and a
 * weight gradient 2415 deep (split at WGRAD_MIN_K up to 1024). */
static Status check_choice(Bench *b, const char *label) {
    static const Conv2dShape shapes[] = {{3, 5, 9, 7, 6, 3, 3, 2, 1}, {2, 7, 9, 9, 70, 1, 1, 2, 0}, {5, 3, 23, 21, 6, 3, 3, 1, 1}};
    Status st = BC_OK;
    for (int i = 0; st == BC_OK && i < COUNT(shapes); i++) st = bench_tune_check_conv(b, label, &shapes[i]);
    return st;
}

static Status time_set(Bench *b, ConvSet *t, const char *name, double *ms) {
    BenchRow row = {.section = "tune-conv", .rate_kind = RATE_FLOPS, .work = t->flops};
    snprintf(row.name, sizeof row.name, "%s", name);
    snprintf(row.shape, sizeof row.shape, "%s%s", t->label, t->passes == 1u << PASS_WEIGHTS ? " bwd-weights" : "");
    snprintf(row.impl, sizeof row.impl, "%s", conv2d_path_name(b->device, &t->layers[t->count - 1].shape, CONV2D_FORWARD));
    Status st = run_set(b->device, t); /* warm-up: kernel builds, first touches */
    if (st == BC_OK) st = bench_measure(b, row, run_set, t);
    if (st == BC_OK) *ms = b->rows[b->row_count - 1].median_ms;
    return st;
}

/* Checks and times the choices in turn; stops after `seconds` (0: never) once one has been
 * timed. *best gets the fastest. */
static Status search(Bench *b, ConvSet *t, const ConvChoice *list, int count, int limit, bool wgrad, double seconds,
                     ConvChoice *best) {
    double start = clock_seconds(), best_ms = INFINITY;
    Status st = BC_OK;
    if (limit > count) limit = count;
    for (int i = 0; st == BC_OK && i < limit; i++) {
        if (bench_tune_time_is_up(b, start, seconds, best_ms < INFINITY, limit - i, limit)) break;
        char name[96];
        choice_text(&list[i], wgrad, name, sizeof name);
        st = choice_apply(b->device, &list[i]);
        if (st == BC_OK) st = check_choice(b, name);
        if (bench_tune_skipped(b, name, &st)) continue;
        if (st != BC_OK || b->check_only) continue;
        double ms;
        st = time_set(b, t, name, &ms);
        if (st == BC_OK && ms < best_ms) best_ms = ms, *best = list[i];
    }
    return st;
}

/* Device milliseconds of each timed layer and pass under choice c, into ms[layer * PASSES + pass]. */
static Status time_each(Bench *b, ConvSet *t, const ConvChoice *c, double *ms) {
    Status st = choice_apply(b->device, c);
    for (int l = 0; st == BC_OK && l < t->count; l++)
        for (int p = 0; st == BC_OK && p < PASSES; p++) {
            if (!pass_timed(t, l, p)) continue;
            ConvCall call = {t, l, p};
            BenchTime time;
            st = run_one(b->device, &call);
            if (st == BC_OK) st = bench_time_device(b, run_one, &call, &time);
            if (st == BC_OK) ms[l * PASSES + p] = time.median_ms;
        }
    return st;
}

/* Before (the profile as loaded) and after (the winner), layer by layer; leaves `after` applied. */
static Status compare(Bench *b, ConvSet *t, const ConvChoice *before, const ConvChoice *after) {
    static double before_ms[MODEL_MAX_CONVS * PASSES], after_ms[MODEL_MAX_CONVS * PASSES];
    t->passes = 7u;
    Status st = time_each(b, t, before, before_ms);
    if (st == BC_OK) st = time_each(b, t, after, after_ms);
    if (st != BC_OK || !b->table) return st;
    bench_tune_comparison_header(b, "convolutions, device time of one call");
    for (int l = 0; l < t->count; l++)
        for (int p = 0; p < PASSES; p++) {
            if (!pass_timed(t, l, p)) continue;
            char name[96], shape[80];
            snprintf(name, sizeof name, "%.32s (x%d) %s", t->layers[l].name, t->layers[l].repeats, pass_names[p]);
            conv_shape_text(&t->layers[l].shape, shape, sizeof shape);
            bench_tune_comparison_line(b, name, shape, before_ms[l * PASSES + p], after_ms[l * PASSES + p]);
        }
    return BC_OK;
}

Status bench_tune_conv(Bench *b, bool wide, double seconds) {
    bench_section_header(b, "tune-conv", "the implicit-GEMM convolutions' sizes (CONV_IGEMM_*), all passes, then the "
                                    "weight gradient's split");
    static ConvChoice list[1024];
    ConvChoice loaded = {device_profile_get(b->device, "CONV_IGEMM"), conv2d_igemm_params(b->device)}, best = loaded;
    ConvSet t = {.passes = 7u};
    double start = clock_seconds(), tiles_seconds = seconds * 2 / 3;
    Status st = set_create(b, &t);
    int count = st == BC_OK ? tile_choices(b, &loaded, list, COUNT(list)) : 0;
    if (st == BC_OK) st = search(b, &t, list, count, wide || b->quick ? count : 48, false, tiles_seconds, &best);
    /* Stage two on stage one's winner (--check-only: on its first implicit-GEMM candidate). */
    ConvChoice tiles = best;
    for (int i = 0; b->check_only && !tiles.on && i < count; i++)
        if (list[i].on) tiles = list[i];
    if (st == BC_OK && tiles.on) {
        double left = seconds - (clock_seconds() - start);
        t.passes = 1u << PASS_WEIGHTS;
        t.flops = 0;
        for (int l = 0; l < t.count; l++) t.flops += pass_flops(&t.layers[l].shape) * t.layers[l].repeats;
        count = wgrad_choices(b, &tiles, list, COUNT(list));
        st = search(b, &t, list, count, count, true, seconds <= 0 ? 0 : fmax(left, 1e-9), &best);
    }
    if (st == BC_OK && b->check_only) st = choice_apply(b->device, &loaded);
    else if (st == BC_OK) {
        st = compare(b, &t, &loaded, &best);
        char text[96], wgrad[96];
        choice_text(&best, false, text, sizeof text);
        choice_text(&best, true, wgrad, sizeof wgrad);
        if (st == BC_OK && b->table)
            fprintf(b->table, "\nbest: CONV_IGEMM = %d; %s; %s\n", best.on, text, best.on ? wgrad : "");
    }
    set_release(&t);
    return st == BC_OK ? BC_OK : error_wrap(st, "tune convolutions: ");
}
