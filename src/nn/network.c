/* network.c — building the architectures: a small ResNet for CPUs and tests, ResNet-18
 * and ResNet-50 (small-image or ImageNet stem), and the MLP heads, each layer registering
 * its parameters in the arena in a fixed order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn/network_internal.h"

const char *arch_name(ArchKind arch) {
    switch (arch) {
    case ARCH_SMALL: return "small";
    case ARCH_RESNET18: return "resnet18";
    case ARCH_RESNET50: return "resnet50";
    }
    return "unknown";
}

Status arch_parse(const char *text, ArchKind *out) {
    for (ArchKind a = ARCH_SMALL; a <= ARCH_RESNET50; a++)
        if (strcasecmp(text, arch_name(a)) == 0) {
            *out = a;
            return BC_OK;
        }
    return error_set(BC_ERR_USAGE, "--arch: '%s' is not one of small, resnet18, resnet50", text);
}

void encoder_config_defaults(EncoderConfig *config, ArchKind arch, int in_channels, int image_size) {
    memset(config, 0, sizeof *config);
    config->arch = arch;
    config->in_channels = in_channels;
    config->image_size = image_size;
    config->width = arch == ARCH_SMALL ? 16 : 64;
    /* small: the fourth stage (4x4 maps at 28 px) costs ~30% more per step and doubles the
     * features to 8w; it gained 0.9-1.7 points per column in equal time (docs/training.md#defaults). */
    config->stages = 4;
    config->small_stem = image_size <= SMALL_IMAGE_MAX_SIDE;
}

Status encoder_config_set_stages(EncoderConfig *config, int stages) {
    if (config->arch != ARCH_SMALL)
        return error_set(BC_ERR_USAGE, "--stages applies to --arch small only (ResNets have 4)");
    config->stages = stages;
    return BC_OK;
}

