/* loader.c — the batch loader: worker threads decode batches into a ring of host buffers
 * ahead of the trainer, in an order that is a pure function of (seed, epoch). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byolcl/log.h"
#include "data/dataset_internal.h"

typedef enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_HELD } SlotState;

typedef struct {
    uint8_t *images;
    int32_t *labels;
    uint32_t *indices;
    SlotState state;
    uint64_t seq, generation;
    size_t count;
    Status status;  /* a worker's failure, returned by next_batch with its message */
    char *message;
} Slot;

struct Loader {
    const Dataset *ds;
    LoaderOptions o;
    size_t image_bytes, steps_per_epoch, total_steps; /* total_steps: one_pass limit */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    Slot *slots;
    int slot_count;
    uint64_t next_produce, next_consume, generation;
    bool stopping;
    pthread_t *threads;
    int thread_count;
    size_t skipped;
    uint8_t *warned; /* per dataset image: its decode failure was already reported */
};

/* ---- the epoch order ------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void loader_epoch_order(uint64_t seed, uint64_t epoch, bool shuffle, uint32_t *order, size_t count) {
    for (size_t i = 0; i < count; i++) order[i] = (uint32_t)i;
    if (!shuffle) return;
    uint64_t mix = seed;
    uint64_t state = splitmix64(&mix) ^ (epoch * 0xd1b54a32d192ed03ULL);
    splitmix64(&state);
    for (size_t i = count; i > 1; i--) {
        /* Multiply-shift bound: bias below count / 2^64, far under anything measurable. */
        uint64_t r = splitmix64(&state);
        size_t j = (size_t)(((r >> 32) * (uint64_t)i) >> 32);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* ---- workers ----------------------------------------------------------------------- */

typedef struct {
    uint64_t epoch;
    bool valid;
    uint32_t *order;
} WorkerOrder;

/* Reads image order[pos]; when it is bad and the dataset skips bad images, the next images
 * of the epoch order stand in (deterministically: it depends only on the files). */
static Status read_one(Loader *L, const uint32_t *order, size_t pos, uint8_t *dst, uint32_t *used) {
    size_t n = L->ds->info.count;
    for (size_t k = 0; k < n; k++) {
        uint32_t index = order[(pos + k) % n];
        Status st = dataset_read_image(L->ds, index, dst);
        if (st == BC_OK) {
            *used = index;
            return BC_OK;
        }
        if (st != BC_ERR_FORMAT || !dataset_skips_bad_images(L->ds)) return st;
        pthread_mutex_lock(&L->lock);
        if (!L->warned[index]) {
            L->warned[index] = 1;
            L->skipped++;
            log_warn("%s (skipped; the next image stands in)", error_last());
        }
        pthread_mutex_unlock(&L->lock);
    }
    return error_set(BC_ERR_FORMAT, "%s: no image of the dataset can be decoded", L->ds->path);
}

static Status fill_slot(Loader *L, WorkerOrder *wo, Slot *slot, uint64_t seq) {
    uint64_t epoch = seq / L->steps_per_epoch, step = seq % L->steps_per_epoch;
    size_t n = L->ds->info.count;
    if (!wo->valid || wo->epoch != epoch) {
        loader_epoch_order(L->o.seed, epoch, L->o.shuffle, wo->order, n);
        wo->epoch = epoch, wo->valid = true;
    }
    size_t start = (size_t)step * L->o.batch_size + L->o.shard_first;
    size_t want = L->o.shard_count ? L->o.shard_count : L->o.batch_size;
    size_t count = start >= n ? 0 : n - start < want ? n - start : want;
    for (size_t i = 0; i < count; i++) {
        uint32_t used = 0;
        Status st = read_one(L, wo->order, start + i, slot->images + i * L->image_bytes, &used);
        if (st != BC_OK) return st;
        slot->indices[i] = used;
        slot->labels[i] = dataset_label(L->ds, used);
    }
    slot->count = count;
    return BC_OK;
}

