/* tensor_names.c — byolcl's arena names to torchvision's ResNet state_dict() names. */
#include <stdio.h>
#include <string.h>

#include "byolcl/export.h"

/* "stem.bn.running_mean" style tails: conv / bn and the parameter after them. */
static bool split_tail(const char *tail, char *layer, char *param) {
    int used = 0;
    return sscanf(tail, "%7[a-z0-9].%31[a-z_]%n", layer, param, &used) == 2 && tail[used] == '\0';
}

static Status encoder_name(const char *rest, char *out, size_t cap, const char *full) {
    char layer[8], param[32];
    int stage, block, used = 0;
    if (strncmp(rest, "stem.", 5) == 0 && split_tail(rest + 5, layer, param)) {
        snprintf(out, cap, "%s1.%s", layer, param); /* conv1.weight, bn1.* */
        return BC_OK;
    }
    if (sscanf(rest, "stage%d.block%d.%n", &stage, &block, &used) != 2 || used == 0)
        return error_set(BC_ERR_FORMAT, "parameter '%s' has no torchvision name", full);
    const char *tail = rest + used;
    int conv = 0, sub = 0;
    if (sscanf(tail, "%d.%n", &conv, &sub) == 1 && sub > 0 && split_tail(tail + sub, layer, param))
        snprintf(out, cap, "layer%d.%d.%s%d.%s", stage, block, layer, conv, param);
    else if (strncmp(tail, "shortcut.", 9) == 0 && split_tail(tail + 9, layer, param))
        snprintf(out, cap, "layer%d.%d.downsample.%d.%s", stage, block, strcmp(layer, "conv") == 0 ? 0 : 1, param);
    else
        return error_set(BC_ERR_FORMAT, "parameter '%s' has no torchvision name", full);
    return BC_OK;
}

/* Heads as nn.Sequential(Linear, BatchNorm1d, ReLU, Linear): fc1 -> 0, bn -> 1, fc2 -> 3. */
static Status head_name(const char *head, const char *rest, char *out, size_t cap, const char *full) {
    static const struct {
        const char *ours;
        int index;
    } parts[3] = {{"fc1", 0}, {"bn", 1}, {"fc2", 3}};
    char layer[8], param[32];
    if (split_tail(rest, layer, param))
        for (int i = 0; i < 3; i++)
            if (strcmp(layer, parts[i].ours) == 0) {
                snprintf(out, cap, "%s.%d.%s", head, parts[i].index, param);
                return BC_OK;
            }
    return error_set(BC_ERR_FORMAT, "parameter '%s' has no torchvision name", full);
}

Status export_tensor_name(const char *arena_name, char *out, size_t cap) {
    if (strncmp(arena_name, "encoder.", 8) == 0) return encoder_name(arena_name + 8, out, cap, arena_name);
    if (strncmp(arena_name, "projector.", 10) == 0) return head_name("projector", arena_name + 10, out, cap, arena_name);
    if (strncmp(arena_name, "predictor.", 10) == 0) return head_name("predictor", arena_name + 10, out, cap, arena_name);
    return error_set(BC_ERR_FORMAT, "parameter '%s' has no torchvision name", arena_name);
}
