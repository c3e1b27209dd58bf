/* conv2d_direct.c — host side of cl/conv2d_direct.cl: the weights repacked with the output
 * channel innermost, the input copied with explicit zero padding, then one launch of the
 * direct kernel for the kernel size and row width.
 * Measured on PoCL (2-core AVX-512 VM, shared, quiet run; batch 256; ms per call, best of 5,
 * direct vs im2col + GEMM, byolcl-bench --filter conv/small): forward 16x28x28 3x3 6.7 vs
 * 18.6, 32x14x14 8.7 vs 11.8, 64x7x7 5.6 vs 8.4, stem 1x28x28 -> 16 1.3 vs 2.0; backward
 * data alike; width 32: 32x28x28 35 vs 45, 64x14x14 23 vs 25, 128x7x7 26 vs 23 (a tie
 * within this machine's noise, so no per-shape fallback). */
#include <stdio.h>

#include "ops/conv2d_direct.h"
#include "ops/conv2d_pad.h"
#include "ops/scratch.h"
#include "util/int_math.h"

/* The output-channel tile and the flat kernels' lanes of cl/conv2d_direct.cl. */
enum { DIRECT_TM = 16, DIRECT_FLAT_V = 16 };
/* Output rows up to this wide use the flat kernels. */
enum { DIRECT_FLAT_MAX_W = 8 };

/* Largest packed weight tile (c_in x taps x DIRECT_TM floats) the direct kernels take,
 * profile key CONV_DIRECT_MAX_TILE_KB (36 KB everywhere, profile_keys.def): a work-item streams the whole tile per output row, so it should stay in L1. Measured on
 * PoCL (ResNet-18 at 32x32, batch 8, ms, direct vs im2col + GEMM): 128x16x16 forward 4.3 vs
 * 4.0, 256x8x8 9.7 vs 6.4, 512x4x4 24.8 vs 6.4, and the whole step 3333 vs 2672 ms; the
 * small ResNet's layers (c_in <= 64) all favour the direct kernels. 1x1 convolutions have
 * no patch expansion to save: with them direct, a ResNet-50 step (32x32, batch 16) took
 * 3883 ms against 3477 with im2col + GEMM, so they stay there. */
/* The stride-2 channel-lane kernels stream 9 taps x 32 channels (forward) or 9 x 16
 * (input gradient) of weights per channel they sum over, from L2: up to 96 KB of them (the
 * small ResNet's 64- and 128-channel layers) they beat im2col + GEMM; ResNet-18's 128- and
 * 256-channel ones (147 and 295 KB) lost to it (--step --arch resnet18, batch 16: direct
 * convolution +140-160 ms for -20 to -160 ms elsewhere). */
enum { DIRECT_S2_MAX_WEIGHT_KB = 96 };

/* Weights one channel-lane work-item streams at stride 2 fit DIRECT_S2_MAX_WEIGHT_KB. */
static bool s2_weights_fit(int channels_summed, int lanes) {
    return (size_t)channels_summed * 9 * (size_t)lanes * sizeof(float) <= ((size_t)DIRECT_S2_MAX_WEIGHT_KB << 10);
}

/* A work-item's register tile: tm output channels x rows vectors (output rows for the row
 * kernels, consecutive spans of positions for the flat ones). */
typedef struct {
    int tm, rows;
} DirectTile;

/* 3x3 kernels take the blocked tiles when CONV_DIRECT_BLOCKED is on: 8 channels x 3 rows
 * (row kernels) or 6 channels x 4 vectors (flat kernels: a whole 7x7 plane). 16 x 1 tiles
 * use half of AVX-512's registers and issue a load per FMA, which the load ports cannot
 * keep up with; the blocked ones keep 24 accumulators and need 10-11 loads per 24 FMAs, and
 * the smaller weight tile lets 128x7x7 run direct. Measured on PoCL (2-core AVX-512 VM,
 * shared; small ResNet w32 step, best of 5 steps, three alternating runs): 1312 / 1457 /
 * 1410 ms blocked against 1529 / 1339 / 1601; w16 a tie (558 / 429 vs 571 / 431).
 * Other kernel sizes: 16 x 1. */
static DirectTile direct_tile(const Device *device, int k, bool flat) {
    if (k == 3 && device_profile_get(device, "CONV_DIRECT_BLOCKED"))
        return flat ? (DirectTile){6, 4} : (DirectTile){8, 3};
    return (DirectTile){DIRECT_TM, 1};
}

/* The channel-lane kernels' tiles (cl/conv2d_direct.cl conv2d_direct_cl_*): vectors of
 * `lanes` output channels x pixels of a row. */
typedef struct {
    int lanes, vectors, pixels;
} ChannelTile;

