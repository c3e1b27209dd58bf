/* train_dist.c — the data-parallel side of `byolcl train` (mpirun -np N): which device
 * each rank drives, the gradients summed over the ranks between backward and update (with
 * the stop flag riding along), the loss of the whole batch, cross-replica batch norm and
 * the parameter check of debug runs. With one rank none of it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byol/simclr.h"
#include "byol/train_internal.h"
#include "byolcl/log.h"
#include "util/clock.h"
#include "util/hash.h"

/* A selector naming one device (N or P:D) is taken as given on every rank. */
static bool names_one_device(const char *selector) {
    return selector[0] && strspn(selector, "0123456789:") == strlen(selector);
}

Status train_dist_choose_device(const char *selector, char *out, size_t cap) {
    const DistInfo *dist = dist_info();
    if (!selector) selector = device_default_selector();
    snprintf(out, cap, "%s", selector);
    if (dist->size == 1 || names_one_device(selector)) return BC_OK;
    DeviceInfo *list;
    int count, chosen;
    Status st = device_list(&list, &count);
    if (st != BC_OK) return st;
    if ((st = device_choose(list, count, selector, &chosen)) == BC_OK) {
        /* The devices of the chosen kind the selector matches, dealt out by node-local rank. */
        int candidates[256], found = 0;
        for (int i = 0; i < count && found < 256; i++) {
            int self;
            if (list[i].kind == list[chosen].kind && device_select(&list[i], 1, selector, &self, NULL, 0) == BC_OK)
                candidates[found++] = i;
        }
        error_clear();
        int pick = found ? candidates[dist->local_rank % found] : chosen;
        snprintf(out, cap, "%d", list[pick].flat_index);
        if (found < dist->local_size)
            log_debug("rank %d: %d ranks on %s share %d device(s) matching '%s'", dist->rank, dist->local_size,
                      dist->host, found, selector);
    }
    free(list);
    return st;
}

/* The online gradients summed over the ranks and divided by their number, in one host
 * round trip; the float after them carries how many ranks were asked to stop. */
static Status sync_gradients(void *context, Arena *online) {
    TrainDist *d = context;
    Device *device = arena_device(online);
    Buffer *grads = arena_buffer(online, ARENA_GRADS);
    size_t floats = d->grad_floats;
    double start = clock_seconds();
    Status st = buffer_read(device, grads, 0, floats * sizeof(float), d->grads); /* waits for the backward */
    double after_read = clock_seconds();
    d->grads[floats] = *d->stop_signal ? 1.0f : 0.0f;
    if (st == BC_OK) st = dist_sum_floats(d->grads, floats + 1);
    double after_sum = clock_seconds();
    float scale = 1.0f / (float)d->info->size;
    for (size_t i = 0; st == BC_OK && i < floats; i++) d->grads[i] *= scale;
    if (st == BC_OK) st = buffer_write(device, grads, 0, floats * sizeof(float), d->grads);
    d->ranks_stopping = (int)d->grads[floats];
    d->sum_s += after_sum - after_read;
    d->transfer_s += clock_seconds() - start - (after_sum - after_read);
    d->steps++;
    return st;
}

Status train_dist_attach(TrainDist *d, ByolModel *model, volatile sig_atomic_t *stop_signal, int sync_bn) {
    memset(d, 0, sizeof *d);
    d->info = dist_info();
    d->stop_signal = stop_signal;
    if (d->info->size == 1) return BC_OK;
    d->grad_floats = arena_floats(model->online, ARENA_GRADS);
    d->grads = malloc((d->grad_floats + 1) * sizeof *d->grads);
    if (!d->grads) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory for the gradients' host copy");
    model->sync_gradients = sync_gradients;
    model->sync_context = d;
    d->sync_bn = sync_bn != 0; /* -1 (not given): on */
    if (d->sync_bn) {
        d->replicas = (CrossReplicaSum){.sum = dist_sum_doubles_callback, .replicas = d->info->size};
        activations_set_cross_replica(model->online_acts, &d->replicas);
        if (model->target_acts) activations_set_cross_replica(model->target_acts, &d->replicas);
        if (model->simclr) simclr_set_cross_replica(model->simclr, &d->replicas);
    }
    const char *check = getenv("BYOLCL_DIST_CHECK");
    d->check_every = check ? atoll(check) : 0;
    return BC_OK;
}

