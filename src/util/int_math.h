/* int_math.h — small integer helpers the ops' launch arithmetic shares. */
#ifndef BYOLCL_UTIL_INT_MATH_H
#define BYOLCL_UTIL_INT_MATH_H

/* a / b rounded up, for a >= 0 and b > 0: how many tiles of b cover a. */
static inline int ceil_div(int a, int b) { return (a + b - 1) / b; }

#endif
