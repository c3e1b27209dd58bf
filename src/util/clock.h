/* clock.h — a monotonic clock in seconds for progress, ETA and throughput figures. */
#ifndef BYOLCL_UTIL_CLOCK_H
#define BYOLCL_UTIL_CLOCK_H

double clock_seconds(void);

#endif
