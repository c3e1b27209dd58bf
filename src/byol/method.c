/* method.c — which objective a run trains (BYOL, its ablations, SimCLR): the names, the
 * resolved method configuration, and the model built for it. */
#include <math.h>
#include <strings.h>

#include "byol/simclr.h"
#include "byol/train_internal.h"

const char *method_kind_name(MethodKind kind) { return kind == METHOD_SIMCLR ? "simclr" : "byol"; }

Status method_kind_parse(const char *text, MethodKind *out) {
    for (MethodKind k = METHOD_BYOL; k <= METHOD_SIMCLR; k++)
        if (strcasecmp(text, method_kind_name(k)) == 0) {
            *out = k;
            return BC_OK;
        }
    return error_set(BC_ERR_USAGE, "--method: '%s' is not one of byol, simclr", text);
}

const char *method_title(const MethodConfig *m, double tau_base) {
    if (m->kind == METHOD_SIMCLR) return "SimCLR";
    if (!m->predictor) return "BYOL, no predictor";
    return tau_base == 0.0 ? "BYOL, tau 0" : tau_base == 1.0 ? "BYOL, tau 1" : "BYOL";
}

Status method_config_resolve(const TrainRequest *r, int image_size, MethodConfig *m) {
    MethodKind kind = METHOD_BYOL;
    Status st = r->method ? method_kind_parse(r->method, &kind) : BC_OK;
    if (st != BC_OK) return st;
    m->kind = kind;
    m->predictor = kind == METHOD_BYOL && !r->no_predictor;
    m->temperature = 0.0;
    if (kind == METHOD_BYOL) {
        if (!isnan(r->temperature))
            return error_set(BC_ERR_USAGE, "--temperature belongs to --method simclr (BYOL has no softmax)");
        return BC_OK;
    }
    if (r->no_predictor)
        return error_set(BC_ERR_USAGE, "--no-predictor is a BYOL ablation; SimCLR has no predictor to remove");
    if (!isnan(r->tau_base))
        return error_set(BC_ERR_USAGE, "--tau-base sets BYOL's target network; SimCLR has none");
    /* SimCLR's CIFAR-10 runs use 0.5; its ImageNet runs 0.1. */
    m->temperature = !isnan(r->temperature) ? r->temperature : image_size <= SMALL_IMAGE_MAX_SIDE ? 0.5 : 0.1;
    if (!(m->temperature > 0) || !isfinite(m->temperature))
        return error_set(BC_ERR_USAGE, "--temperature must be positive (got %g)", m->temperature);
    return BC_OK;
}

const HeadConfig *train_config_predictor(const TrainConfig *c) {
    return c->method.kind == METHOD_BYOL && c->method.predictor ? &c->predictor : NULL;
}

Status train_model_create(Device *device, const TrainConfig *c, ByolModel *model) {
    return train_model_create_for_batch(device, c, c->batch, model);
}

Status train_model_create_for_batch(Device *device, const TrainConfig *c, int batch, ByolModel *model) {
    if (c->method.kind == METHOD_SIMCLR)
        return simclr_model_create(device, &c->encoder, &c->projector, batch, (BnViews)c->bn_views, c->seed,
                                   (float)c->method.temperature, model);
    return byol_model_create(device, &c->encoder, &c->projector, train_config_predictor(c), batch,
                             (BnViews)c->bn_views, c->seed, model);
}
