/* cmd_plot.c — `byolcl plot`: a run's loss (and kNN accuracy when logged) as a PNG. */
#include <stdio.h>

#include "byolcl/eval.h"
#include "cli/cli_flags.h"
#include "cli/commands.h"

Status command_plot(int argc, char **argv) {
    const char *run = NULL, *out = "loss.png";
    bool help = false;
    const CliFlag flags[] = {
        {"--run", FLAG_STRING, &run, "run folder (reads its metrics.jsonl) or a metrics.jsonl file (required)"},
        {"--out", FLAG_STRING, &out, "the PNG to write"},
    };
    const int count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, count, "byolcl plot --run DIR [--out loss.png]",
                       "Plots a training run's loss against steps, and its kNN accuracy when it was\n"
                       "logged (train --eval-every).", &help);
    if (st != BC_OK || help) return st;
    if (!run) return error_set(BC_ERR_USAGE, "--run is required (a run folder or a metrics.jsonl file)");
    st = plot_metrics(run, out);
    if (st == BC_OK) printf("plot: %s\n", out);
    return st;
}