/* Channels per vector of the channel-lane kernels: CONV_LANES, 16 (AVX-512) or 8 (AVX2,
 * whose 16 registers cannot hold 14 accumulators of 16 floats). */
static int channel_lanes(const Device *device) { return device_profile_get(device, "CONV_LANES"); }
static bool choose_channel_tile(const Device *device, const Conv2dShape *s, double blocked_use,
                                ChannelTile *out);

/* CONV_DIRECT (CPU drivers): stride-1 square kernels run as a direct convolution instead of
 * im2col + GEMM, which on PoCL spends most of its time writing and re-reading the patch
 * matrix (9x the input for a 3x3 kernel) — as long as the weight tile stays small. Stride
 * 2 only on the channel-lane kernels. */
bool conv2d_direct_applies(const Device *device, const Conv2dShape *s) {
    if (!device_profile_get(device, "CONV_DIRECT")) return false;
    ChannelTile unused;
    if (s->stride != 1) return choose_channel_tile(device, s, 0.0, &unused);
    DirectTile tile = direct_tile(device, s->kernel_h, conv2d_out_w(s) <= DIRECT_FLAT_MAX_W);
    size_t tile_bytes = (size_t)s->c_in * (size_t)s->kernel_h * (size_t)s->kernel_w *
                        (size_t)tile.tm * sizeof(float);
    return s->kernel_h == s->kernel_w && s->kernel_h > 1 &&
           tile_bytes <= ((size_t)device_profile_get(device, "CONV_DIRECT_MAX_TILE_KB") << 10);
}

static void direct_kernel_name(char *name, size_t cap, int k, bool flat, int lanes, DirectTile tile) {
    bool literal = k == 3 || k == 5 || k == 7; /* 1x1 never comes here */
    if (flat && tile.rows > 1) snprintf(name, cap, "conv2d_direct_flat_k%d_m%d_r%d", k, tile.tm, tile.rows);
    else if (flat && literal) snprintf(name, cap, "conv2d_direct_flat_k%d", k);
    else if (flat) snprintf(name, cap, "conv2d_direct_flat_kn");
    else if (tile.rows > 1) snprintf(name, cap, "conv2d_direct_k%d_v%d_m%d_r%d", k, lanes, tile.tm, tile.rows);
    else if (literal) snprintf(name, cap, "conv2d_direct_k%d_v%d", k, lanes);
    else snprintf(name, cap, "conv2d_direct_kn_v%d", lanes);
}

/* Packs the weights (output channels innermost, tiles of tm) and copies the input, zero
 * padded in `layout`, into their scratch slots. */
static Status prepare_operands(Device *device, View in, View weight, const Conv2dShape *s, bool flip,
                               int tm, const PaddedPlanes *layout, Buffer **packed, Buffer **padded) {
    int taps = s->kernel_h * s->kernel_w;
    size_t packed_count = (size_t)s->c_in * taps * ceil_div(s->c_out, tm) * tm;
    size_t padded_count = (size_t)s->n * s->c_in * layout->plane_stride;
    Kernel *kernel;
    Status st = scratch_get(device, SCRATCH_DIRECT_PACKED, packed_count * sizeof(float), packed);
    if (st == BC_OK) st = scratch_get(device, SCRATCH_DIRECT_PADDED, padded_count * sizeof(float), padded);
    if (st == BC_OK) st = kernel_get(device, "conv2d_direct", "conv2d_direct_weights", &kernel);
    if (st == BC_OK)
        st = KERNEL_LAUNCH_1D(device, kernel, packed_count, ARG_VIEW_OF(*packed, 0), ARG_VIEW(weight),
                              ARG_I(s->c_in), ARG_I(s->c_out), ARG_I(taps), ARG_I(flip), ARG_I(tm));
    if (st == BC_OK) st = conv2d_pad_planes(device, *padded, in, s->n * s->c_in, s->h, s->w, layout);
    return st;
}

/* Channel lanes (CONV_DIRECT_CHANNEL_LANES, 3x3, stride 1 or 2): the tile whose lanes hold
 * the most real outputs, taken when that beats blocked_use (the blocked kernels' share; 0
 * for stride 2, which only the channel lanes take) and the layer has the input channels (16
 * or more) to pay for its transposing, value-by-value stores. */
