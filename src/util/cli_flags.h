/* cli_flags.h — declarative flag tables for the command lines (byolcl's subcommands and
 * byolcl-bench): each flag has a name, a kind, where its value goes, a help line and
 * (numbers) the range a given value must lie in;
 * --help is generated from the same table, and the range is checked in one place. */
#ifndef BYOLCL_CLI_FLAGS_H
#define BYOLCL_CLI_FLAGS_H

#include <stdbool.h>

#include "byolcl/byolcl.h"

typedef enum { FLAG_BOOL, FLAG_STRING, FLAG_INT, FLAG_FLOAT } FlagKind;

typedef struct {
    const char *name; /* "--device" */
    FlagKind kind;
    void *target;     /* bool*, const char**, int*, double* */
    const char *help; /* one line; the default is printed from *target when it lies in the range */
    double min, max;  /* FLAG_INT / FLAG_FLOAT: a given value must lie in [min, max] (and be finite);
                       * a default outside it means "choose for me" and is explained by the help */
} CliFlag;

/* Upper bound of counts that have no natural limit (seeds, steps, images): large, but an
 * int on every platform and far from overflow in the products they enter. */
#define CLI_COUNT_MAX 1e9

/* Parses argv[first..argc) against the table. "--flag value" and "--flag=value" both work.
 * Returns BC_ERR_USAGE with a message naming the flag for unknown flags, missing, empty,
 * malformed or out-of-range values; sets *help_requested for -h/--help. */
Status cli_parse_flags(int argc, char **argv, int first, const CliFlag *flags, int count,
                       bool *help_requested);
/* Whether argv[first..argc) holds `name` as "--name" or "--name=value". */
bool cli_flag_given(int argc, char **argv, int first, const char *name);
void cli_print_help(const char *usage, const char *summary, const CliFlag *flags, int count);
/* What every subcommand does first: parse argv[2..] against its table and, on -h/--help,
 * print the help and set *help_printed (the command then prints any extras and returns). */
Status cli_parse_or_help(int argc, char **argv, const CliFlag *flags, int count, const char *usage,
                         const char *summary, bool *help_printed);

#endif
