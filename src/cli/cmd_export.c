/* cmd_export.c — `byolcl export`: a checkpoint's encoder as safetensors with torchvision's
 * ResNet names (tools/byolcl_torch.py builds the matching PyTorch module). */
#include <stdio.h>
#include <string.h>

#include "byolcl/export.h"
#include "util/cli_flags.h"
#include "cli/commands.h"

Status command_export(int argc, char **argv) {
    ExportRequest r = {.out = "encoder.safetensors"};
    const char *checkpoint = NULL, *part = "online";
    bool help = false;
    const CliFlag flags[] = {
        {"--checkpoint", FLAG_STRING, &checkpoint, "checkpoint file, or a run folder holding checkpoint.ckpt (required)"},
        {"--out", FLAG_STRING, &r.out, "the .safetensors file to write"},
        {"--part", FLAG_STRING, &part, "online (the encoder papers evaluate) or target (the EMA network)"},
        {"--with-heads", FLAG_BOOL, &r.with_heads, "also write projector.* (and predictor.* for online)"},
    };
    const int count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, count, "byolcl export --checkpoint CKPT [--out encoder.safetensors]",
                       "Writes the encoder's parameters and BatchNorm running statistics as safetensors with\n"
                       "torchvision's ResNet state_dict() names (conv1.weight, bn1.*, layer1.0.conv1.weight, ...):\n"
                       "torchvision's resnet18/resnet50 load it (with the 3x3 stem and no max-pool for small\n"
                       "images, fc = Identity); the metadata holds the architecture and the input normalization.", &help);
    if (st != BC_OK || help) return st;
    if (!checkpoint) return error_set(BC_ERR_USAGE, "--checkpoint is required (a checkpoint file or a run folder)");
    if (strcmp(part, "online") != 0 && strcmp(part, "target") != 0)
        return error_set(BC_ERR_USAGE, "--part: '%s' is not online or target", part);
    r.target = strcmp(part, "target") == 0;
    char path[4200];
    if ((st = cli_resolve_checkpoint(checkpoint, path, sizeof path))) return st;
    r.checkpoint = path;
    ExportSummary summary;
    if ((st = export_encoder(&r, &summary))) return st;
    printf("encoder: %s (%s network, %lld steps trained)\n", summary.architecture, part, summary.steps_trained);
    printf("wrote %s: %d tensors, %zu values\n", r.out, summary.tensors, summary.parameters);
    return BC_OK;
}
