/* encoder_export.c — `byolcl export`: a checkpoint's encoder (and optionally its heads) as
 * safetensors with torchvision's names and layouts, read on the host without a device. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/checkpoint.h"
#include "byolcl/export.h"
#include "util/safetensors.h"

/* byol_model_step runs the online network forward in training mode once per view, and the
 * target's statistics are copied from the online ones: two running-statistic updates per step. */
enum { BN_UPDATES_PER_STEP = 2 };

enum { META_MAX = 24, META_VALUE_MAX = 160 };

typedef struct {
    SafetensorsMeta items[META_MAX];
    char values[META_MAX][META_VALUE_MAX];
    int count;
} Metadata;

__attribute__((format(printf, 3, 4))) static void meta_add(Metadata *m, const char *key, const char *fmt, ...) {
    if (m->count == META_MAX) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->values[m->count], META_VALUE_MAX, fmt, ap);
    va_end(ap);
    m->items[m->count] = (SafetensorsMeta){key, m->values[m->count]};
    m->count++;
}

/* "0.286,0.353" for the encoder's channels. */
static void channel_list(const float *values, int channels, char *out, size_t cap) {
    size_t used = 0;
    for (int c = 0; c < channels && used < cap; c++)
        used += (size_t)snprintf(out + used, cap - used, "%s%.9g", c ? "," : "", (double)values[c]);
}

static void describe(const TrainConfig *config, const TrainProgress *progress, const Network *net,
                     const HeadConfig *projector, const HeadConfig *predictor, const ExportRequest *request,
                     Metadata *m) {
    const EncoderConfig *e = &config->encoder;
    char list[META_VALUE_MAX];
    meta_add(m, "format", "pt"); /* what Hugging Face loaders expect for PyTorch tensors */
    meta_add(m, "byolcl_version", "%s", BYOLCL_VERSION);
    meta_add(m, "method", "%s", method_kind_name((MethodKind)config->method.kind));
    meta_add(m, "part", "%s", request->target ? "target" : "online");
    meta_add(m, "architecture", "%s", arch_name(e->arch));
    meta_add(m, "width", "%d", e->width);
    meta_add(m, "stages", "%d", e->arch == ARCH_SMALL ? e->stages : 4);
    meta_add(m, "stem", "%s", e->small_stem ? "3x3" : "7x7+maxpool");
    meta_add(m, "input_size", "%d", e->image_size);
    meta_add(m, "input_channels", "%d", e->in_channels);
    channel_list(config->augment.mean, e->in_channels, list, sizeof list);
    meta_add(m, "mean", "%s", list);
    channel_list(config->augment.std, e->in_channels, list, sizeof list);
    meta_add(m, "std", "%s", list);
    meta_add(m, "input_scale", "1/255"); /* uint8 pixels -> [0, 1] before mean/std */
    meta_add(m, "bn_eps", "%g", (double)BN_EPS);
    meta_add(m, "feature_dim", "%d", network_output_dim(net, PART_ENCODER));
    meta_add(m, "steps_trained", "%lld", (long long)progress->steps_done);
    int features = network_output_dim(net, PART_ENCODER);
    if (projector) meta_add(m, "projector", "%d,%d,%d", features, projector->hidden, projector->out);
    if (projector && predictor)
        meta_add(m, "predictor", "%d,%d,%d", projector->out, predictor->hidden, predictor->out);
}

/* One tensor per arena entry (in arena order, which is torchvision's), a num_batches_tracked
 * after each BatchNorm's running_var. */
