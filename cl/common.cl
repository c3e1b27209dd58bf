/* common.cl — prepended to every program: shared helpers and defaults for the profile's
 * defines (BC_*), so a kernel file also compiles on its own. */
#ifndef BC_WG_1D
#define BC_WG_1D 64
#endif

/* A view is a (pointer, element offset) pair, see ARG_VIEW_OF in device.h. */
#define VIEW(type, name) __global type *name##_base, int name##_offset
#define VIEW_PTR(name) (name##_base + name##_offset)
