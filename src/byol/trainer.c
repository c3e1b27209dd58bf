/* trainer.c — the `byolcl train` loop: data -> device -> two augmented views -> BYOL step,
 * with the loss read back only every log_every steps, checkpoints by step count and by time
 * (independent of logging), at the end and on SIGINT/SIGTERM, a NaN/Inf guard checked on
 * the device every step that keeps the last good checkpoint, one run per folder (a lock),
 * and exact resume (the loader order and the augmentation parameters are pure functions
 * of the seed and the position). Under mpirun each rank trains on its share of every batch
 * (train_dist.c); rank 0 alone writes files and prints progress. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byol/time_budget.h"
#include "byol/train_internal.h"
#include "byolcl/log.h"
#include "byolcl/metrics.h"
#include "byolcl/schedule.h"
#include "util/clock.h"
#include "util/fs.h"

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

/* Everything one run holds; released in one place. */
typedef struct {
    Device *device;
    Dataset *dataset;
    Loader *loader;
    ByolModel model;
    Buffer *images; /* uint8 (batch, h, w, c) on the device */
    Batch held[4];  /* uploaded asynchronously, released once the device is past them */
    int held_count;
    MetricsLog metrics;
    const TrainMonitor *monitor; /* --eval-every: an accuracy at intervals */
    void *monitor_state;
    TrainConfig config;
    TrainProgress progress;
    int64_t first_step; /* where this invocation started */
    TrainGuard guard;
    RunFolderLock lock;
    char checkpoint_path[4200];
    bool collapse_warned;
    double started;       /* clock_seconds() when this invocation began: --minutes counts from here */
    bool follows_budget;  /* --minutes and the length not planned yet (in this or an earlier invocation) */
    TimeBudget budget;
    TrainDist dist;
    bool leader;          /* rank 0: writes the run folder and prints progress */
    int local_batch;      /* this rank's share of the batch ... */
    size_t shard_first;   /* ... starting at this image of it */
    double last_loss;     /* of the last logged step */
} Run;

static void release_held(Run *run) {
    for (int i = 0; i < run->held_count; i++) loader_release_batch(run->loader, &run->held[i]);
    run->held_count = 0;
}

static void run_close(Run *run) {
    metrics_close(&run->metrics);
    if (run->monitor) run->monitor->destroy(run->monitor_state);
    if (run->loader) {
        device_finish(run->device);
        release_held(run);
        loader_close(run->loader);
    }
    dataset_close(run->dataset);
    byol_model_destroy(&run->model);
    buffer_release(run->images);
    train_guard_destroy(&run->guard);
    train_dist_detach(&run->dist);
    device_close(run->device);
    run_folder_unlock(&run->lock);
}

/* Never writes a diverged state: the guard is read first (it waits for the queue). */
static Status save_checkpoint(Run *run, const char *why) {
    Status st = train_guard_check(&run->guard, &run->config, run->checkpoint_path);
    if (st == BC_OK)
        st = train_checkpoint_save(run->checkpoint_path, &run->config, &run->progress, &run->model,
                                   device_info(run->device)->name);
    if (st == BC_OK) train_guard_saved(&run->guard, run->progress.steps_done);
    if (st == BC_OK) log_debug("checkpoint (%s) at step %lld", why, (long long)run->progress.steps_done);
    return st;
}

/* By step count or by time; the end and a stop always checkpoint. */
static bool checkpoint_due(const TrainConfig *c, int64_t steps_done, double since_last_s, bool ending) {
    bool by_steps = c->checkpoint_every > 0 && steps_done % c->checkpoint_every == 0;
    bool by_time = c->checkpoint_minutes > 0 && since_last_s >= 60.0 * c->checkpoint_minutes;
    return by_steps || by_time || ending;
}

/* Fills missing normalization statistics from the data (a sample of up to 10000 images). */
static Status fill_normalization(Run *run, const TrainRequest *request) {
    const AugmentFlags *given = &request->augment_flags;
    if (augment_flags_given(given, "mean") || augment_flags_given(given, "std")) return BC_OK; /* the user set them */
    double mean[DATASET_MAX_CHANNELS], stddev[DATASET_MAX_CHANNELS];
    size_t used;
    Status st = dataset_channel_stats(run->dataset, 10000, mean, stddev, &used);
    if (st != BC_OK) return st;
    int channels = dataset_info(run->dataset)->channels;
    for (int ch = 0; ch < 3; ch++) {
        int from = ch < channels ? ch : 0;
        run->config.augment.mean[ch] = (float)mean[from];
        run->config.augment.std[ch] = stddev[from] > 1e-6 ? (float)stddev[from] : 1.0f;
    }
    return BC_OK;
}

