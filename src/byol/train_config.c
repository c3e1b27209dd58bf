/* train_config.c — turning a `byolcl train` request into a full configuration: defaults
 * chosen from the data (image size, channels) and the device (CPU: the small ResNet with
 * narrower heads; GPU: ResNet-18 for images up to 64 px, ResNet-50 above), every choice
 * overridable; and printing it for the user and as config.json. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "byol/time_budget.h"
#include "byol/train_internal.h"
#include "util/json.h"

const char *bn_views_name(BnViews views) { return views == BN_VIEWS_CONCAT ? "concat" : "separate"; }

Status bn_views_parse(const char *text, BnViews *out) {
    for (BnViews v = BN_VIEWS_SEPARATE; v <= BN_VIEWS_CONCAT; v++)
        if (strcasecmp(text, bn_views_name(v)) == 0) {
            *out = v;
            return BC_OK;
        }
    return error_set(BC_ERR_USAGE, "--bn-views: '%s' is not one of separate, concat", text);
}

void train_request_defaults(TrainRequest *r) {
    memset(r, 0, sizeof *r);
    r->width = r->stages = r->image_size = r->batch = r->proj_hidden = r->proj_out = r->pred_hidden = -1;
    r->epochs = r->steps = -1;
    r->lr = r->wd = r->warmup_epochs = r->tau_base = r->lars_eta = r->temperature = NAN;
    r->seed = 0;
    r->sync_bn = -1;
    r->log_every = 10;
    r->checkpoint_every = 0;
    r->checkpoint_minutes = 10.0;
    r->out_dir = "byolcl-run";
    r->bn_views = bn_views_name(TRAIN_BN_VIEWS_DEFAULT);
    memset(r->background, 255, sizeof r->background);
}

static Status check_positive(const char *flag, double value) {
    if (value <= 0) return error_set(BC_ERR_USAGE, "%s must be positive (got %g)", flag, value);
    return BC_OK;
}

Status train_config_resolve(const TrainRequest *r, const DatasetInfo *data, const DeviceInfo *device,
                            TrainConfig *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->data_path, sizeof c->data_path, "%s", r->data_path ? r->data_path : "");
    snprintf(c->out_dir, sizeof c->out_dir, "%s", r->out_dir);
    if (data->height != data->width && r->image_size < 0)
        return error_set(BC_ERR_USAGE, "the images are %dx%d; pass --image-size S to train on SxS crops",
                         data->height, data->width);
    int size = r->image_size > 0 ? r->image_size : data->height;
    if (size < TRAIN_MIN_IMAGE_SIZE)
        return error_set(BC_ERR_USAGE, "%s: the images are %dx%d, smaller than the %d px the encoder needs; "
                         "pass --image-size S (at least %d) to train on resized views", data->path, data->height,
                         data->width, TRAIN_MIN_IMAGE_SIZE, TRAIN_MIN_IMAGE_SIZE);
    bool cpu = device->kind == DEVICE_CPU;
    ArchKind arch = cpu ? ARCH_SMALL : size <= SMALL_IMAGE_MAX_SIDE ? ARCH_RESNET18 : ARCH_RESNET50;
    Status st = r->arch ? arch_parse(r->arch, &arch) : BC_OK;
    if (st != BC_OK) return st;
    encoder_config_defaults(&c->encoder, arch, data->channels, size);
    if (r->width > 0) c->encoder.width = r->width;
    if (r->stages > 0 && (st = encoder_config_set_stages(&c->encoder, r->stages))) return st;
    bool small = arch == ARCH_SMALL;
    /* The paper's heads are 4096 -> 256; the small CPU model gets narrower ones. */
    c->projector.hidden = r->proj_hidden > 0 ? r->proj_hidden : small ? 512 : 4096;
    c->projector.out = r->proj_out > 0 ? r->proj_out : small ? 128 : 256;
    c->predictor.hidden = r->pred_hidden > 0 ? r->pred_hidden : c->projector.hidden;
    c->predictor.out = c->projector.out;
    c->batch = r->batch > 0 ? r->batch : 256;
    if (r->batch == 0 || r->batch == 1)
        return error_set(BC_ERR_USAGE, "--batch must be at least 2 (batch norm needs batch statistics)");
    if ((size_t)c->batch > data->count)
        return error_set(BC_ERR_USAGE, "--batch %d is larger than the dataset (%zu images)", c->batch, data->count);
    OptimizerKind kind = OPTIMIZER_LARS;
    if (r->optimizer && (st = optimizer_kind_parse(r->optimizer, &kind))) return st;
    c->optimizer = optimizer_config_default(kind);
    c->base_lr = 0.2;
    if (kind == OPTIMIZER_SGD) {
        c->base_lr = 0.1, c->optimizer.weight_decay = 5e-4f;
    } else if (size <= SMALL_IMAGE_MAX_SIDE) {
        /* The paper's LARS (lr 0.2 per 256, eta 1e-3) is tuned for batch 4096 over hundreds of
         * epochs; with it a short small-image run barely moves the encoder (measured: after 2
         * Fashion-MNIST epochs still below its random init). The common small-image recipe
         * (lr 1.0 per 256, eta 0.02, wd 1e-5) beats random init within 150 steps. */
        c->base_lr = 1.0, c->optimizer.trust_coefficient = 0.02f, c->optimizer.weight_decay = 1e-5f;
    }
    if (!isnan(r->wd)) c->optimizer.weight_decay = (float)r->wd;
    if (!isnan(r->lars_eta)) c->optimizer.trust_coefficient = (float)r->lars_eta;
    if (c->optimizer.trust_coefficient <= 0) return error_set(BC_ERR_USAGE, "--lars-eta must be positive");
    if (!isnan(r->lr)) c->base_lr = r->lr;
    /* The paper's 0.996 is for ~10^5 steps; small-image runs (tens of epochs of 234 steps on a
     * CPU) keep pace with a faster target, as CIFAR recipes do (docs/training.md#defaults). */
    c->tau_base = !isnan(r->tau_base) ? r->tau_base : size <= SMALL_IMAGE_MAX_SIDE ? 0.99 : 0.996;
    c->warmup_epochs = r->warmup_epochs;
    c->epochs = r->epochs;
    c->steps = r->steps;
    c->seed = (uint64_t)r->seed;
    augment_config_default_for(&c->augment, size);
    if ((st = augment_flags_apply(&r->augment_flags, &c->augment))) return st;
    c->augment.out_h = c->augment.out_w = size;
    c->log_every = r->log_every > 0 ? r->log_every : 10;
    c->checkpoint_every = r->checkpoint_every;
    c->checkpoint_minutes = r->checkpoint_minutes;
    memcpy(c->background, r->background, sizeof c->background);
    if ((st = method_config_resolve(r, size, &c->method))) return st;
    BnViews bn_views = TRAIN_BN_VIEWS_DEFAULT;
    if (r->bn_views && (st = bn_views_parse(r->bn_views, &bn_views))) return st;
    c->bn_views = bn_views;
    if ((st = check_positive("--lr", c->base_lr))) return st;
    if (c->tau_base < 0 || c->tau_base > 1)
        return error_set(BC_ERR_USAGE, "--tau-base must lie in [0, 1] (got %g)", c->tau_base);
    if (c->optimizer.weight_decay < 0) return error_set(BC_ERR_USAGE, "--wd must not be negative");
    if (r->epochs == 0 || r->steps == 0) return error_set(BC_ERR_USAGE, "--epochs / --steps must be positive");
    if (r->minutes > 0 && (r->epochs > 0 || r->steps > 0))
        return error_set(BC_ERR_USAGE, "--minutes plans the run's length from its pace; it cannot be combined "
                         "with %s", r->steps > 0 ? "--steps" : "--epochs");
    c->budget = (TrainBudget){.minutes = r->minutes > 0 ? r->minutes : 0, .warmup_given = !isnan(r->warmup_epochs)};
    return augment_config_validate(&c->augment);
}

