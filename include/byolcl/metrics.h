/* metrics.h — the training log: one JSON object per line in DIR/metrics.jsonl (step, epoch,
 * loss, lr, tau, images/s, wall time, collapse monitor, and kNN accuracy when evaluated), and the reader
 * `byolcl plot` uses. The progress line on the terminal is drawn from the same records. */
#ifndef BYOLCL_METRICS_H
#define BYOLCL_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "byolcl/byolcl.h"

typedef struct {
    long step, total_steps;
    int epoch;
    double loss, lr, tau, images_per_s, wall_s;
    double knn_accuracy; /* NaN when not evaluated at this step */
    double collapse;     /* std over the batch of the normalized online projections, averaged
                            over dimensions (about 1/sqrt(d) healthy, 0 collapsed); NaN: not logged */
} MetricsRecord;

typedef struct {
    FILE *file;     /* metrics.jsonl, appended (a resumed run continues the same file) */
    bool tty;       /* stderr is a terminal: redraw one line in place */
    bool quiet;
    int print_every; /* plain lines every N steps when not a terminal */
    bool line_open;  /* a redrawn line is on screen and needs a newline before other output */
} MetricsLog;

/* Opens DIR/metrics.jsonl. When resuming from a checkpoint taken after `resume_step` steps,
 * records of later steps (written after that checkpoint) are dropped first, so the file
 * stays one consistent history; resume_step 0 starts a new file. */
Status metrics_open(MetricsLog *log, const char *dir, long resume_step, bool quiet, int print_every);
Status metrics_write(MetricsLog *log, const MetricsRecord *record);
/* Shows the record on stderr: redrawn in place on a terminal, a plain line every
 * print_every steps otherwise. */
void metrics_show(MetricsLog *log, const MetricsRecord *record);
/* Ends a redrawn progress line so that the next message starts on its own line. */
void metrics_end_line(MetricsLog *log);
void metrics_close(MetricsLog *log);

/* Reads every record of a metrics.jsonl. Free *out with free(). */
Status metrics_read(const char *path, MetricsRecord **out, int *count);

#endif
