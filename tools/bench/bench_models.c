/* bench_models.c — walks the encoders as src/nn builds them (stem, stages of basic or
 * bottleneck blocks, 1x1 projection shortcuts where the shape changes) and lists their
 * convolutions, so the bench times the shapes training runs. */
#include <stdio.h>
#include <string.h>

#include "bench_models.h"

typedef struct {
    const ModelSpec *model;
    ConvLayer *out;
    int cap, count;
    Arena *arena; /* when adding parameters */
    Status status;
} Walk;

static int out_size(int in, int kernel, int stride) { return (in + 2 * (kernel / 2) - kernel) / stride + 1; }

static bool same_shape(const Conv2dShape *a, const Conv2dShape *b) { return memcmp(a, b, sizeof *a) == 0; }

/* Visits one conv (+ its batch norm); returns its output size. */
static int visit(Walk *w, const char *name, int c_in, int c_out, int kernel, int stride, int size) {
    Conv2dShape s = {w->model->batch, c_in, size, size, c_out, kernel, kernel, stride, kernel / 2};
    if (w->arena && w->status == BC_OK) {
        char prefix[ARENA_NAME_MAX];
        snprintf(prefix, sizeof prefix, "%s.conv", name);
        w->status = arena_add_conv2d(w->arena, prefix, c_out, c_in, kernel, kernel, NULL);
        snprintf(prefix, sizeof prefix, "%s.bn", name);
        if (w->status == BC_OK) w->status = arena_add_batchnorm(w->arena, prefix, c_out, NULL);
    }
    if (w->out) {
        for (int i = 0; i < w->count; i++)
            if (same_shape(&w->out[i].shape, &s)) {
                w->out[i].repeats++;
                return out_size(size, kernel, stride);
            }
        if (w->count < w->cap) {
            ConvLayer *l = &w->out[w->count++];
            snprintf(l->name, sizeof l->name, "%s", name);
            l->shape = s;
            l->repeats = 1;
        }
    }
    return out_size(size, kernel, stride);
}

/* Returns the encoder's output channels. */
static int walk_encoder(Walk *w) {
    const ModelSpec *m = w->model;
    bool small_stem = m->image_size <= 64;
    int size = visit(w, "stem", m->in_channels, m->width, small_stem ? 3 : 7, small_stem ? 1 : 2,
                     m->image_size);
    if (!small_stem) size = maxpool_out_size(size);
    static const int r18[4] = {2, 2, 2, 2}, r50[4] = {3, 4, 6, 3};
    int stages = m->arch == MODEL_SMALL ? 3 : 4, channels = m->width;
    bool bottleneck = m->arch == MODEL_RESNET50;
    for (int s = 0; s < stages; s++) {
        int blocks = m->arch == MODEL_SMALL ? 1 : m->arch == MODEL_RESNET18 ? r18[s] : r50[s];
        int width = m->width << s;
        for (int bi = 0; bi < blocks; bi++) {
            int stride = s > 0 && bi == 0 ? 2 : 1, c_out = bottleneck ? 4 * width : width;
            char name[40];
            int o;
            if (bottleneck) {
                snprintf(name, sizeof name, "s%d.b%d.conv1", s + 1, bi);
                visit(w, name, channels, width, 1, 1, size);
                snprintf(name, sizeof name, "s%d.b%d.conv2", s + 1, bi);
                o = visit(w, name, width, width, 3, stride, size);
                snprintf(name, sizeof name, "s%d.b%d.conv3", s + 1, bi);
                visit(w, name, width, c_out, 1, 1, o);
            } else {
                snprintf(name, sizeof name, "s%d.b%d.conv1", s + 1, bi);
                o = visit(w, name, channels, width, 3, stride, size);
                snprintf(name, sizeof name, "s%d.b%d.conv2", s + 1, bi);
                visit(w, name, width, width, 3, 1, o);
            }
            if (stride != 1 || channels != c_out) {
                snprintf(name, sizeof name, "s%d.b%d.shortcut", s + 1, bi);
                visit(w, name, channels, c_out, 1, stride, size);
            }
            channels = c_out;
            size = o;
        }
    }
    return channels;
}

int model_conv_layers(const ModelSpec *model, ConvLayer *out, int cap) {
    Walk w = {.model = model, .out = out, .cap = cap};
    walk_encoder(&w);
    return w.count;
}

void conv_shape_text(const Conv2dShape *s, char *out, size_t cap) {
    snprintf(out, cap, "n%d %dx%dx%d -> %d %dx%d/%d", s->n, s->c_in, s->h, s->w, s->c_out,
             s->kernel_h, s->kernel_w, s->stride);
}

static Status add_head(Arena *arena, const char *name, int in, int hidden, int out) {
    char prefix[ARENA_NAME_MAX];
    int weight, bias; /* passing &bias asks for a bias, as the heads have */
    snprintf(prefix, sizeof prefix, "%s.fc1", name);
    Status st = arena_add_linear(arena, prefix, hidden, in, &weight, &bias);
    snprintf(prefix, sizeof prefix, "%s.bn", name);
    if (st == BC_OK) st = arena_add_batchnorm(arena, prefix, hidden, NULL);
    snprintf(prefix, sizeof prefix, "%s.fc2", name);
    if (st == BC_OK) st = arena_add_linear(arena, prefix, out, hidden, &weight, &bias);
    return st;
}

Status model_add_parameters(const ModelSpec *model, Arena *arena, bool with_predictor) {
    Walk w = {.model = model, .arena = arena};
    int features = walk_encoder(&w);
    if (w.status != BC_OK) return w.status;
    Status st = add_head(arena, "projector", features, model->head_hidden, model->head_out);
    if (st == BC_OK && with_predictor) st = add_head(arena, "predictor", model->head_out, model->head_hidden, model->head_out);
    return st;
}
