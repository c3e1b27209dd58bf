/* main.c — the byolcl command line: dispatches subcommands and turns their Status into a
 * message and an exit code (2 for usage errors, 1 for everything else). */
#include <stdio.h>
#include <string.h>

#include "byolcl/dist.h"
#include "cli/commands.h"

typedef struct {
    const char *name;
    Status (*run)(int argc, char **argv);
    const char *summary;
} Subcommand;

static const Subcommand subcommands[] = {
    {"devices", command_devices, "list OpenCL devices and show which one --device picks"},
    {"data", command_data, "show what a dataset holds: format, images, classes, mean/std"},
    {"augment", command_augment, "write a PNG grid of augmented views (check an augmentation setting)"},
    {"train", command_train, "pretrain an encoder with BYOL (or SimCLR: --method simclr; checkpoints, exact resume)"},
    {"eval", command_eval, "kNN and linear-probe accuracy of a checkpoint, next to random init and raw pixels"},
    {"embed", command_embed, "PNG of the test features in 2-D (PCA): random init vs trained"},
    {"plot", command_plot, "PNG of a run's loss (and kNN accuracy) against steps"},
    {"export", command_export, "the encoder as safetensors with torchvision's ResNet names"},
    {"features", command_features, "the frozen encoder's features of a split as NumPy .npy"},
};
enum { SUBCOMMAND_COUNT = sizeof subcommands / sizeof subcommands[0] };

static void print_usage(FILE *out) {
    fprintf(out, "usage: byolcl COMMAND [flags]   (byolcl COMMAND --help for its flags)\n\n"
                 "commands:\n");
    for (int i = 0; i < SUBCOMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\nevery command takes --device SELECTOR (default: $BYOLCL_DEVICE, else auto):\n"
                 "  auto | gpu | igpu | cpu | P:D | N | name substring | platform:device\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("byolcl %s\n", BYOLCL_VERSION);
        return 0;
    }
    for (int i = 0; i < SUBCOMMAND_COUNT; i++) {
        if (strcmp(argv[1], subcommands[i].name) != 0) continue;
        Status st = subcommands[i].run(argc, argv);
        if (st != BC_OK) fprintf(stderr, "byolcl %s: %s\n", argv[1], error_last());
        fflush(stderr);
        /* Under mpirun (train): every rank's message is out before any rank exits, since
         * mpirun ends the job at the first non-zero exit. */
        dist_finalize();
        return status_exit_code(st);
    }
    fprintf(stderr, "byolcl: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
