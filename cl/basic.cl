/* basic.cl — flat elementwise kernels over float arrays: fill, scale, axpy. Used by every
 * module and by the device-layer tests. */

__kernel void fill_float(VIEW(float, out), int n, float value) {
    int i = get_global_id(0);
    if (i < n) VIEW_PTR(out)[i] = value;
}

__kernel void fill_uint(VIEW(uint, out), int n, int value) {
    int i = get_global_id(0);
    if (i < n) VIEW_PTR(out)[i] = (uint)value;
}

__kernel void scale_float(VIEW(float, x), int n, float alpha) {
    int i = get_global_id(0);
    if (i < n) VIEW_PTR(x)[i] *= alpha;
}

/* y += alpha * x */
__kernel void axpy_float(VIEW(float, y), VIEW(const float, x), int n, float alpha) {
    int i = get_global_id(0);
    if (i < n) VIEW_PTR(y)[i] += alpha * VIEW_PTR(x)[i];
}