/* Creates and locks the run folder and clears what killed runs left in it. */
static Status claim_run_folder(Run *run, const char *dir) {
    if (!run->leader) return BC_OK;
    Status st = fs_mkdir_p(dir);
    if (st != BC_OK) return error_wrap(st, "--out: ");
    if ((st = run_folder_lock(dir, &run->lock))) return st;
    run_folder_remove_stale_temps(dir);
    return BC_OK;
}

static Status prepare_out_dir(Run *run, const TrainRequest *request, const char *out_dir, char *checkpoint_path,
                              size_t cap) {
    Status st = claim_run_folder(run, out_dir);
    if (st != BC_OK) return st;
    snprintf(checkpoint_path, cap, "%s/%s", out_dir, CHECKPOINT_FILE_NAME);
    if (run->leader && !request->resume && fs_exists(checkpoint_path))
        return error_set(BC_ERR_USAGE, "%s already holds a checkpoint: continue it with --resume, or choose "
                         "another --out (nothing was overwritten)", out_dir);
    return BC_OK;
}

/* A resumed run continues in its own folder, or in a copy when --out names another one. */
static Status resume_into_folder(Run *run, const TrainRequest *request) {
    const char *from = run->config.out_dir;
    if (!request->out_given || fs_same_file(from, request->out_dir)) return claim_run_folder(run, from);
    Status st = claim_run_folder(run, request->out_dir);
    if (st == BC_OK && run->leader) st = run_folder_copy(from, run->checkpoint_path, request->out_dir);
    if (st != BC_OK) return st;
    if (run->leader) printf("copied the run from %s to %s; it continues there (the original is left as it was)\n", from,
           request->out_dir);
    snprintf(run->config.out_dir, sizeof run->config.out_dir, "%s", request->out_dir);
    snprintf(run->checkpoint_path, sizeof run->checkpoint_path, "%s/%s", request->out_dir, CHECKPOINT_FILE_NAME);
    return BC_OK;
}

/* --steps / --epochs given with --resume: the run's new end (the schedules stretch to it). */
static Status resume_with_new_length(TrainConfig *c, const TrainProgress *done, const TrainRequest *r) {
    if (r->steps <= 0 && r->epochs <= 0) return BC_OK;
    int64_t total = r->steps > 0 ? r->steps : r->epochs * c->steps_per_epoch;
    if (total < done->steps_done)
        return error_set(BC_ERR_USAGE, "%s asks for %lld steps, but the run has already done %lld",
                         r->steps > 0 ? "--steps" : "--epochs", (long long)total, (long long)done->steps_done);
    if (total != c->total_steps && dist_info()->rank == 0)
        printf("the run now ends at step %lld instead of %lld; the learning-rate and tau schedules "
               "follow the new end\n", (long long)total, (long long)c->total_steps);
    c->total_steps = total;
    c->budget.minutes = 0; /* an explicit length replaces a time budget */
    c->steps = r->steps > 0 ? r->steps : c->steps;
    c->epochs = r->epochs > 0 ? r->epochs : c->epochs;
    return BC_OK;
}

/* Every rank takes an equal, contiguous share of the global batch. */
static Status split_batch(Run *run) {
    const DistInfo *dist = dist_info();
    int batch = run->config.batch;
    if (batch % dist->size != 0 || batch / dist->size < 2)
        return error_set(BC_ERR_USAGE, "--batch %d cannot be shared by %d ranks: the batch stays the global one "
                         "and each rank trains on batch / ranks images, which must be a whole number of at least 2 "
                         "(for example --batch %d)", batch, dist->size,
                         dist->size * (batch / dist->size > 2 ? batch / dist->size : 2));
    run->local_batch = batch / dist->size;
    run->shard_first = (size_t)dist->rank * (size_t)run->local_batch;
    return BC_OK;
}

