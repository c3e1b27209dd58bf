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
                                const HeadConfig *predictor, int batch, BnViews bn_views, uint64_t seed,
                                ByolModel *m) {
    memset(m, 0, sizeof *m);
    m->device = device;
    m->batch = batch;
    m->out_dim = projector->out;
    m->bn_views = bn_views;
    if (bn_views != BN_VIEWS_SEPARATE && bn_views != BN_VIEWS_CONCAT)
        return error_set(BC_ERR_USAGE, "internal: bn_views %d is not separate or concat", (int)bn_views);
    if (predictor && predictor->out != projector->out)
        return error_set(BC_ERR_USAGE, "the predictor must output the projector's size (%d, got %d)",
                         projector->out, predictor->out);
    Status st = create_arena_network(device, encoder, projector, predictor, ARENA_TRAINED, &m->online,
                                     &m->online_net);
    if (st == BC_OK) st = arena_init_params(m->online, seed);
    if (st == BC_OK)
        st = activations_create(device, m->online_net, byol_model_pass_rows(m), network_last_part(m->online_net),
                                true, &m->online_acts);
    size_t pair_floats = 2 * (size_t)batch * (size_t)encoder->in_channels * (size_t)encoder->image_size *
                         (size_t)encoder->image_size;
    if (st == BC_OK) st = buffer_create(device, pair_floats * sizeof(float), &m->view_pair);
    if (st == BC_OK) st = buffer_create(device, MODEL_READOUT_FLOATS * sizeof(float), &m->loss);
    if (st == BC_OK) st = buffer_fill_zero(device, m->loss, 0, MODEL_READOUT_FLOATS * sizeof(float));
    if (st != BC_OK) byol_model_destroy(m);
    return st;
}

Status byol_model_create(Device *device, const EncoderConfig *encoder, const HeadConfig *projector,
                         const HeadConfig *predictor, int batch, BnViews bn_views, uint64_t seed, ByolModel *m) {
    Status st = byol_model_create_online(device, encoder, projector, predictor, batch, bn_views, seed, m);
    if (st != BC_OK) return st;
    st = create_arena_network(device, encoder, projector, NULL, ARENA_FROZEN, &m->target, &m->target_net);
    if (st == BC_OK && !arena_is_prefix_of(m->target, m->online))
        st = error_set(BC_ERR_USAGE, "internal: the target arena is not a prefix of the online one");
    if (st == BC_OK) st = target_copy_from_online(m->target, m->online);
    if (st == BC_OK)
        st = activations_create(device, m->target_net, byol_model_pass_rows(m), PART_PROJECTOR, false,
                                &m->target_acts);
    size_t out_floats = (size_t)batch * (size_t)m->out_dim;
    for (int v = 0; v < 2 && st == BC_OK; v++) st = buffer_create(device, out_floats * sizeof(float), &m->targets[v]);
    size_t pass_floats = (size_t)byol_model_pass_rows(m) * (size_t)m->out_dim;
    if (st == BC_OK) st = buffer_create(device, pass_floats * sizeof(float), &m->d_prediction);
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
    buffer_release(m->view_pair);
    for (int v = 0; v < 2; v++) buffer_release(m->targets[v]);
    buffer_release(m->d_prediction);
    buffer_release(m->loss);
    simclr_state_destroy(m->simclr);
    memset(m, 0, sizeof *m);
}

View byol_model_view(const ByolModel *m, int v) {
    const EncoderConfig *e = network_encoder_config(m->online_net);
    size_t view_floats = (size_t)m->batch * (size_t)e->in_channels * (size_t)e->image_size * (size_t)e->image_size;
    return view_at(view_of(m->view_pair), (size_t)v * view_floats);
}

int byol_model_views_per_pass(const ByolModel *m) { return m->bn_views == BN_VIEWS_CONCAT ? 2 : 1; }

int byol_model_pass_rows(const ByolModel *m) { return byol_model_views_per_pass(m) * m->batch; }

/* One forward pass covers views first .. first + views_per_pass - 1, which lie one after
 * the other in view_pair, so a pass of both views is one batch of 2B images. */
Status byol_model_step(ByolModel *m, const OptimizerConfig *optimizer, double learning_rate,
                       double tau) {
    if (m->simclr) return simclr_model_step(m, optimizer, learning_rate);
    Device *d = m->device;
    NetworkPart head = network_last_part(m->online_net); /* the predictor, or the projector without one */
    int per_pass = byol_model_views_per_pass(m), rows = byol_model_pass_rows(m);
    size_t view_out = (size_t)m->batch * (size_t)m->out_dim; /* floats of one view's projections */
    /* Target projections of both views first: z'_v = g_target(f_target(view v)). */
    for (int first = 0; first < 2; first += per_pass) {
        View z;
        Status st = network_forward(d, m->target_net, m->target, m->target_acts, byol_model_view(m, first), rows,
                                    PART_PROJECTOR, BN_TRAIN, &z);
        /* One copy per view, each to the start of its own buffer: oclgrind 21.10 does not
         * mark a host copy into a buffer past its start as initialized. */
        for (int k = 0; k < per_pass && st == BC_OK; k++)
            st = buffer_copy(d, z.buffer, (z.offset + (size_t)k * view_out) * sizeof(float), m->targets[first + k], 0,
                             view_out * sizeof(float));
        if (st != BC_OK) return st;
    }
    Status st = arena_zero_grad(m->online);
    /* Symmetric loss: view v's prediction against the target projection of the other view.
     * The passes share no activations, so each pass's forward is followed by its backward. */
    for (int first = 0; first < 2 && st == BC_OK; first += per_pass) {
        View p;
        st = network_forward(d, m->online_net, m->online, m->online_acts, byol_model_view(m, first), rows, head,
                             BN_TRAIN, &p);
        View projections = activations_head_output(m->online_acts, PART_PROJECTOR);
        for (int k = 0; k < per_pass && st == BC_OK; k++) {
            int v = first + k;
            View p_v = view_at(p, (size_t)k * view_out);
            View d_p_v = view_at(view_of(m->d_prediction), (size_t)k * view_out);
            View other_target = view_of(m->targets[1 - v]);
            st = collapse_monitor_forward(d, (View){m->loss, MODEL_READOUT_COLLAPSE + (size_t)v},
                                          view_at(projections, (size_t)k * view_out), m->batch, m->out_dim);
            if (st == BC_OK)
                st = byol_loss_forward(d, (View){m->loss, (size_t)v}, p_v, other_target, m->batch, m->out_dim);
            if (st == BC_OK) st = byol_loss_backward(d, d_p_v, p_v, other_target, m->batch, m->out_dim, 1.0f);
        }
        if (st == BC_OK)
            st = network_backward(d, m->online_net, m->online, m->online_acts, view_of(m->d_prediction), rows, head,
                                  VIEW_NONE);
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
