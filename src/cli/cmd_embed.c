/* cmd_embed.c — `byolcl embed`: the PCA picture of the test features, random init next to
 * the trained encoder (or encoders). */
#include <stdio.h>
#include <string.h>

#include "byolcl/eval.h"
#include "util/cli_flags.h"
#include "cli/commands.h"

Status command_embed(int argc, char **argv) {
    EmbedRequest r = {.device = device_default_selector(), .out_png = "embed.png", .points = 2000, .batch = 256};
    const char *checkpoint = NULL;
    int points = (int)r.points;
    bool help = false;
    const CliFlag flags[] = {
        {"--checkpoint", FLAG_STRING, &checkpoint, "checkpoint file, or a run folder holding checkpoint.ckpt (required); several, comma-separated, side by side"},
        {"--data", FLAG_STRING, &r.data_path, "labeled dataset with a test split (default: the checkpoint's)"},
        {"--device", FLAG_STRING, &r.device, "OpenCL device selector (auto, gpu, cpu, P:D, N, name)"},
        {"--out", FLAG_STRING, &r.out_png, "the PNG to write"},
        {"--points", FLAG_INT, &points, "test images to draw, evenly spaced (0 = all)", 0, CLI_COUNT_MAX},
        {"--batch", FLAG_INT, &r.batch, "images per feature-extraction batch", 1, 65536},
    };
    const int count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, count, "byolcl embed --checkpoint CKPT [--out embed.png] [flags]",
                       "Draws the test images' features projected to 2-D by PCA, colored by class: the\n"
                       "random-init encoder on the left, the trained encoder on the right (several\n"
                       "checkpoints, comma-separated: one panel each, e.g. BYOL next to SimCLR).", &help);
    if (st != BC_OK || help) return st;
    if (!checkpoint) return error_set(BC_ERR_USAGE, "--checkpoint is required (a checkpoint file or a run folder)");
    r.points = (size_t)points;
    char path[4200];
    for (const char *p = checkpoint; *p;) { /* each named one must exist */
        const char *end = strchr(p, ',');
        char one[4200];
        snprintf(one, sizeof one, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
        if (one[0] && (st = cli_resolve_checkpoint(one, path, sizeof path))) return st;
        p = end ? end + 1 : p + strlen(p);
    }
    if (!strchr(checkpoint, ',')) r.checkpoint = path;
    else r.checkpoint = checkpoint;
    return embed_run(&r);
}