static void *worker_main(void *arg) {
    Loader *L = arg;
    WorkerOrder wo = {.order = malloc(L->ds->info.count * sizeof(uint32_t))};
    pthread_mutex_lock(&L->lock);
    while (!L->stopping) {
        uint64_t seq = L->next_produce;
        /* Any free buffer will do: a batch the caller holds blocks nothing but itself. */
        Slot *slot = NULL;
        for (int i = 0; !slot && i < L->slot_count; i++)
            if (L->slots[i].state == SLOT_FREE) slot = &L->slots[i];
        if ((L->total_steps && seq >= L->total_steps) || !slot) {
            pthread_cond_wait(&L->changed, &L->lock);
            continue;
        }
        slot->state = SLOT_FILLING;
        slot->seq = seq;
        slot->generation = L->generation;
        L->next_produce++;
        pthread_mutex_unlock(&L->lock);

        Status st = wo.order ? fill_slot(L, &wo, slot, seq)
                             : error_set(BC_ERR_OUT_OF_MEMORY, "loader: out of memory for the epoch order");
        char *message = st == BC_OK ? NULL : dataset_strdup(error_last());

        pthread_mutex_lock(&L->lock);
        free(slot->message);
        slot->status = st;
        slot->message = message;
        slot->state = slot->generation == L->generation ? SLOT_READY : SLOT_FREE; /* stale after a seek */
        pthread_cond_broadcast(&L->changed);
    }
    pthread_mutex_unlock(&L->lock);
    free(wo.order);
    return NULL;
}

/* ---- the consumer side ------------------------------------------------------------- */

static int default_workers(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
}

Status loader_create(const Dataset *ds, const LoaderOptions *opts, Loader **out) {
    *out = NULL;
    const DatasetInfo *info = dataset_info(ds);
    if (opts->batch_size == 0) return error_set(BC_ERR_USAGE, "loader: batch size must be at least 1");
    if (info->count > UINT32_MAX) return error_set(BC_ERR_USAGE, "loader: more than 2^32 images");
    if (opts->drop_last && info->count < opts->batch_size)
        return error_set(BC_ERR_USAGE, "%s: %zu images, fewer than one batch of %zu", info->path,
                         info->count, opts->batch_size);
    if (opts->workers < 0 || opts->buffers < 0)
        return error_set(BC_ERR_USAGE, "loader: workers and buffers must not be negative");
    if (opts->shard_count && opts->shard_first + opts->shard_count > opts->batch_size)
        return error_set(BC_ERR_USAGE, "loader: shard %zu + %zu lies outside the batch of %zu", opts->shard_first,
                         opts->shard_count, opts->batch_size);
    Loader *L = calloc(1, sizeof *L);
    if (!L) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    L->ds = ds;
    L->o = *opts;
    if (!L->o.workers) L->o.workers = default_workers();
    if (!L->o.buffers) L->o.buffers = L->o.workers + 2;
    L->image_bytes = (size_t)info->height * (size_t)info->width * (size_t)info->channels;
    L->steps_per_epoch = opts->drop_last ? info->count / opts->batch_size
                                         : (info->count + opts->batch_size - 1) / opts->batch_size;
    L->total_steps = opts->one_pass ? L->steps_per_epoch : 0;
    pthread_mutex_init(&L->lock, NULL);
    pthread_cond_init(&L->changed, NULL);
    L->slot_count = L->o.buffers;
    L->slots = calloc((size_t)L->slot_count, sizeof *L->slots);
    L->warned = calloc(info->count, 1);
    L->threads = calloc((size_t)L->o.workers, sizeof *L->threads);
    bool ok = L->slots && L->warned && L->threads;
    size_t per_slot = opts->shard_count ? opts->shard_count : opts->batch_size;
    for (int i = 0; ok && i < L->slot_count; i++) {
        Slot *s = &L->slots[i];
        s->images = malloc(per_slot * L->image_bytes);
        s->labels = malloc(per_slot * sizeof *s->labels);
        s->indices = malloc(per_slot * sizeof *s->indices);
        ok = s->images && s->labels && s->indices;
    }
    if (!ok) {
        loader_close(L);
        return error_set(BC_ERR_OUT_OF_MEMORY, "loader: out of memory for %d batches of %zu images",
                         opts->buffers, opts->batch_size);
    }
    for (int i = 0; i < L->o.workers; i++) {
        if (pthread_create(&L->threads[i], NULL, worker_main, L) != 0) {
            loader_close(L);
            return error_set(BC_ERR_OUT_OF_MEMORY, "loader: cannot start worker thread %d", i);
        }
        L->thread_count = i + 1;
    }
    *out = L;
    return BC_OK;
}

