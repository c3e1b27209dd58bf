/* bench_models.h — the layer shapes byolcl's encoders really use (the small ResNet,
 * ResNet-18, ResNet-50, built the way src/nn builds them), for the GEMM, conv, layer and
 * optimizer sections. */
#ifndef BYOLCL_BENCH_MODELS_H
#define BYOLCL_BENCH_MODELS_H

#include "byolcl/arena.h"
#include "byolcl/ops.h"

typedef enum { MODEL_SMALL = 0, MODEL_RESNET18, MODEL_RESNET50 } ModelArch;

typedef struct {
    const char *label; /* "small-w16" */
    ModelArch arch;
    int in_channels, image_size, width, batch;
    int head_hidden, head_out; /* projector and predictor: Linear -> BN -> ReLU -> Linear */
} ModelSpec;

enum { MODEL_MAX_CONVS = 64 };

/* One distinct convolution of a network and how often the network has it. */
typedef struct {
    char name[40];
    Conv2dShape shape;
    int repeats;
} ConvLayer;

/* Distinct conv shapes in network order; returns their number. */
int model_conv_layers(const ModelSpec *model, ConvLayer *out, int cap);
/* "n256 16x28x28 -> 16 3x3/1" */
void conv_shape_text(const Conv2dShape *s, char *out, size_t cap);

/* The parameters of BYOL's online network (encoder | projector | predictor) or, without the
 * predictor, of its target, added to `arena`: every conv with its batch norm, then the heads. */
Status model_add_parameters(const ModelSpec *model, Arena *arena, bool with_predictor);

#endif