static bool choose_channel_tile(const Device *device, const Conv2dShape *s, double blocked_use,
                                ChannelTile *out) {
    int w = channel_lanes(device);
    if (s->kernel_h != 3 || s->kernel_w != 3 || s->c_in < 16 || s->stride > 2 ||
        (s->stride == 2 && !s2_weights_fit(s->c_in, 2 * w)) ||
        !device_profile_get(device, "CONV_DIRECT_CHANNEL_LANES"))
        return false;
    /* Ties go to the first. */
    static const ChannelTile wide[] = {{16, 2, 7}, {16, 1, 14}}, narrow[] = {{8, 1, 14}, {8, 2, 7}};
    const ChannelTile *tiles = w == 8 ? narrow : wide;
    int out_w = conv2d_out_w(s);
    double best = blocked_use;
    bool found = false;
    for (size_t i = 0; i < sizeof wide / sizeof *wide; i++) { /* narrow has as many */
        int lanes = tiles[i].lanes * tiles[i].vectors;
        double use = (double)s->c_out / (ceil_div(s->c_out, lanes) * lanes) * out_w /
                     (ceil_div(out_w, tiles[i].pixels) * tiles[i].pixels);
        if (use > best + 1e-9) best = use, *out = tiles[i], found = true;
    }
    return found;
}

static Status direct_channel_lanes(Device *device, View out, View in, View weight, const Conv2dShape *s,
                                   bool flip, float beta, ChannelTile t) {
    int out_h = conv2d_out_h(s), out_w = conv2d_out_w(s), tm = t.lanes * t.vectors;
    int hp = s->h + 2 * s->pad, wp = s->w + 2 * s->pad;
    /* The last segment of a row may load up to pixels x stride floats past the row's end. */
    PaddedPlanes layout = {hp, wp, hp * wp + t.pixels * s->stride, s->pad, s->pad};
    Buffer *packed, *padded;
    Kernel *kernel;
    Status st = prepare_operands(device, in, weight, s, flip, tm, &layout, &packed, &padded);
    char name[48];
    snprintf(name, sizeof name, "conv2d_direct_cl_k3_s%d_w%d_c%d_p%d", s->stride, t.lanes, t.vectors, t.pixels);
    if (st == BC_OK) st = kernel_get(device, "conv2d_direct", name, &kernel);
    size_t items = (size_t)s->n * out_h * ceil_div(out_w, t.pixels) * ceil_div(s->c_out, tm);
    if (st == BC_OK && items > 0)
        st = KERNEL_LAUNCH_1D(device, kernel, items, ARG_VIEW(out), ARG_VIEW_OF(padded, 0),
                              ARG_VIEW_OF(packed, 0), ARG_I(s->n), ARG_I(s->c_in),
                              ARG_I(layout.plane_stride), ARG_I(wp), ARG_I(s->c_out), ARG_I(out_h),
                              ARG_I(out_w), ARG_I(beta != 0.0f));
    return st;
}

Status conv2d_direct_into(Device *device, View out, View in, View weight, const Conv2dShape *s,
                          bool flip, float beta) {
    ChannelTile channel_tile;
    if (s->stride != 1) {
        if (!choose_channel_tile(device, s, 0.0, &channel_tile))
            return error_set(BC_ERR_USAGE, "conv2d direct: stride %d needs the channel-lane kernels", s->stride);
        return direct_channel_lanes(device, out, in, weight, s, flip, beta, channel_tile);
    }
    int k = s->kernel_h, out_h = conv2d_out_h(s), out_w = conv2d_out_w(s);
    /* Rows of 16 lanes per work-item, or 8 where that wastes fewer (20 wide: 24 lanes, not
     * 32); rows of at most 8 use the flat kernels, whose 16 lanes run across row ends: at
     * 64x7x7 3x3 the row kernels on 8 lanes (half an AVX-512 register) took 14-15 ms forward
     * against 11-14 ms for im2col + GEMM, the flat ones 8.3 vs 8.0 (w16) and 19 vs 24
     * (w32, 128x7x7), best of 5 in alternating runs on a shared machine. */
    bool flat = out_w <= DIRECT_FLAT_MAX_W;
    DirectTile tile = direct_tile(device, k, flat);
    int tiles = ceil_div(s->c_out, tile.tm);
    int lanes = (out_w + 7) / 8 * 8 < (out_w + 15) / 16 * 16 ? 8 : 16;
    int segs = ceil_div(out_w, lanes), row_groups = ceil_div(out_h, tile.rows);
    /* Row kernels: zero rows below the image up to whole row groups keep the last group's
     * loads inside its plane. */
    int hp = flat ? s->h + 2 * s->pad : row_groups * tile.rows + k - 1;
    int wp = flat ? s->w + 2 * s->pad : segs * lanes + k - 1;
    /* The flat kernels' last vector loads reach rows x DIRECT_FLAT_V - 1 floats past the plane. */
    int span = tile.rows * DIRECT_FLAT_V;
    int plane_stride = hp * wp + (flat ? span - 1 : 0);
    size_t flat_segs = (size_t)ceil_div((out_h - 1) * wp + out_w, span);
    /* Share of the FMA lanes on real outputs (8-lane rows count half: the instructions of 16). */
    double channel_use = (double)s->c_out / (tiles * tile.tm);
    double blocked_use = flat ? channel_use * out_h * out_w / ((double)flat_segs * span)
                              : channel_use * out_w / (segs * lanes) * out_h / (row_groups * tile.rows) *
                                    lanes / DIRECT_FLAT_V;
    if (choose_channel_tile(device, s, blocked_use, &channel_tile))
        return direct_channel_lanes(device, out, in, weight, s, flip, beta, channel_tile);
    PaddedPlanes layout = {hp, wp, plane_stride, s->pad, s->pad};
    Buffer *packed, *padded;
    Kernel *kernel;
    Status st = prepare_operands(device, in, weight, s, flip, tile.tm, &layout, &packed, &padded);
    char name[48];
    direct_kernel_name(name, sizeof name, k, flat, lanes, tile);
    if (st == BC_OK) st = kernel_get(device, "conv2d_direct", name, &kernel);
    size_t items = (size_t)s->n * (size_t)tiles * (flat ? flat_segs : (size_t)row_groups * (size_t)segs);
    if (st == BC_OK && items > 0)
        st = KERNEL_LAUNCH_1D(device, kernel, items, ARG_VIEW(out), ARG_VIEW_OF(padded, 0),
                              ARG_VIEW_OF(packed, 0), ARG_I(s->n), ARG_I(s->c_in),
                              ARG_I(flat ? plane_stride : hp), ARG_I(wp), ARG_I(s->c_out), ARG_I(k),
                              ARG_I(out_h), ARG_I(out_w), ARG_I(beta != 0.0f));
    return st;
}

