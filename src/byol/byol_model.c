/* byol_model.c — the BYOL training step on the device. */
#include <string.h>

#include "byol/byol_model.h"
#include "byol/simclr.h"
#include "byolcl/ema.h"
#include "byolcl/init.h"
#include "byolcl/ops.h"

static Status create_arena_network(Device *device, const EncoderConfig *encoder,
                                   const HeadConfig *projector, const HeadConfig *predictor,
                                   ArenaUse use, Arena **arena, Network **net) {
    Status st = arena_create(arena);
    if (st == BC_OK) st = network_build(*arena, encoder, projector, predictor, net);
    if (st == BC_OK) st = arena_allocate(*arena, device, use);
    return st;
}

Status byol_model_create_online(Device *device, const EncoderConfig *encoder, const HeadConfig *projector,
                                const HeadConfig *predictor, int batch, uint64_t seed, ByolModel *m) {
    memset(m, 0, sizeof *m);
    m->device = device;
    m->batch = batch;
    m->out_dim = projector->out;
    if (predictor && predictor->out != projector->out)
        return error_set(BC_ERR_USAGE, "the predictor must output the projector's size (%d, got %d)",
                         projector->out, predictor->out);
    Status st = create_arena_network(device, encoder, projector, predictor, ARENA_TRAINED, &m->online,
                                     &m->online_net);
    if (st == BC_OK) st = arena_init_params(m->online, seed);
    if (st == BC_OK)
        st = activations_create(device, m->online_net, batch, network_last_part(m->online_net), true,
                                &m->online_acts);
    size_t view_floats = (size_t)batch * (size_t)encoder->in_channels * (size_t)encoder->image_size *
                         (size_t)encoder->image_size;
    for (int v = 0; v < 2 && st == BC_OK; v++) st = buffer_create(device, view_floats * sizeof(float), &m->views[v]);
    if (st == BC_OK) st = buffer_create(device, MODEL_READOUT_FLOATS * sizeof(float), &m->loss);
    if (st == BC_OK) st = buffer_fill_zero(device, m->loss, 0, MODEL_READOUT_FLOATS * sizeof(float));
    if (st != BC_OK) byol_model_destroy(m);
    return st;
}

Status byol_model_create(Device *device, const EncoderConfig *encoder, const HeadConfig *projector,
                         const HeadConfig *predictor, int batch, uint64_t seed, ByolModel *m) {
    Status st = byol_model_create_online(device, encoder, projector, predictor, batch, seed, m);
    if (st != BC_OK) return st;
    st = create_arena_network(device, encoder, projector, NULL, ARENA_FROZEN, &m->target, &m->target_net);
    if (st == BC_OK && !arena_is_prefix_of(m->target, m->online))
        st = error_set(BC_ERR_USAGE, "internal: the target arena is not a prefix of the online one");
    if (st == BC_OK) st = target_copy_from_online(m->target, m->online);
    if (st == BC_OK)
        st = activations_create(device, m->target_net, batch, PART_PROJECTOR, false, &m->target_acts);
    size_t out_floats = (size_t)batch * (size_t)m->out_dim;
    for (int v = 0; v < 2 && st == BC_OK; v++)
        st = buffer_create(device, out_floats * sizeof(float), &m->targets[v]);
    if (st == BC_OK) st = buffer_create(device, out_floats * sizeof(float), &m->d_prediction);
    if (st != BC_OK) byol_model_destroy(m);
    return st;
}

void byol_model_destroy(ByolModel *m) {
    activations_destroy(m->online_acts);
    activations_destroy(m->target_acts);
    network_destroy(m->online_net);
    network_destroy(m->target_net);
    arena_destroy(m->online);
    arena_destroy(m->target);
    for (int v = 0; v < 2; v++) {
        buffer_release(m->views[v]);
        buffer_release(m->targets[v]);
    }
    buffer_release(m->d_prediction);
    buffer_release(m->loss);
    simclr_state_destroy(m->simclr);
    memset(m, 0, sizeof *m);
}

Status byol_model_step(ByolModel *m, const OptimizerConfig *optimizer, double learning_rate,
                       double tau) {
    if (m->simclr) return simclr_model_step(m, optimizer, learning_rate);
    Device *d = m->device;
    NetworkPart head = network_last_part(m->online_net); /* the predictor, or the projector without one */
    size_t out_bytes = (size_t)m->batch * (size_t)m->out_dim * sizeof(float);
    /* Target projections of both views first: z'_v = g_target(f_target(view v)). */
    for (int v = 0; v < 2; v++) {
        View z;
        Status st = network_forward(d, m->target_net, m->target, m->target_acts, view_of(m->views[v]),
                                    m->batch, PART_PROJECTOR, BN_TRAIN, &z);
        if (st == BC_OK)
            st = buffer_copy(d, z.buffer, z.offset * sizeof(float), m->targets[v], 0, out_bytes);
        if (st != BC_OK) return st;
    }
    Status st = arena_zero_grad(m->online);
    /* Symmetric loss: view v's prediction against the target projection of the other view.
     * The terms share no activations, so each view's forward is followed by its backward. */
    for (int v = 0; v < 2 && st == BC_OK; v++) {
        View p;
        View other_target = view_of(m->targets[1 - v]);
        st = network_forward(d, m->online_net, m->online, m->online_acts, view_of(m->views[v]), m->batch,
                             head, BN_TRAIN, &p);
        if (st == BC_OK)
            st = collapse_monitor_forward(d, (View){m->loss, MODEL_READOUT_COLLAPSE + (size_t)v},
                                          activations_head_output(m->online_acts, PART_PROJECTOR), m->batch,
                                          m->out_dim);
        if (st == BC_OK)
            st = byol_loss_forward(d, (View){m->loss, (size_t)v}, p, other_target, m->batch, m->out_dim);
        if (st == BC_OK)
            st = byol_loss_backward(d, view_of(m->d_prediction), p, other_target, m->batch, m->out_dim, 1.0f);
        if (st == BC_OK)
            st = network_backward(d, m->online_net, m->online, m->online_acts, view_of(m->d_prediction),
                                  m->batch, head, VIEW_NONE);
    }
    if (st == BC_OK && m->sync_gradients) st = m->sync_gradients(m->sync_context, m->online);
    if (st == BC_OK) st = optimizer_step(m->online, optimizer, (float)learning_rate);
    if (st == BC_OK) st = target_update(m->target, m->online, tau);
    return st;
}

Status byol_model_read_step(ByolModel *m, double *loss, double *collapse) {
    float values[MODEL_READOUT_FLOATS];
    Status st = buffer_read(m->device, m->loss, 0, sizeof values, values);
    if (st != BC_OK) return st;
    *loss = (double)values[0] + (double)values[1];
    *collapse = 0.5 * ((double)values[MODEL_READOUT_COLLAPSE] + (double)values[MODEL_READOUT_COLLAPSE + 1]);
    return BC_OK;
}

Status byol_model_read_loss(ByolModel *m, double *loss) {
    double collapse;
    return byol_model_read_step(m, loss, &collapse);
}
