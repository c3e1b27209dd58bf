/* eval_encoder.c — the encoder `byolcl eval` measures: a checkpoint's online encoder in a
 * frozen encoder-only arena, or the same architecture initialized from the run's seed. */
#include <string.h>

#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "byolcl/init.h"

/* Builds the encoder-only network and its frozen arena from config->encoder. */
static Status build_frozen(Device *device, EvalEncoder *out) {
    Status st = arena_create(&out->arena);
    if (st == BC_OK) st = network_build(out->arena, &out->config.encoder, NULL, NULL, &out->network);
    if (st == BC_OK) st = arena_allocate(out->arena, device, ARENA_FROZEN);
    return st;
}

Status eval_encoder_load(Device *device, const char *checkpoint_path, EvalEncoder *out) {
    memset(out, 0, sizeof *out);
    TrainProgress progress;
    char made_on[256];
    Status st = train_checkpoint_read_config(checkpoint_path, &out->config, &progress, made_on, sizeof made_on);
    if (st == BC_OK && (out->config.encoder.in_channels < 1 || out->config.encoder.image_size < 1))
        st = error_set(BC_ERR_FORMAT, "%s: the configuration holds no valid encoder (channels %d, image size %d)",
                       checkpoint_path, out->config.encoder.in_channels, out->config.encoder.image_size);
    if (st == BC_OK) st = build_frozen(device, out);
    if (st == BC_OK) st = train_checkpoint_load_encoder(checkpoint_path, &out->config, out->arena);
    if (st != BC_OK) eval_encoder_destroy(out);
    return st;
}

Status eval_encoder_random(Device *device, const TrainConfig *config, EvalEncoder *out) {
    memset(out, 0, sizeof *out);
    out->config = *config;
    Status st = build_frozen(device, out);
    /* Initialization depends only on (seed, entry name): these are the trained encoder's
     * starting weights. */
    if (st == BC_OK) st = arena_init_params(out->arena, config->seed);
    if (st != BC_OK) eval_encoder_destroy(out);
    return st;
}

void eval_encoder_destroy(EvalEncoder *encoder) {
    network_destroy(encoder->network);
    arena_destroy(encoder->arena);
    encoder->network = NULL;
    encoder->arena = NULL;
}
