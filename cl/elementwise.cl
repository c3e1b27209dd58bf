/* elementwise.cl — ReLU and the residual join, forward and backward: one work-item per
 * element. */

/* out = max(in, 0); out may be in (in-place). Written as a comparison so that a NaN
 * passes through and shows up in the loss instead of vanishing. */
__kernel void relu_forward(VIEW(float, out), VIEW(const float, in), int count) {
    int i = get_global_id(0);
    if (i >= count) return;
    float x = VIEW_PTR(in)[i];
    VIEW_PTR(out)[i] = x < 0.0f ? 0.0f : x;
}

/* d_in = d_out where the output was positive. Reading the output rather than the input
 * lets the forward pass run in place; d_in may be d_out. */
__kernel void relu_backward(VIEW(float, d_in), VIEW(const float, d_out), VIEW(const float, out),
                            int count) {
    int i = get_global_id(0);
    if (i < count) VIEW_PTR(d_in)[i] = VIEW_PTR(out)[i] > 0.0f ? VIEW_PTR(d_out)[i] : 0.0f;
}

__kernel void residual_add_forward(VIEW(float, out), VIEW(const float, a), VIEW(const float, b),
                                   int count) {
    int i = get_global_id(0);
    if (i < count) VIEW_PTR(out)[i] = VIEW_PTR(a)[i] + VIEW_PTR(b)[i];
}

/* d_x += d_out: the shortcut's share of the gradient joins the block's own. */
__kernel void residual_add_backward(VIEW(float, d_x), VIEW(const float, d_out), int count) {
    int i = get_global_id(0);
    if (i < count) VIEW_PTR(d_x)[i] += VIEW_PTR(d_out)[i];
}

/* out = max(a + b, 0): the residual join and the block's ReLU in one pass (NaN passes). */
__kernel void residual_add_relu_forward(VIEW(float, out), VIEW(const float, a),
                                        VIEW(const float, b), int count) {
    int i = get_global_id(0);
    if (i >= count) return;
    float x = VIEW_PTR(a)[i] + VIEW_PTR(b)[i];
    VIEW_PTR(out)[i] = x < 0.0f ? 0.0f : x;
}

/* d_x += d_out where out > 0: the shortcut's share through the block's ReLU. */
__kernel void residual_add_relu_backward(VIEW(float, d_x), VIEW(const float, d_out),
                                         VIEW(const float, out), int count) {
    int i = get_global_id(0);
    if (i < count && VIEW_PTR(out)[i] > 0.0f) VIEW_PTR(d_x)[i] += VIEW_PTR(d_out)[i];
}
