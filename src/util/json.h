/* json.h — the little JSON writing byolcl needs (escaped strings); output stays valid for
 * any device or file name. */
#ifndef BYOLCL_UTIL_JSON_H
#define BYOLCL_UTIL_JSON_H

#include <stdio.h>

void json_write_string(FILE *out, const char *text);

#endif
