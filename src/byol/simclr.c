/* simclr.c — the SimCLR training step on the device: each view's projections through the
 * online network (batch norm over each view's N images, or with BN_VIEWS_CONCAT over all
 * 2N in one pass, as BYOL's online network does), the 2N x 2N NT-Xent loss and its
 * gradient, then the backward passes. */
#include <stdlib.h>

#include "byol/simclr.h"
#include "byolcl/ops.h"

struct SimclrState {
    float temperature;
    Activations *second_acts; /* SEPARATE: view 1's forward, kept for its backward (view 0's: online_acts) */
    Buffer *normalized;       /* (2 batch, out_dim): view 0's rows, then view 1's */
    Buffer *d_logits;         /* (2 batch, 2 batch) */
    Buffer *d_normalized;     /* (2 batch, out_dim) */
    Buffer *d_projections;    /* (2 batch, out_dim): view 0's rows, then view 1's */
};

void simclr_state_destroy(SimclrState *s) {
    if (!s) return;
    activations_destroy(s->second_acts);
    buffer_release(s->normalized);
    buffer_release(s->d_logits);
    buffer_release(s->d_normalized);
    buffer_release(s->d_projections);
    free(s);
}

Status simclr_model_create(Device *device, const EncoderConfig *encoder, const HeadConfig *projector, int batch,
                           BnViews bn_views, uint64_t seed, float temperature, ByolModel *m) {
    if (!(temperature > 0.0f))
        return error_set(BC_ERR_USAGE, "--temperature must be positive (got %g)", (double)temperature);
    Status st = byol_model_create_online(device, encoder, projector, NULL, batch, bn_views, seed, m);
    if (st != BC_OK) return st;
    SimclrState *s = calloc(1, sizeof *s);
    if (!s) {
        byol_model_destroy(m);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    m->simclr = s;
    s->temperature = temperature;
    size_t rows = 2 * (size_t)batch, floats = rows * (size_t)m->out_dim;
    if (bn_views == BN_VIEWS_SEPARATE)
        st = activations_create(device, m->online_net, batch, PART_PROJECTOR, true, &s->second_acts);
    if (st == BC_OK) st = buffer_create(device, floats * sizeof(float), &s->normalized);
    if (st == BC_OK) st = buffer_create(device, rows * rows * sizeof(float), &s->d_logits);
    if (st == BC_OK) st = buffer_create(device, floats * sizeof(float), &s->d_normalized);
    if (st == BC_OK) st = buffer_create(device, floats * sizeof(float), &s->d_projections);
    if (st != BC_OK) byol_model_destroy(m);
    return st;
}

Status simclr_model_step(ByolModel *m, const OptimizerConfig *optimizer, double learning_rate) {
    Device *d = m->device;
    SimclrState *s = m->simclr;
    Activations *acts[2] = {m->online_acts, s->second_acts}; /* per pass */
    int per_pass = byol_model_views_per_pass(m), rows = byol_model_pass_rows(m);
    size_t view_out = (size_t)m->batch * (size_t)m->out_dim;
    View z[2];
    Status st = BC_OK;
    for (int first = 0; first < 2 && st == BC_OK; first += per_pass) {
        View out;
        st = network_forward(d, m->online_net, m->online, acts[first / per_pass], byol_model_view(m, first), rows,
                             PART_PROJECTOR, BN_TRAIN, &out);
        for (int k = 0; k < per_pass && st == BC_OK; k++) {
            z[first + k] = view_at(out, (size_t)k * view_out);
            st = collapse_monitor_forward(d, (View){m->loss, MODEL_READOUT_COLLAPSE + (size_t)(first + k)},
                                          z[first + k], m->batch, m->out_dim);
        }
    }
    View d_z[2] = {view_of(s->d_projections), view_at(view_of(s->d_projections), view_out)};
    if (st == BC_OK)
        st = ntxent_forward(d, view_of(m->loss), view_of(s->normalized), view_of(s->d_logits), z[0], z[1], m->batch,
                            m->out_dim, s->temperature);
    if (st == BC_OK)
        st = ntxent_backward(d, d_z[0], d_z[1], view_of(s->d_normalized), view_of(s->d_logits),
                             view_of(s->normalized), z[0], z[1], m->batch, m->out_dim, s->temperature);
    if (st == BC_OK) st = arena_zero_grad(m->online);
    for (int first = 2 - per_pass; first >= 0 && st == BC_OK; first -= per_pass)
        st = network_backward(d, m->online_net, m->online, acts[first / per_pass], d_z[first], rows, PART_PROJECTOR,
                              VIEW_NONE);
    if (st == BC_OK) st = optimizer_step(m->online, optimizer, (float)learning_rate);
    return st;
}
