/* cli_flags.c — parsing and help text for the flag tables in cli_flags.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cli_flags.h"

static const CliFlag *find_flag(const CliFlag *flags, int count, const char *name, size_t len) {
    for (int i = 0; i < count; i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0) return &flags[i];
    return NULL;
}

static bool is_numeric(const CliFlag *flag) { return flag->kind == FLAG_INT || flag->kind == FLAG_FLOAT; }

static Status out_of_range(const CliFlag *flag, const char *value) {
    if (flag->max >= CLI_COUNT_MAX)
        return error_set(BC_ERR_USAGE, "%s must be at least %g (got %s)", flag->name, flag->min, value);
    return error_set(BC_ERR_USAGE, "%s must lie in %g..%g (got %s)", flag->name, flag->min, flag->max, value);
}

static Status store_value(const CliFlag *flag, const char *value) {
    char *end;
    errno = 0;
    /* A table without a range for a number is a programming error: caught by any test. */
    if (is_numeric(flag) && !(flag->min < flag->max))
        return error_set(BC_ERR_USAGE, "internal: %s has no range in its flag table", flag->name);
    switch (flag->kind) {
    case FLAG_STRING:
        if (!*value) return error_set(BC_ERR_USAGE, "%s: the value is empty", flag->name);
        *(const char **)flag->target = value;
        return BC_OK;
    case FLAG_INT: {
        long v = strtol(value, &end, 10);
        if (*end || end == value)
            return error_set(BC_ERR_USAGE, "%s: '%s' is not an integer", flag->name, value);
        if (errno || v < flag->min || v > flag->max) return out_of_range(flag, value);
        *(int *)flag->target = (int)v;
        return BC_OK;
    }
    case FLAG_FLOAT: {
        double v = strtod(value, &end);
        if (*end || end == value)
            return error_set(BC_ERR_USAGE, "%s: '%s' is not a number", flag->name, value);
        if (!isfinite(v) || v < flag->min || v > flag->max) return out_of_range(flag, value);
        *(double *)flag->target = v;
        return BC_OK;
    }
    case FLAG_BOOL:
        break;
    }
    return error_set(BC_ERR_USAGE, "%s takes no value", flag->name);
}

Status cli_parse_flags(int argc, char **argv, int first, const CliFlag *flags, int count,
                       bool *help_requested) {
    *help_requested = false;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            *help_requested = true;
            return BC_OK;
        }
        if (strncmp(arg, "--", 2) != 0)
            return error_set(BC_ERR_USAGE, "unexpected argument '%s' (flags start with --)", arg);
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const CliFlag *flag = find_flag(flags, count, arg, len);
        if (!flag) return error_set(BC_ERR_USAGE, "unknown flag '%.*s' (see --help)", (int)len, arg);
        if (flag->kind == FLAG_BOOL) {
            if (eq) return error_set(BC_ERR_USAGE, "%s takes no value", flag->name);
            *(bool *)flag->target = true;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) return error_set(BC_ERR_USAGE, "%s needs a value", flag->name);
        Status st = store_value(flag, value);
        if (st != BC_OK) return st;
    }
    return BC_OK;
}

bool cli_flag_given(int argc, char **argv, int first, const char *name) {
    size_t len = strlen(name);
    for (int i = first; i < argc; i++)
        if (argv[i] && strncmp(argv[i], name, len) == 0 && (argv[i][len] == '\0' || argv[i][len] == '='))
            return true;
    return false;
}

void cli_print_help(const char *usage, const char *summary, const CliFlag *flags, int count) {
    printf("usage: %s\n\n%s\n\nflags:\n", usage, summary);
    for (int i = 0; i < count; i++) {
        const CliFlag *f = &flags[i];
        char def[128] = "";
        switch (f->kind) {
        case FLAG_STRING:
            if (*(const char **)f->target) snprintf(def, sizeof def, " (default: %s)", *(const char **)f->target);
            break;
        case FLAG_INT:
            if (*(int *)f->target >= f->min && *(int *)f->target <= f->max)
                snprintf(def, sizeof def, " (default: %d)", *(int *)f->target);
            break;
        case FLAG_FLOAT:
            if (*(double *)f->target >= f->min && *(double *)f->target <= f->max)
                snprintf(def, sizeof def, " (default: %g)", *(double *)f->target);
            break;
        case FLAG_BOOL: break;
        }
        char range[64] = "";
        if (is_numeric(f) && f->max >= CLI_COUNT_MAX) snprintf(range, sizeof range, " [>= %g]", f->min);
        else if (is_numeric(f)) snprintf(range, sizeof range, " [%g..%g]", f->min, f->max);
        const char *meta = f->kind == FLAG_BOOL ? "" : f->kind == FLAG_STRING ? " VALUE" : " N";
        printf("  %s%-*s %s%s%s\n", f->name, (int)(24 - strlen(f->name)), meta, f->help, def, range);
    }
}

Status cli_parse_or_help(int argc, char **argv, const CliFlag *flags, int count, const char *usage,
                         const char *summary, bool *help_printed) {
    Status st = cli_parse_flags(argc, argv, 2, flags, count, help_printed);
    if (st == BC_OK && *help_printed) cli_print_help(usage, summary, flags, count);
    return st;
}
