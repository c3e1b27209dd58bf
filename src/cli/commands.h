/* commands.h — the subcommands main() dispatches to; each returns a Status. */
#ifndef BYOLCL_CLI_COMMANDS_H
#define BYOLCL_CLI_COMMANDS_H

#include "byolcl/byolcl.h"
#include "byolcl/data.h"
#include "byolcl/device.h"

Status command_devices(int argc, char **argv);
Status command_data(int argc, char **argv);
Status command_train(int argc, char **argv);
Status command_augment(int argc, char **argv);
Status command_eval(int argc, char **argv);
Status command_embed(int argc, char **argv);
Status command_plot(int argc, char **argv);
Status command_export(int argc, char **argv);
Status command_features(int argc, char **argv);

/* A checkpoint path from a flag: the file itself, or DIR/checkpoint.ckpt for a run folder. */
Status cli_resolve_checkpoint(const char *given, char *out, size_t cap);

/* Prints the first line every run starts with: which device was chosen and why. */
void cli_print_chosen_device(const DeviceInfo *info, const char *selector);

/* "train" / "test" / "unlabeled" for --split; BC_ERR_USAGE naming the flag otherwise. */
Status cli_parse_split(const char *text, DatasetSplit *split);

/* --background: "white", "black" or "R,G,B" (each 0..255) for PNG transparency. */
Status cli_parse_background(const char *text, uint8_t rgb[3]);
#define CLI_BACKGROUND_HELP "PNG folders: color under transparent pixels: white, black or R,G,B"

#endif
