/* simclr.c — the SimCLR training step on the device: each view's projections through the
 * online network (batch norm over each view's N images, or with BN_VIEWS_CONCAT over all
 * 2N in one pass, as BYOL's online network does), the 2N x 2N NT-Xent loss and its
 * gradient, then the backward passes. Under mpirun the negatives come from every rank: the
 * projections are gathered (MPI_Allgather), every rank computes the whole batch's NT-Xent
 * (small beside the encoder) and keeps the gradient of its own rows. */
#include <stdlib.h>

#include "byol/simclr.h"
#include "byolcl/dist.h"
#include "byolcl/ops.h"

struct SimclrState {
    float temperature;
    Activations *second_acts; /* SEPARATE: view 1's forward, kept for its backward (view 0's: online_acts) */
    Buffer *normalized;       /* (2 batch, out_dim): view 0's rows, then view 1's */
    Buffer *d_logits;         /* (2 batch, 2 batch) */
    Buffer *d_normalized;     /* (2 batch, out_dim) */
    Buffer *d_projections;    /* (2 batch, out_dim): view 0's rows, then view 1's */
    /* Several ranks: `ranks` x batch rows in all, this rank's from row `first`. */
    int ranks, first;
    Buffer *gathered[2], *d_gathered[2]; /* (ranks * batch, out_dim) per view */
    float *host;                         /* ranks * batch * out_dim floats */
};

void simclr_state_destroy(SimclrState *s) {
    if (!s) return;
    activations_destroy(s->second_acts);
    buffer_release(s->normalized);
    buffer_release(s->d_logits);
    buffer_release(s->d_normalized);
    buffer_release(s->d_projections);
    for (int v = 0; v < 2; v++) {
        buffer_release(s->gathered[v]);
        buffer_release(s->d_gathered[v]);
    }
    free(s->host);
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
    s->ranks = dist_info()->size;
    s->first = dist_info()->rank * batch;
    /* The loss runs over every rank's rows. */
    size_t rows = 2 * (size_t)batch * (size_t)s->ranks, floats = rows * (size_t)m->out_dim;
    size_t both_views = 2 * (size_t)batch * (size_t)m->out_dim;
    if (bn_views == BN_VIEWS_SEPARATE)
        st = activations_create(device, m->online_net, batch, PART_PROJECTOR, true, &s->second_acts);
    if (st == BC_OK) st = buffer_create(device, floats * sizeof(float), &s->normalized);
    if (st == BC_OK) st = buffer_create(device, rows * rows * sizeof(float), &s->d_logits);
    if (st == BC_OK) st = buffer_create(device, floats * sizeof(float), &s->d_normalized);
    if (st == BC_OK) st = buffer_create(device, both_views * sizeof(float), &s->d_projections);
    for (int v = 0; v < 2 && st == BC_OK && s->ranks > 1; v++) {
        st = buffer_create(device, floats / 2 * sizeof(float), &s->gathered[v]);
        if (st == BC_OK) st = buffer_create(device, floats / 2 * sizeof(float), &s->d_gathered[v]);
    }
    if (st == BC_OK && s->ranks > 1 && !(s->host = malloc(floats / 2 * sizeof *s->host)))
        st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory for the gathered projections");
    if (st != BC_OK) byol_model_destroy(m);
    return st;
}

/* The NT-Xent of every rank's rows: each view's projections gathered from all ranks, the
 * loss and gradient of the whole batch, this rank's rows of the gradient kept. They are
 * scaled by the rank count, as each rank's BYOL loss is its own rows' mean: the gradient
 * sum then divides by it again. */
static Status ntxent_across_ranks(ByolModel *m, const View z[2], const View d_z[2]) {
    Device *d = m->device;
    SimclrState *s = m->simclr;
    size_t own = (size_t)m->batch * (size_t)m->out_dim, all = own * (size_t)s->ranks;
    int images = m->batch * s->ranks;
    Status st = BC_OK;
    for (int v = 0; v < 2 && st == BC_OK; v++) {
        st = buffer_read(d, z[v].buffer, z[v].offset * sizeof(float), own * sizeof(float), s->host + (size_t)s->first *
                         (size_t)m->out_dim);
        if (st == BC_OK) st = dist_all_gather_floats(s->host, own);
        if (st == BC_OK) st = buffer_write(d, s->gathered[v], 0, all * sizeof(float), s->host);
    }
    View g0 = view_of(s->gathered[0]), g1 = view_of(s->gathered[1]);
    if (st == BC_OK)
        st = ntxent_forward(d, view_of(m->loss), view_of(s->normalized), view_of(s->d_logits), g0, g1, images,
                            m->out_dim, s->temperature);
    if (st == BC_OK)
        st = ntxent_backward(d, view_of(s->d_gathered[0]), view_of(s->d_gathered[1]), view_of(s->d_normalized),
                             view_of(s->d_logits), view_of(s->normalized), g0, g1, images, m->out_dim, s->temperature);
    for (int v = 0; v < 2 && st == BC_OK; v++) {
        st = buffer_read(d, s->d_gathered[v], (size_t)s->first * (size_t)m->out_dim * sizeof(float),
                         own * sizeof(float), s->host);
        for (size_t i = 0; st == BC_OK && i < own; i++) s->host[i] *= (float)s->ranks;
        if (st == BC_OK) st = buffer_write(d, d_z[v].buffer, d_z[v].offset * sizeof(float), own * sizeof(float), s->host);
    }
    return st;
}

void simclr_set_cross_replica(SimclrState *s, const CrossReplicaSum *replicas) {
    if (s->second_acts) activations_set_cross_replica(s->second_acts, replicas); /* none with BN_VIEWS_CONCAT */
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
    if (st == BC_OK && s->ranks > 1) st = ntxent_across_ranks(m, z, d_z);
    if (st == BC_OK && s->ranks == 1)
        st = ntxent_forward(d, view_of(m->loss), view_of(s->normalized), view_of(s->d_logits), z[0], z[1], m->batch,
                            m->out_dim, s->temperature);
    if (st == BC_OK && s->ranks == 1)
        st = ntxent_backward(d, d_z[0], d_z[1], view_of(s->d_normalized), view_of(s->d_logits),
                             view_of(s->normalized), z[0], z[1], m->batch, m->out_dim, s->temperature);
    if (st == BC_OK) st = arena_zero_grad(m->online);
    for (int first = 2 - per_pass; first >= 0 && st == BC_OK; first -= per_pass)
        st = network_backward(d, m->online_net, m->online, acts[first / per_pass], d_z[first], rows, PART_PROJECTOR,
                              VIEW_NONE);
    if (st == BC_OK && m->sync_gradients) st = m->sync_gradients(m->sync_context, m->online);
    if (st == BC_OK) st = optimizer_step(m->online, optimizer, (float)learning_rate);
    return st;
}
