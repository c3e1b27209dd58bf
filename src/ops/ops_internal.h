/* ops_internal.h — helpers shared by the loss files of src/ops/. */
#ifndef BYOLCL_OPS_INTERNAL_H
#define BYOLCL_OPS_INTERNAL_H

#include "byolcl/ops.h"

/* out[0] = the mean of values[0..count) (compensated), one work-item: how a loss's per-row
 * terms become its single value on the device. */
Status write_mean_of_rows(Device *device, View out, Buffer *values, int count);

#endif
