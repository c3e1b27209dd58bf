/* cl_check.h — the one macro every OpenCL call goes through: it reports the call, the
 * error's name and a hint, and returns a Status from the enclosing function. */
#ifndef BYOLCL_DEVICE_CL_CHECK_H
#define BYOLCL_DEVICE_CL_CHECK_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "byolcl/byolcl.h"

const char *cl_error_name(cl_int code);
const char *cl_error_hint(cl_int code);
/* Formats "file:line: call failed: CL_NAME (hint)" and maps the code to a Status. */
Status cl_fail(cl_int code, const char *call, const char *file, int line);

#define CL_CHECK(call)                                                                         \
    do {                                                                                       \
        cl_int cl_check_code_ = (call);                                                        \
        if (cl_check_code_ != CL_SUCCESS)                                                      \
            return cl_fail(cl_check_code_, #call, __FILE__, __LINE__);                         \
    } while (0)

/* For the create functions that report through an errcode_ret argument. */
#define CL_CHECK_RESULT(code, call_name)                                                       \
    do {                                                                                       \
        if ((code) != CL_SUCCESS) return cl_fail((code), call_name, __FILE__, __LINE__);       \
    } while (0)

#endif