static Status collect_tensors(const Arena *table, const Network *net, const CheckpointNetwork *stored,
                              const int64_t *batches_tracked, SafetensorsTensor *out, int *count) {
    *count = 0;
    for (int i = 0; i < arena_entry_count(table); i++) {
        const ArenaEntry *e = arena_entry(table, i);
        SafetensorsTensor *t = &out[(*count)++];
        memset(t, 0, sizeof *t);
        Status st = export_tensor_name(e->name, t->name, sizeof t->name);
        if (st != BC_OK) return st;
        t->dtype = "F32";
        t->ndim = network_param_shape(net, i, t->shape);
        if (t->ndim == 0) return error_set(BC_ERR_FORMAT, "parameter '%s' has no known shape", e->name);
        t->data = (e->kind == PARAM_BN_STAT ? stored->state : stored->params) + e->offset;
        const char *suffix = strrchr(t->name, '.');
        if (e->kind == PARAM_BN_STAT && strcmp(suffix, ".running_var") == 0) {
            char bn[sizeof t->name - 24]; /* room for the suffix */
            snprintf(bn, sizeof bn, "%.*s", (int)(suffix - t->name), t->name);
            SafetensorsTensor *n = &out[(*count)++];
            memset(n, 0, sizeof *n);
            snprintf(n->name, sizeof n->name, "%s.num_batches_tracked", bn);
            n->dtype = "I64";
            n->ndim = 0; /* a scalar, as PyTorch stores it */
            n->data = batches_tracked;
        }
    }
    return BC_OK;
}

static Status export_from(const ExportRequest *r, const TrainConfig *config, const TrainProgress *progress,
                          const CheckpointNetwork *stored, ExportSummary *summary) {
    const HeadConfig *projector = r->with_heads ? &config->projector : NULL;
    /* SimCLR and the --no-predictor ablation have none; the target never has one. */
    const HeadConfig *predictor = r->with_heads && !r->target && config->method.predictor ? &config->predictor : NULL;
    Arena *table = NULL;
    Network *net = NULL;
    Status st = arena_create(&table);
    if (st == BC_OK) st = network_build(table, &config->encoder, projector, predictor, &net);
    if (st == BC_OK && (arena_floats(table, ARENA_PARAMS) > stored->param_floats ||
                        arena_floats(table, ARENA_STATE) > stored->state_floats))
        st = error_set(BC_ERR_FORMAT, "%s: the stored arrays are shorter than the network they describe", r->checkpoint);
    int entries = st == BC_OK ? arena_entry_count(table) : 0;
    SafetensorsTensor *tensors = calloc((size_t)entries * 2 + 1, sizeof *tensors);
    if (st == BC_OK && !tensors) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    const int64_t batches_tracked = progress->steps_done * BN_UPDATES_PER_STEP;
    int count = 0;
    if (st == BC_OK) st = collect_tensors(table, net, stored, &batches_tracked, tensors, &count);
    Metadata meta = {.count = 0};
    if (st == BC_OK) describe(config, progress, net, projector, predictor, r, &meta);
    if (st == BC_OK && (st = safetensors_write(r->out, tensors, count, meta.items, meta.count)))
        st = error_wrap(st, "--out %s: ", r->out);
    if (st == BC_OK) {
        summary->tensors = count;
        summary->parameters = arena_parameter_count(table, ARENA_PARAMS) + arena_parameter_count(table, ARENA_STATE);
        summary->steps_trained = (long long)progress->steps_done;
        network_describe(net, NULL, summary->architecture, sizeof summary->architecture);
    }
    free(tensors);
    network_destroy(net);
    arena_destroy(table);
    return st;
}

Status export_encoder(const ExportRequest *request, ExportSummary *summary) {
    memset(summary, 0, sizeof *summary);
    TrainConfig config;
    TrainProgress progress;
    char made_on[256];
    Status st = train_checkpoint_read_config(request->checkpoint, &config, &progress, made_on, sizeof made_on);
    if (st != BC_OK) return st;
    CheckpointNetwork stored;
    st = train_checkpoint_read_network(request->checkpoint, &config, request->target, &stored);
    if (st != BC_OK) return st;
    st = export_from(request, &config, &progress, &stored, summary);
    checkpoint_network_free(&stored);
    return st;
}