static Status open_everything(Run *run, const TrainRequest *request) {
    const DistInfo *dist = dist_info();
    char selector[256];
    Status st = train_dist_choose_device(request->device, selector, sizeof selector);
    if (st == BC_OK) st = device_open(selector, NULL, &run->device);
    if (st != BC_OK) return st;
    const DeviceInfo *dev = device_info(run->device);
    if (dist->size > 1) printf("rank %d of %d on %s: ", dist->rank, dist->size, dist->host);
    device_print_chosen(dev);
    TrainRequest effective = *request;
    if (request->resume) {
        char path[4200], made_on[256];
        train_checkpoint_path(request->resume[0] ? request->resume : request->out_dir, path, sizeof path);
        st = train_checkpoint_read_config(path, &run->config, &run->progress, made_on, sizeof made_on);
        if (st != BC_OK) return error_wrap(st, "--resume: ");
        if (run->leader) printf("resuming %s at step %lld (made on %s); the configuration comes from the checkpoint\n", path,
               (long long)run->progress.steps_done, made_on);
        effective.data_path = run->config.data_path;
        /* A moved run folder: write next to the checkpoint that was given. */
        char dir[sizeof run->config.out_dir];
        snprintf(dir, sizeof dir, "%.1000s", path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        else snprintf(dir, sizeof dir, ".");
        snprintf(run->config.out_dir, sizeof run->config.out_dir, "%s", dir);
        snprintf(run->checkpoint_path, sizeof run->checkpoint_path, "%s", path);
        if ((st = resume_into_folder(run, request))) return st;
        if ((st = resume_with_new_length(&run->config, &run->progress, request))) return st;
    }
    run->first_step = run->progress.steps_done;
    if ((st = train_guard_create(run->device, request->resume ? run->first_step : -1, &run->guard))) return st;
    /* A new run's configuration is resolved from the data: the background comes from the request. */
    if (!request->resume) memcpy(run->config.background, request->background, sizeof run->config.background);
    DatasetOptions data_options = train_config_data_options(&run->config, request->strict);
    st = dataset_open(effective.data_path, DATASET_TRAIN, &data_options, &run->dataset);
    if (st != BC_OK) return st;
    const DatasetInfo *data = dataset_info(run->dataset);
    if (run->leader)
        printf("data:      %s %s, %zu images %dx%dx%d\n", data->format, data->path, data->count, data->height,
               data->width, data->channels);
    if (!request->resume) {
        if ((st = train_config_resolve(request, data, dev, &run->config))) return st;
        if ((st = fill_normalization(run, request))) return st;
        st = prepare_out_dir(run, request, run->config.out_dir, run->checkpoint_path, sizeof run->checkpoint_path);
        if (st != BC_OK) return st;
    }
    if ((st = split_batch(run))) return st;
    LoaderOptions lo = {.batch_size = (size_t)run->config.batch, .seed = run->config.seed, .shuffle = true,
                        .drop_last = true, .buffers = 8};
    if (dist->size > 1) lo.shard_first = run->shard_first, lo.shard_count = (size_t)run->local_batch;
    if ((st = loader_create(run->dataset, &lo, &run->loader))) return st;
    if (!request->resume) train_config_finish((int64_t)loader_steps_per_epoch(run->loader), &run->config);
    st = train_model_create_for_batch(run->device, &run->config, run->local_batch, &run->model);
    if (st == BC_ERR_OUT_OF_MEMORY)
        return error_wrap(st, "%s width %d with batch %d does not fit on %s; try a smaller --batch or "
                          "--width: ", arch_name(run->config.encoder.arch), run->config.encoder.width,
                          run->config.batch, dev->name);
    if (st != BC_OK) return st;
    if ((st = train_dist_attach(&run->dist, &run->model, &stop_signal, request->sync_bn))) return st;
    if (request->resume) {
        if ((st = train_checkpoint_load_state(run->checkpoint_path, &run->model))) return st;
        int64_t spe = run->config.steps_per_epoch, done = run->progress.steps_done;
        if ((st = loader_seek(run->loader, (uint64_t)(done / spe), (uint64_t)(done % spe)))) return st;
    }
    size_t image_bytes = (size_t)run->local_batch * (size_t)data->height * (size_t)data->width * (size_t)data->channels;
    if (request->eval_every > 0 && run->leader) { /* the other ranks go on to the next step's sum */
        if (!request->monitor) return error_set(BC_ERR_USAGE, "train: eval_every without a monitor");
        run->monitor = request->monitor;
        st = run->monitor->create(run->device, &run->config, run->model.online_net, run->model.online,
                                  &run->monitor_state);
        if (st != BC_OK) return st;
    }
    return buffer_create(run->device, image_bytes, &run->images);
}


/* Once per invocation: the projections have (nearly) one direction left. */
static void warn_on_collapse(Run *run, double collapse) {
    double spread = 1.0 / sqrt((double)run->model.out_dim);
    if (run->collapse_warned || !(collapse < COLLAPSE_WARN_FRACTION * spread)) return;
    run->collapse_warned = true;
    metrics_end_line(&run->metrics);
    log_warn("step %lld: the collapse monitor is %.2g, under %g x 1/sqrt(%d) = %.2g: the online projections "
             "of the batch point (nearly) the same way; the representation has collapsed",
             (long long)run->progress.steps_done, collapse, COLLAPSE_WARN_FRACTION, run->model.out_dim,
             COLLAPSE_WARN_FRACTION * spread);
}

/* The run folder's config.json: at the start, and again whenever --minutes (re)plans the length. */
static Status write_config_json(const Run *run) {
    char json_path[4200];
    snprintf(json_path, sizeof json_path, "%s/config.json", run->config.out_dir);
    return train_config_write_json(&run->config, device_info(run->device)->name, json_path);
}

/* --minutes: the first plan of the run's end at TIME_BUDGET_PLAN_STEP, then refinements at
 * the loss read-backs until half the budget has passed (time_budget.h). */
static Status follow_time_budget(Run *run, LrSchedule *schedule) {
    TimeBudget *b = &run->budget;
    TrainConfig *c = &run->config;
    int64_t done = run->progress.steps_done;
    bool refine = b->planned && done % c->log_every == 0 && clock_seconds() <= b->refine_until;
    bool several = dist_info()->size > 1;
    Status st;
    /* Several ranks: rank 0's clock decides, at steps every rank stops at alike. */
    double decision = refine;
    if (several && (time_budget_needs_finish(b, done) || (b->planned && done % c->log_every == 0))) {
        if ((st = dist_broadcast_doubles(&decision, 1))) return st;
        refine = decision != 0.0;
    }
    if (!time_budget_needs_finish(b, done) && !refine) return BC_OK;
    st = device_finish(run->device); /* the pace is the device's, not the queue's */
    if (st != BC_OK) return st;
    release_held(run);
    bool first_plan = !b->planned;
    double now = clock_seconds();
    int64_t total = time_budget_observe(b, done, now, c->total_steps);
    double agreed = (double)total;
    if (several && (st = dist_broadcast_doubles(&agreed, 1))) return st;
    total = (int64_t)agreed;
    if (!b->planned || (total == c->total_steps && !first_plan)) return BC_OK;
    train_config_set_length(c, total);
    c->budget.planned = 1;
    schedule->total_steps = c->total_steps, schedule->warmup_steps = c->warmup_steps;
    if (!run->leader) return BC_OK;
    if ((st = write_config_json(run))) return st;
    if (!first_plan) return BC_OK;
    metrics_end_line(&run->metrics);
    printf("planned:   %lld steps (%.2f epochs) for %g minutes at %.3f s per step (steps %lld-%lld), warmup "
           "%lld steps; refined until half time\n", (long long)c->total_steps,
           (double)c->total_steps / (double)c->steps_per_epoch, c->budget.minutes,
           time_budget_pace(b, done, now), (long long)b->pace_from_step + 1, (long long)done,
           (long long)c->warmup_steps);
    fflush(stdout);
    return BC_OK;
}

static Status train_loop(Run *run, const TrainRequest *request) {
    TrainConfig *c = &run->config;
    LrSchedule schedule = {.base_lr = c->base_lr, .batch = c->batch, .warmup_steps = c->warmup_steps,
                           .total_steps = c->total_steps};
    const DatasetInfo *data = dataset_info(run->dataset);
    Status st = run->leader ? metrics_open(&run->metrics, c->out_dir, run->progress.steps_done, request->quiet,
                                           c->log_every)
                            : BC_OK;
    if (st != BC_OK) return st;
    double start = clock_seconds(), last_log = start, last_checkpoint = start;
    double wall_before = run->progress.wall_s;
    int64_t images_since_log = 0, first_step = run->progress.steps_done;
    if (run->follows_budget)
        time_budget_start(&run->budget, 60.0 * c->budget.minutes - wall_before - (start - run->started), start,
                          first_step);
    while (run->progress.steps_done < c->total_steps) {
        int64_t step = run->progress.steps_done;
        Batch batch;
        if ((st = loader_next_batch(run->loader, &batch))) return st;
        size_t bytes = batch.count * (size_t)data->height * (size_t)data->width * (size_t)data->channels;
        if ((st = buffer_write_async(run->device, run->images, 0, bytes, batch.images))) return st;
        run->held[run->held_count++] = batch;
        for (int v = 0; v < 2 && st == BC_OK; v++)
            st = augment_batch_range(run->device, &c->augment, v, c->seed, (int)batch.epoch, (int)batch.step,
                                     (int)run->shard_first, byol_model_view(&run->model, v), run->images,
                                     (int)batch.count, data->height, data->width, data->channels);
        double lr = learning_rate_at(&schedule, step), tau = target_tau_at(c->tau_base, step, c->total_steps);
        if (st == BC_OK) st = byol_model_step(&run->model, &c->optimizer, lr, tau);
        if (st == BC_OK) st = train_guard_after_step(&run->guard, run->model.loss, 2, step + 1);
        if (st == BC_OK) st = train_dist_check(&run->dist, &run->model, step + 1);
        if (st != BC_OK) return st;
        run->progress.steps_done = step + 1;
        if (run->follows_budget && (st = follow_time_budget(run, &schedule))) return st;
        images_since_log += c->batch;
        bool last = run->progress.steps_done == c->total_steps;
        bool stop_asked = request->stop_after > 0 && run->progress.steps_done - first_step >= request->stop_after;
        /* Every rank decides alike when to log (the loss is averaged then); only rank 0 evaluates. */
        bool eval_now = request->eval_every > 0 && (run->progress.steps_done % request->eval_every == 0 || last);
        int stopping = stop_signal; /* read once: a signal now must not skip the save it reports */
        if (run->dist.info->size > 1) /* the ranks agreed in the step's gradient sum */
            stopping = train_dist_stop_asked(&run->dist) ? (stopping ? stopping : SIGTERM) : 0;
        bool log_now = run->progress.steps_done % c->log_every == 0 || last || stopping || stop_asked || eval_now;
        double now = clock_seconds();
        bool save_now = run->leader && checkpoint_due(c, run->progress.steps_done, now - last_checkpoint,
                                                      last || stopping || stop_asked);
        if (run->held_count == (int)(sizeof run->held / sizeof run->held[0]) && !log_now && !save_now) {
            if ((st = device_finish(run->device))) return st;
            release_held(run);
        }
        if (save_now && !log_now) { /* a checkpoint between two logging steps */
            run->progress.wall_s = wall_before + (now - start);
            if ((st = save_checkpoint(run, "periodic"))) return st;
            release_held(run); /* the save waited for the device */
            last_checkpoint = now;
        }
        if (!log_now) continue;
        double loss, collapse;
        if ((st = byol_model_read_step(&run->model, &loss, &collapse))) return st; /* also drains the queue */
        release_held(run);
        if ((st = train_dist_average_readout(&run->dist, &loss, &collapse))) return st;
        run->last_loss = loss;
        if ((st = train_guard_check(&run->guard, c, run->checkpoint_path))) return st;
        double t = clock_seconds();
        run->progress.wall_s = wall_before + (t - start);
        MetricsRecord record = {.step = run->progress.steps_done, .total_steps = c->total_steps,
                                .epoch = (int)batch.epoch, .loss = loss, .lr = lr,
                                .tau = c->method.kind == METHOD_SIMCLR ? NAN : tau, /* SimCLR has no target */
                                .images_per_s = (double)images_since_log / (t - last_log),
                                .wall_s = run->progress.wall_s, .knn_accuracy = NAN, .collapse = collapse};
        if (run->leader) warn_on_collapse(run, collapse);
        images_since_log = 0;
        if (eval_now && run->monitor && (st = run->monitor->measure(run->monitor_state, &record.knn_accuracy)))
            return st;
        last_log = clock_seconds(); /* evaluation time does not count against images/s */
        if (run->leader && (st = metrics_write(&run->metrics, &record))) return st;
        if (run->leader) metrics_show(&run->metrics, &record);
        if (save_now) {
            if ((st = save_checkpoint(run, last ? "end" : "periodic"))) return st;
            last_checkpoint = t;
        }
        if (stopping && !run->leader)
            return error_set(BC_ERR_INTERRUPTED, "stopped at step %lld with every rank (rank 0 saved the checkpoint)",
                             (long long)run->progress.steps_done);
        if (stopping) {
            metrics_end_line(&run->metrics);
            return error_set(BC_ERR_INTERRUPTED,
                             "stopped by %s at step %lld; checkpoint saved to %s (continue with "
                             "--resume %s)", stopping == SIGINT ? "SIGINT" : "SIGTERM",
                             (long long)run->progress.steps_done, run->checkpoint_path, c->out_dir);
        }
        if (stop_asked && !last) {
            metrics_end_line(&run->metrics);
            if (run->leader) printf("stopped after %lld steps as asked (--stop-after) at step %lld of %lld; continue with "
                   "--resume %s\n", (long long)request->stop_after, (long long)run->progress.steps_done,
                   (long long)c->total_steps, c->out_dir);
            return BC_OK;
        }
    }
    return BC_OK;
}

Status train_run(const TrainRequest *request) {
    Run run;
    memset(&run, 0, sizeof run);
    run.lock.lock_fd = -1;
    run.started = clock_seconds();
    run.leader = dist_info()->rank == 0;
    stop_signal = 0;
    struct sigaction action = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    Status st = open_everything(&run, request);
    /* A rank that could not start tells the others, which would otherwise wait for it. */
    bool all_started = true;
    Status agreed = dist_all_ok(st == BC_OK, &all_started);
    if (st == BC_OK && agreed != BC_OK) st = agreed;
    if (st == BC_OK && !all_started)
        st = error_set(BC_ERR_IO, "another rank could not start the run (its message says why); nothing was trained");
    char description[512] = "";
    if (st == BC_OK) network_describe(run.model.online_net, run.model.online, description, sizeof description);
    if (st == BC_OK) st = train_dist_check_same_run(&run.dist, &run.config, description, dataset_info(run.dataset));
    bool together = st == BC_OK; /* from here on an error on one rank stops them all */
    if (st == BC_OK && run.leader) {
        printf("network:   %s\n", description);
        train_config_print(&run.config, stdout);
        if (dist_info()->size > 1)
            printf("ranks:     %d, %d images each per step, batch norm %s\n", dist_info()->size, run.local_batch,
                   run.dist.sync_bn ? "over the whole batch (--sync-bn on)" : "per rank (--sync-bn off)");
        st = write_config_json(&run);
        fflush(stdout);
    }
    run.follows_budget = st == BC_OK && run.config.budget.minutes > 0 && !run.config.budget.planned;
    if (st == BC_OK) st = train_loop(&run, request);
    if (together && st != BC_OK && st != BC_ERR_INTERRUPTED && dist_info()->size > 1)
        dist_abort(status_exit_code(st), error_last()); /* the others are waiting in a sum */
    if (together && dist_info()->size > 1) {
        /* No rank leaves before rank 0 has saved: mpirun ends the job at the first non-zero exit. */
        char message[1024];
        snprintf(message, sizeof message, "%s", error_last());
        bool all_done;
        if (dist_all_ok(true, &all_done) != BC_OK) dist_abort(1, error_last());
        if (st != BC_OK) error_set(st, "%s", message);
    }
    if (!run.leader) {
    } else if (st == BC_OK && run.progress.steps_done < run.config.total_steps) {
        printf("checkpoint: %s\n", run.checkpoint_path);
    } else if (st == BC_OK && run.progress.steps_done == run.first_step) {
        printf("the run is already complete (%lld of %lld steps); nothing to do. Extend it with --resume "
               "--steps N.\ncheckpoint: %s\n", (long long)run.progress.steps_done,
               (long long)run.config.total_steps, run.checkpoint_path);
    } else if (st == BC_OK) {
        metrics_end_line(&run.metrics);
        printf("done: %lld steps in %.1f s (%.1f images/s), final loss %.4f on %s\ncheckpoint: %s\n",
               (long long)run.progress.steps_done, run.progress.wall_s,
               run.progress.wall_s > 0 ? (double)run.progress.steps_done * run.config.batch / run.progress.wall_s : 0.0,
               run.last_loss, device_info(run.device)->name, run.checkpoint_path);
    }
    if (st == BC_OK) train_dist_report(&run.dist);
    run_close(&run);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return st;
}
