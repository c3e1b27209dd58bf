/* nn.h — the networks BYOL trains: ResNet encoders (a small one for CPUs and tests,
 * ResNet-18, ResNet-50) and MLP heads (projector, predictor), assembled from the ops in
 * ops.h over a parameter arena. A Network records the architecture and which arena entries
 * hold its parameters; Activations hold what one forward pass saves for its backward pass.
 * Because entries depend only on the order they are added, the same Network drives the
 * online arena (encoder | projector | predictor) and the target arena (encoder | projector). */
#ifndef BYOLCL_NN_H
#define BYOLCL_NN_H

#include <stdbool.h>

#include "byolcl/arena.h"
#include "byolcl/ops.h"

typedef enum { ARCH_SMALL = 0, ARCH_RESNET18, ARCH_RESNET50 } ArchKind;

const char *arch_name(ArchKind arch);
/* "small", "resnet18", "resnet50" -> ArchKind; BC_ERR_USAGE naming --arch otherwise. */
Status arch_parse(const char *text, ArchKind *out);

typedef struct {
    ArchKind arch;
    int in_channels; /* 1 for grayscale, 3 for RGB */
    int image_size;  /* input height = width */
    int width;       /* small: base width w (stages w, 2w, 4w, ...); ResNets: 64 */
    int stages;      /* small only: number of stages (default 4) */
    int small_stem;  /* 1: 3x3 stride 1, no max pool (images <= 64 px); 0: 7x7/2 + max pool */
} EncoderConfig;

/* Fills the defaults: small stem for images <= 64 px, width 64 for ResNets, 16 for small. */
void encoder_config_defaults(EncoderConfig *config, ArchKind arch, int in_channels, int image_size);
/* --stages: the small ResNet's stage count; BC_ERR_USAGE for the ResNets (they have 4). */
Status encoder_config_set_stages(EncoderConfig *config, int stages);

/* Every BatchNorm of the networks divides by sqrt(var + BN_EPS) (exports record it). */
#define BN_EPS 1e-5f

typedef struct {
    int hidden, out; /* Linear(in -> hidden) -> BN -> ReLU -> Linear(hidden -> out) */
} HeadConfig;

typedef enum { PART_ENCODER = 0, PART_PROJECTOR = 1, PART_PREDICTOR = 2 } NetworkPart;
typedef enum { BN_TRAIN = 0, BN_EVAL = 1 } BnMode;

typedef struct Network Network;

/* Adds the encoder's, then the projector's (when given), then the predictor's (when given)
 * parameters to `arena`, which must not be allocated yet. */
Status network_build(Arena *arena, const EncoderConfig *encoder, const HeadConfig *projector,
                     const HeadConfig *predictor, Network **out);
void network_destroy(Network *network);
const EncoderConfig *network_encoder_config(const Network *network);
/* The last part this network has (PART_ENCODER when it has no heads). */
NetworkPart network_last_part(const Network *network);
/* Width of the output of `part`: the representation size for PART_ENCODER. */
int network_output_dim(const Network *network, NetworkPart part);
/* The shape of arena entry `entry` in PyTorch's layout (conv (out, in, kh, kw), linear
 * (out, in), bias and BatchNorm (channels)): returns the number of dimensions, 0 when the
 * entry is not one of this network's. */
int network_param_shape(const Network *network, int entry, int64_t shape[4]);
/* A one-line description ("small w16: 3 stages, 28x28x1 -> 64 features; ...") */
void network_describe(const Network *network, const Arena *arena, char *out, size_t cap);

typedef struct Activations Activations;
/* Memory for batches of up to `max_batch` images through parts up to `upto`;
 * `for_backward` adds the gradient buffers. */
Status activations_create(Device *device, const Network *network, int max_batch,
                          NetworkPart upto, bool for_backward, Activations **out);
void activations_destroy(Activations *activations);
/* Total bytes of device memory the activations hold (for out-of-memory messages). */
size_t activations_bytes(const Activations *activations);
/* Training-mode batch norm through these activations uses the statistics of every
 * replica's batch (ops.h: CrossReplicaSum, borrowed); NULL (the default): this batch's. */
void activations_set_cross_replica(Activations *activations, const CrossReplicaSum *replicas);
/* What the last forward pass left as the output of a head (PART_PROJECTOR or
 * PART_PREDICTOR, batch rows): the collapse monitor reads the projections of a forward
 * that went on to the predictor. A View whose buffer is NULL for a part not made. */
View activations_head_output(const Activations *activations, NetworkPart part);

/* Runs `input` (batch, in_channels, image_size, image_size) through the parts up to and
 * including `upto` with the parameters in `arena`. BN_TRAIN uses batch statistics and
 * updates the running statistics in the arena's STATE; BN_EVAL uses them (any batch size,
 * 1 included). *output receives a view of the result inside `activations`. */
Status network_forward(Device *device, const Network *network, Arena *arena,
                       Activations *activations, View input, int batch, NetworkPart upto,
                       BnMode mode, View *output);
/* Backward from d_output (the gradient of the `upto` output, batch rows) through the last
 * forward pass (which must have used BN_TRAIN and the same `upto`). Parameter gradients
 * accumulate into the arena's GRADS; d_input, when its buffer is not NULL, receives the
 * gradient of the input (tests use it). */
Status network_backward(Device *device, const Network *network, Arena *arena,
                        Activations *activations, View d_output, int batch, NetworkPart upto,
                        View d_input);

#endif