void loader_close(Loader *L) {
    if (!L) return;
    pthread_mutex_lock(&L->lock);
    L->stopping = true;
    pthread_cond_broadcast(&L->changed);
    pthread_mutex_unlock(&L->lock);
    for (int i = 0; i < L->thread_count; i++) pthread_join(L->threads[i], NULL);
    for (int i = 0; L->slots && i < L->slot_count; i++) {
        free(L->slots[i].images);
        free(L->slots[i].labels);
        free(L->slots[i].indices);
        free(L->slots[i].message);
    }
    pthread_cond_destroy(&L->changed);
    pthread_mutex_destroy(&L->lock);
    free(L->slots);
    free(L->warned);
    free(L->threads);
    free(L);
}

size_t loader_steps_per_epoch(const Loader *L) { return L->steps_per_epoch; }
int loader_worker_count(const Loader *L) { return L->thread_count; }

Status loader_next_batch(Loader *L, Batch *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&L->lock);
    uint64_t seq = L->next_consume;
    if (L->total_steps && seq >= L->total_steps) {
        out->epoch = 1;
        out->slot = -1;
        pthread_mutex_unlock(&L->lock);
        return BC_OK;
    }
    Slot *slot = NULL;
    int index = -1;
    for (;;) {
        int held = 0;
        for (int i = 0; i < L->slot_count; i++) {
            Slot *s = &L->slots[i];
            held += s->state == SLOT_HELD;
            if (s->state == SLOT_READY && s->seq == seq && s->generation == L->generation) index = i;
        }
        if (index >= 0) break;
        if (held == L->slot_count) {
            pthread_mutex_unlock(&L->lock);
            return error_set(BC_ERR_USAGE, "loader: all %d batch buffers are held; release one with "
                             "loader_release_batch before asking for the next", L->slot_count);
        }
        pthread_cond_wait(&L->changed, &L->lock);
    }
    slot = &L->slots[index];
    if (slot->status != BC_OK) {
        /* Sticky: the batch stays failed, so every later call reports the same error. */
        Status st = slot->status;
        char message[1024];
        snprintf(message, sizeof message, "%s", slot->message ? slot->message : "loader worker failed");
        pthread_mutex_unlock(&L->lock);
        return error_set(st, "%s", message);
    }
    slot->state = SLOT_HELD;
    L->next_consume++;
    pthread_cond_broadcast(&L->changed);
    pthread_mutex_unlock(&L->lock);
    out->images = slot->images;
    out->labels = slot->labels;
    out->indices = slot->indices;
    out->count = slot->count;
    out->epoch = seq / L->steps_per_epoch;
    out->step = seq % L->steps_per_epoch;
    out->slot = index;
    return BC_OK;
}

void loader_release_batch(Loader *L, const Batch *batch) {
    if (batch->slot < 0 || batch->slot >= L->slot_count) return;
    pthread_mutex_lock(&L->lock);
    Slot *slot = &L->slots[batch->slot];
    if (slot->state == SLOT_HELD) slot->state = SLOT_FREE;
    pthread_cond_broadcast(&L->changed);
    pthread_mutex_unlock(&L->lock);
}

Status loader_seek(Loader *L, uint64_t epoch, uint64_t step) {
    if (step >= L->steps_per_epoch)
        return error_set(BC_ERR_USAGE, "loader: step %llu is past the epoch's %zu steps",
                         (unsigned long long)step, L->steps_per_epoch);
    if (L->total_steps && epoch > 0)
        return error_set(BC_ERR_USAGE, "loader: a one-pass loader has only epoch 0");
    pthread_mutex_lock(&L->lock);
    L->generation++;
    L->next_produce = L->next_consume = epoch * L->steps_per_epoch + step;
    for (int i = 0; i < L->slot_count; i++)
        if (L->slots[i].state == SLOT_READY) L->slots[i].state = SLOT_FREE;
    pthread_cond_broadcast(&L->changed);
    pthread_mutex_unlock(&L->lock);
    return BC_OK;
}

size_t loader_skipped_images(const Loader *L) {
    pthread_mutex_lock((pthread_mutex_t *)&L->lock);
    size_t n = L->skipped;
    pthread_mutex_unlock((pthread_mutex_t *)&L->lock);
    return n;
}