void train_dist_detach(TrainDist *d) {
    free(d->grads);
    d->grads = NULL;
}

bool train_dist_stop_asked(const TrainDist *d) {
    return d->info && d->info->size > 1 ? d->ranks_stopping > 0 : *d->stop_signal != 0;
}

Status train_dist_average_readout(const TrainDist *d, double *loss, double *collapse) {
    if (!d->info || d->info->size == 1) return BC_OK;
    double values[2] = {*loss, *collapse};
    Status st = dist_sum_doubles(values, 2);
    *loss = values[0] / d->info->size;
    *collapse = values[1] / d->info->size;
    return st;
}

/* Debug runs (BYOLCL_DIST_CHECK=N): every N steps the online and target parameters must be
 * bit for bit the same on every rank. */
Status train_dist_check(TrainDist *d, const ByolModel *model, int64_t step) {
    if (!d->info || d->info->size == 1 || d->check_every <= 0 || step % d->check_every != 0) return BC_OK;
    const Arena *arenas[2] = {model->online, model->target};
    uint64_t hash = FNV64_OFFSET;
    Status st = BC_OK;
    for (int a = 0; a < 2 && st == BC_OK; a++) {
        if (!arenas[a]) continue;
        size_t floats = arena_floats(arenas[a], ARENA_PARAMS);
        float *host = malloc(floats * sizeof *host);
        st = host ? arena_download(arenas[a], ARENA_PARAMS, host) : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        if (st == BC_OK) hash = hash_fnv1a(hash, host, floats * sizeof *host);
        free(host);
    }
    bool same = true;
    if (st == BC_OK) st = dist_same_everywhere(hash, &same);
    if (st == BC_OK && !same)
        return error_set(BC_ERR_NUMERIC, "step %lld: the parameters differ between the ranks (BYOLCL_DIST_CHECK: "
                         "checksum of the online and target parameters); the ranks no longer train one model",
                         (long long)step);
    if (st == BC_OK) log_debug("step %lld: parameters equal on all %d ranks", (long long)step, d->info->size);
    return st;
}

Status train_dist_check_same_run(const TrainDist *d, const TrainConfig *config, const char *network,
                                 const DatasetInfo *data) {
    if (dist_info()->size == 1) return BC_OK;
    char *text = NULL;
    size_t length = 0;
    FILE *f = open_memstream(&text, &length);
    if (!f) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    train_config_print(config, f);
    fprintf(f, "%s\n%zu images %dx%dx%d\nsync-bn %d\n", network, data->count, data->height, data->width,
            data->channels, (int)d->sync_bn);
    fclose(f);
    bool same = true;
    Status st = dist_same_everywhere(hash_string(FNV64_OFFSET, text), &same);
    free(text);
    if (st == BC_OK && !same)
        st = error_set(BC_ERR_USAGE, "the ranks were started with different settings (flags, or datasets of other "
                       "sizes): every rank must train the same model on the same data; give them the same flags");
    return st;
}

void train_dist_report(const TrainDist *d) {
    if (!d->info || d->info->size == 1 || d->info->rank != 0 || d->steps == 0) return;
    printf("allreduce: %.2f MB of gradients per step over %d ranks: %.1f ms in MPI_Allreduce and %.1f ms of "
           "device transfers per step (mean of %lld steps)\n", d->grad_floats * sizeof(float) / 1e6, d->info->size,
           1e3 * d->sum_s / (double)d->steps, 1e3 * d->transfer_s / (double)d->steps, (long long)d->steps);
}