static int conv_out_size(int in, int kernel, int stride, int pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

static Status add_conv_bn(Arena *arena, const char *name, ConvBn *c, int c_in, int c_out,
                          int kernel, int stride, int in_size, bool relu) {
    c->c_in = c_in;
    c->c_out = c_out;
    c->kernel = kernel;
    c->stride = stride;
    c->pad = kernel / 2;
    c->in_size = in_size;
    c->out_size = conv_out_size(in_size, kernel, stride, c->pad);
    c->relu = relu;
    if (c->out_size < 1)
        return error_set(BC_ERR_USAGE, "%s: a %dx%d input is too small for this network", name,
                         in_size, in_size);
    char prefix[ARENA_NAME_MAX];
    snprintf(prefix, sizeof prefix, "%s.conv", name);
    Status st = arena_add_conv2d(arena, prefix, c_out, c_in, kernel, kernel, &c->weight);
    if (st != BC_OK) return st;
    snprintf(prefix, sizeof prefix, "%s.bn", name);
    return arena_add_batchnorm(arena, prefix, c_out, &c->bn);
}

/* Basic block (2 x 3x3) or bottleneck (1x1, 3x3 with the stride, 1x1 to 4x). */
static Status add_block(Arena *arena, const char *name, Block *b, bool bottleneck, int c_in,
                        int width, int stride, int in_size) {
    char part[ARENA_NAME_MAX];
    Status st;
    int c_out;
    if (bottleneck) {
        c_out = 4 * width;
        b->conv_count = 3;
        snprintf(part, sizeof part, "%s.1", name);
        if ((st = add_conv_bn(arena, part, &b->convs[0], c_in, width, 1, 1, in_size, true))) return st;
        snprintf(part, sizeof part, "%s.2", name);
        if ((st = add_conv_bn(arena, part, &b->convs[1], width, width, 3, stride, in_size, true))) return st;
        snprintf(part, sizeof part, "%s.3", name);
        st = add_conv_bn(arena, part, &b->convs[2], width, c_out, 1, 1, b->convs[1].out_size, false);
    } else {
        c_out = width;
        b->conv_count = 2;
        snprintf(part, sizeof part, "%s.1", name);
        if ((st = add_conv_bn(arena, part, &b->convs[0], c_in, width, 3, stride, in_size, true))) return st;
        snprintf(part, sizeof part, "%s.2", name);
        st = add_conv_bn(arena, part, &b->convs[1], width, width, 3, 1, b->convs[0].out_size, false);
    }
    if (st != BC_OK) return st;
    b->projection = stride != 1 || c_in != c_out;
    if (!b->projection) return BC_OK;
    snprintf(part, sizeof part, "%s.shortcut", name);
    return add_conv_bn(arena, part, &b->shortcut, c_in, c_out, 1, stride, in_size, false);
}

static Status add_head(Arena *arena, const char *name, Head *h, int in, const HeadConfig *config) {
    h->in = in;
    h->hidden = config->hidden;
    h->out = config->out;
    if (config->hidden < 1 || config->out < 1)
        return error_set(BC_ERR_USAGE, "%s: hidden and output sizes must be positive (got %d, %d)",
                         name, config->hidden, config->out);
    char prefix[ARENA_NAME_MAX];
    snprintf(prefix, sizeof prefix, "%s.fc1", name);
    Status st = arena_add_linear(arena, prefix, h->hidden, in, &h->weight1, &h->bias1);
    if (st != BC_OK) return st;
    snprintf(prefix, sizeof prefix, "%s.bn", name);
    if ((st = arena_add_batchnorm(arena, prefix, h->hidden, &h->bn))) return st;
    snprintf(prefix, sizeof prefix, "%s.fc2", name);
    return arena_add_linear(arena, prefix, h->out, h->hidden, &h->weight2, &h->bias2);
}

static Status build_encoder(Arena *arena, Network *n) {
    const EncoderConfig *c = &n->config;
    if (c->in_channels < 1 || c->image_size < 1 || c->width < 1)
        return error_set(BC_ERR_USAGE, "encoder: channels, image size and width must be positive");
    Status st;
    if (c->small_stem) {
        st = add_conv_bn(arena, "encoder.stem", &n->stem, c->in_channels, c->width, 3, 1, c->image_size, true);
    } else {
        st = add_conv_bn(arena, "encoder.stem", &n->stem, c->in_channels, c->width, 7, 2, c->image_size, true);
    }
    if (st != BC_OK) return st;
    int size = n->stem.out_size, channels = c->width;
    n->maxpool = !c->small_stem;
    if (n->maxpool) {
        n->pool_out_size = maxpool_out_size(size);
        size = n->pool_out_size;
    }
    static const int resnet18_blocks[4] = {2, 2, 2, 2}, resnet50_blocks[4] = {3, 4, 6, 3};
    int stages = c->arch == ARCH_SMALL ? c->stages : 4;
    if (stages < 1 || stages > 6) return error_set(BC_ERR_USAGE, "encoder: %d stages (1 to 6 supported)", stages);
    const int *per_stage = c->arch == ARCH_RESNET50 ? resnet50_blocks : resnet18_blocks;
    bool bottleneck = c->arch == ARCH_RESNET50;
    n->block_count = 0;
    for (int s = 0; s < stages; s++) n->block_count += c->arch == ARCH_SMALL ? 1 : per_stage[s];
    n->blocks = calloc((size_t)n->block_count, sizeof *n->blocks);
    if (!n->blocks) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    int index = 0;
    for (int s = 0; s < stages; s++) {
        int blocks = c->arch == ARCH_SMALL ? 1 : per_stage[s];
        int width = c->width << s;
        for (int b = 0; b < blocks; b++) {
            char name[ARENA_NAME_MAX - 16]; /* room for the ".shortcut.conv" suffixes */
            snprintf(name, sizeof name, "encoder.stage%d.block%d", s + 1, b);
            int stride = s > 0 && b == 0 ? 2 : 1;
            Block *blk = &n->blocks[index++];
            st = add_block(arena, name, blk, bottleneck, channels, width, stride, size);
            if (st != BC_OK) return st;
            channels = blk->convs[blk->conv_count - 1].c_out;
            size = blk->convs[blk->conv_count - 1].out_size;
        }
    }
    n->final_channels = channels;
    n->final_size = size;
    return BC_OK;
}

Status network_build(Arena *arena, const EncoderConfig *encoder, const HeadConfig *projector,
                     const HeadConfig *predictor, Network **out) {
    *out = NULL;
    if (predictor && !projector)
        return error_set(BC_ERR_USAGE, "a predictor needs a projector in front of it");
    Network *n = calloc(1, sizeof *n);
    if (!n) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    n->config = *encoder;
    Status st = build_encoder(arena, n);
    if (st == BC_OK && projector) {
        st = add_head(arena, "projector", &n->heads[0], n->final_channels, projector);
        n->head_count = 1;
    }
    if (st == BC_OK && predictor) {
        st = add_head(arena, "predictor", &n->heads[1], n->heads[0].out, predictor);
        n->head_count = 2;
    }
    if (st != BC_OK) {
        network_destroy(n);
        return st;
    }
    *out = n;
    return BC_OK;
}

void network_destroy(Network *network) {
    if (!network) return;
    free(network->blocks);
    free(network);
}

const EncoderConfig *network_encoder_config(const Network *network) { return &network->config; }

NetworkPart network_last_part(const Network *network) { return (NetworkPart)network->head_count; }

int network_output_dim(const Network *network, NetworkPart part) {
    if (part == PART_ENCODER || (int)part > network->head_count) return network->final_channels;
    return network->heads[part - 1].out;
}

void network_describe(const Network *network, const Arena *arena, char *out, size_t cap) {
    const EncoderConfig *c = &network->config;
    int used = snprintf(out, cap, "%s (width %d, %s stem, %d blocks): %dx%dx%d -> %d features",
                        arch_name(c->arch), c->width, c->small_stem ? "3x3" : "7x7+maxpool",
                        network->block_count, c->image_size, c->image_size, c->in_channels,
                        network->final_channels);
    const char *names[2] = {"projector", "predictor"};
    for (int h = 0; h < network->head_count && used > 0 && (size_t)used < cap; h++)
        used += snprintf(out + used, cap - (size_t)used, "; %s %d-%d-%d", names[h],
                         network->heads[h].in, network->heads[h].hidden, network->heads[h].out);
    if (arena && used > 0 && (size_t)used < cap)
        snprintf(out + used, cap - (size_t)used, "; %.2fM parameters",
                 (double)arena_parameter_count(arena, ARENA_PARAMS) / 1e6);
}
