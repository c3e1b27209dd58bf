/* cmd_plot.c — `byolcl plot`: a run's loss, collapse monitor and kNN accuracy (when
 * logged) as a PNG, or the collapse monitors of several runs on one panel. */
#include <stdio.h>
#include <string.h>

#include "byolcl/eval.h"
#include "util/cli_flags.h"
#include "cli/commands.h"

Status command_plot(int argc, char **argv) {
    const char *run = NULL, *out = "loss.png";
    bool help = false;
    const CliFlag flags[] = {
        {"--run", FLAG_STRING, &run, "run folder (reads its metrics.jsonl) or a metrics.jsonl file (required); several, comma-separated: their collapse monitors on one panel"},
        {"--out", FLAG_STRING, &out, "the PNG to write"},
    };
    const int count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, count, "byolcl plot --run DIR[,DIR...] [--out loss.png]",
                       "Plots a training run's loss and collapse monitor against steps, and its kNN\n"
                       "accuracy against minutes of training when it was logged (train --eval-every).\n"
                       "Several runs: their collapse monitors together (BYOL against SimCLR and the\n"
                       "ablations).", &help);
    if (st != BC_OK || help) return st;
    if (!run) return error_set(BC_ERR_USAGE, "--run is required (a run folder or a metrics.jsonl file)");
    if (strchr(run, ',')) {
        char list[4096];
        snprintf(list, sizeof list, "%s", run);
        const char *runs[9];
        int n = 0;
        for (char *save = NULL, *part = strtok_r(list, ",", &save); part; part = strtok_r(NULL, ",", &save))
            if (n < 9) runs[n++] = part;
        st = plot_collapse_of_runs(runs, n, out);
    } else {
        st = plot_metrics(run, out);
    }
    if (st == BC_OK) printf("plot: %s\n", out);
    return st;
}