void train_config_set_length(TrainConfig *c, int64_t total_steps) {
    c->total_steps = total_steps;
    /* The paper warms up for 10 epochs of 1000; a short run warms up for a tenth of it. */
    if (c->budget.warmup_given) c->warmup_steps = (int64_t)llround(c->warmup_epochs * (double)c->steps_per_epoch);
    else {
        c->warmup_steps = 10 * c->steps_per_epoch;
        if (c->warmup_steps > c->total_steps / 10) c->warmup_steps = c->total_steps / 10;
    }
    c->warmup_epochs = (double)c->warmup_steps / (double)c->steps_per_epoch;
}

void train_config_finish(int64_t steps_per_epoch, TrainConfig *c) {
    c->steps_per_epoch = steps_per_epoch;
    /* A --minutes run starts as if it were the default 100 epochs; its length is planned
     * after TIME_BUDGET_PLAN_STEP steps, while the warmup's learning rate is still ~0. */
    train_config_set_length(c, c->steps > 0 ? c->steps : (c->epochs > 0 ? c->epochs : 100) * steps_per_epoch);
}

DatasetOptions train_config_data_options(const TrainConfig *c, bool strict) {
    DatasetOptions o = {.strict = strict, .background_set = true};
    memcpy(o.background, c->background, sizeof o.background);
    return o;
}