/* Stride-2 input gradients on channel lanes (cl/conv2d_direct.cl
 * conv2d_direct_cl_k3_s2_backward_w<CONV_LANES>): 3x3, pad 1, with enough output channels
 * (16+) to pay for the transposing stores. A work-item owns CONV_LANES input channels x
 * DIRECT_S2_GRAD_PIXELS (the kernel's DIRECT_T2_P) pixels of an input row. */
enum { DIRECT_S2_GRAD_PIXELS = 14 };

bool conv2d_direct_backward_s2_applies(const Device *device, const Conv2dShape *s) {
    return device_profile_get(device, "CONV_DIRECT") && device_profile_get(device, "CONV_DIRECT_CHANNEL_LANES") &&
           s->kernel_h == 3 && s->kernel_w == 3 && s->stride == 2 && s->pad == 1 && s->c_out >= 16 &&
           s2_weights_fit(s->c_out, channel_lanes(device));
}

Status conv2d_direct_backward_s2(Device *device, View d_in, View d_out, View weight, const Conv2dShape *s,
                                 bool accumulate) {
    int out_h = conv2d_out_h(s), out_w = conv2d_out_w(s);
    /* d_out with a zero row below and, right of each row, one zero column more than the
     * gradient values a work-item loads: where the taps of the last input row and of a row's
     * last segment land. The weights packed as for the flipped kernel: the shape whose input
     * is d_out. */
    int g_rows = out_h + 1, g_stride = out_w + DIRECT_S2_GRAD_PIXELS / 2 + 1;
    PaddedPlanes layout = {g_rows, g_stride, g_rows * g_stride, 0, 0};
    Conv2dShape grad = {s->n, s->c_out, out_h, out_w, s->c_in, 3, 3, 1, 0};
    Buffer *packed, *padded;
    Kernel *kernel;
    int lanes = channel_lanes(device);
    Status st = prepare_operands(device, d_out, weight, &grad, true, lanes, &layout, &packed, &padded);
    char name[48];
    snprintf(name, sizeof name, "conv2d_direct_cl_k3_s2_backward_w%d", lanes);
    if (st == BC_OK) st = kernel_get(device, "conv2d_direct", name, &kernel);
    size_t items = (size_t)s->n * s->h * ceil_div(s->w, DIRECT_S2_GRAD_PIXELS) * ceil_div(s->c_in, lanes);
    if (st == BC_OK && items > 0)
        st = KERNEL_LAUNCH_1D(device, kernel, items, ARG_VIEW(d_in), ARG_VIEW_OF(padded, 0),
                              ARG_VIEW_OF(packed, 0), ARG_I(s->n), ARG_I(s->c_in), ARG_I(s->h),
                              ARG_I(s->w), ARG_I(s->c_out), ARG_I(g_rows), ARG_I(g_stride),
                              ARG_I(accumulate));
    return st;
}
