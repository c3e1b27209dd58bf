/* conv2d_pad.cl — zero-padded copies of NCHW planes, the operands of the CPU convolution
 * kernels that read their taps as shifted vector loads with no bounds tests: the direct
 * convolution's input (cl/conv2d_direct.cl: a border of `pad`, rows widened to whole
 * segments, a zero tail for the flat kernels' last loads) and the 3x3 weight gradient's
 * input and output gradient (cl/conv2d_wgrad.cl: rows of w + 2). */

/* Copies `planes` h x w planes of src into dst planes of plane_stride floats: `rows` rows
 * of row_stride floats with the image at row `top`, column `left`, and zeros everywhere
 * else, the tail past rows * row_stride included. One work-item per plane: its rows are
 * plain loops the compiler turns into vector copies (a work-item per element paid a
 * division and a select each and ran at under half of the copy bandwidth). */
__kernel void conv2d_pad_planes(__global float *dst, VIEW(const float, src), int planes, int h,
                                int w, int rows, int row_stride, int plane_stride, int top,
                                int left) {
    int plane = get_global_id(0);
    if (plane >= planes) return;
    const __global float *in = VIEW_PTR(src) + (size_t)plane * h * w;
    __global float *out = dst + (size_t)plane * plane_stride;
    for (int i = 0; i < top * row_stride; i++) out[i] = 0.0f;
    out += top * row_stride;
    for (int r = 0; r < h; r++, in += w, out += row_stride) {
        for (int c = 0; c < left; c++) out[c] = 0.0f;
        for (int c = 0; c < w; c++) out[left + c] = in[c];
        for (int c = left + w; c < row_stride; c++) out[c] = 0.0f;
    }
    for (int i = 0; i < plane_stride - (top + h) * row_stride; i++) out[i] = 0.0f;
}