void train_config_print(const TrainConfig *c, FILE *out) {
    if (c->method.kind == METHOD_SIMCLR)
        fprintf(out, "method:    simclr, NT-Xent temperature %g, %d negatives per view\n", c->method.temperature,
                2 * c->batch - 2);
    else
        fprintf(out, "method:    byol%s%s\n", c->method.predictor ? "" : ", no predictor (ablation)",
                c->tau_base == 0.0   ? ", tau 0: the target is the online network behind a stop-gradient (ablation)"
                : c->tau_base == 1.0 ? ", tau 1: the target stays the random initial network (ablation)"
                                     : "");
    if (c->budget.minutes > 0 && !c->budget.planned)
        fprintf(out, "training:  batch %d, %g minutes: the length is planned from the pace of the first %d steps "
                "(%lld per epoch)\n", c->batch, c->budget.minutes, TIME_BUDGET_PLAN_STEP,
                (long long)c->steps_per_epoch);
    else
        fprintf(out, "training:  batch %d, %lld steps (%lld per epoch, %.2f epochs), warmup %lld steps%s\n",
                c->batch, (long long)c->total_steps, (long long)c->steps_per_epoch,
                (double)c->total_steps / (double)c->steps_per_epoch, (long long)c->warmup_steps,
                c->budget.minutes > 0 ? " (planned for the time budget)" : "");
    if (c->bn_views == BN_VIEWS_CONCAT)
        fprintf(out, "bn views:  concat: both views in one forward of %d images, batch norm over both\n", 2 * c->batch);
    else
        fprintf(out, "bn views:  separate: one forward per view, batch norm over each view's %d images\n", c->batch);
    fprintf(out, "optimizer: %s, lr %g per 256 images (peak %g), momentum %g, weight decay %g",
            optimizer_kind_name(c->optimizer.kind), c->base_lr, c->base_lr * c->batch / 256.0,
            c->optimizer.momentum, c->optimizer.weight_decay);
    if (c->optimizer.kind == OPTIMIZER_LARS) fprintf(out, ", trust coefficient %g", c->optimizer.trust_coefficient);
    if (c->method.kind == METHOD_BYOL) fprintf(out, "; tau_base %g", c->tau_base);
    fprintf(out, "; seed %llu\n", (unsigned long long)c->seed);
    fprintf(out, "normalize: mean %.4f %.4f %.4f, std %.4f %.4f %.4f\n", c->augment.mean[0], c->augment.mean[1],
            c->augment.mean[2], c->augment.std[0], c->augment.std[1], c->augment.std[2]);
}

Status train_config_write_json(const TrainConfig *c, const char *device_name, const char *path) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return error_set(BC_ERR_IO, "%s: cannot write", tmp);
    fprintf(f, "{\n  \"device\": ");
    json_write_string(f, device_name);
    fprintf(f, ",\n  \"data\": ");
    json_write_string(f, c->data_path[0] ? c->data_path : DATASET_DEFAULT_PATH);
    fprintf(f, ",\n  \"arch\": \"%s\", \"width\": %d, \"stages\": %d, \"small_stem\": %s, \"image_size\": %d, \"channels\": %d,\n",
            arch_name(c->encoder.arch), c->encoder.width, c->encoder.stages, c->encoder.small_stem ? "true" : "false",
            c->encoder.image_size, c->encoder.in_channels);
    fprintf(f, "  \"proj_hidden\": %d, \"proj_out\": %d, \"pred_hidden\": %d,\n", c->projector.hidden,
            c->projector.out, c->predictor.hidden);
    fprintf(f, "  \"batch\": %d, \"total_steps\": %lld, \"steps_per_epoch\": %lld, \"warmup_steps\": %lld,\n",
            c->batch, (long long)c->total_steps, (long long)c->steps_per_epoch, (long long)c->warmup_steps);
    fprintf(f, "  \"optimizer\": \"%s\", \"lr\": %g, \"momentum\": %g, \"weight_decay\": %g, \"trust_coefficient\": %g,\n",
            optimizer_kind_name(c->optimizer.kind), c->base_lr, c->optimizer.momentum,
            c->optimizer.weight_decay, c->optimizer.trust_coefficient);
    fprintf(f, "  \"method\": \"%s\", \"predictor\": %s, \"temperature\": %g, \"bn_views\": \"%s\",\n",
            method_kind_name((MethodKind)c->method.kind), c->method.predictor ? "true" : "false", c->method.temperature,
            bn_views_name((BnViews)c->bn_views));
    fprintf(f, "  \"tau_base\": %g, \"seed\": %llu, \"minutes\": %g,\n", c->tau_base, (unsigned long long)c->seed,
            c->budget.minutes);
    fprintf(f, "  \"augment\": {\"size\": %d, \"mean\": [%g, %g, %g], \"std\": [%g, %g, %g], \"views\": [",
            c->augment.out_h, c->augment.mean[0], c->augment.mean[1], c->augment.mean[2], c->augment.std[0],
            c->augment.std[1], c->augment.std[2]);
    for (int v = 0; v < 2; v++) {
        const AugmentViewConfig *a = &c->augment.view[v];
        fprintf(f, "%s\n    {\"crop_area\": [%g, %g], \"crop_aspect\": [%g, %g], \"flip\": %g, \"jitter\": %g, "
                   "\"brightness\": %g, \"contrast\": %g, \"saturation\": %g, \"hue\": %g, \"grayscale\": %g, "
                   "\"blur\": %g, \"blur_sigma\": [%g, %g], \"solarize\": %g}",
                v ? "," : "", a->crop_area_min, a->crop_area_max, a->crop_aspect_min, a->crop_aspect_max,
                a->flip_prob, a->jitter_prob, a->brightness, a->contrast, a->saturation, a->hue,
                a->grayscale_prob, a->blur_prob, a->blur_sigma_min, a->blur_sigma_max, a->solarize_prob);
    }
    fprintf(f, "]}\n}\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) return error_set(BC_ERR_IO, "%s: cannot write", path);
    return BC_OK;
}
