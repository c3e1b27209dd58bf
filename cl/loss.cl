/* loss.cl — L2 normalization, the BYOL loss (2 - 2 cos) and softmax cross-entropy. Each
 * loss writes one term per row, then one work-item averages the rows into the single loss
 * value, which stays on the device until the host must show it. */

#define L2_EPS 1e-12f

/* out rows = in rows / max(||row||, 1e-12); one work-item per row. */
__kernel void l2_normalize_rows(VIEW(float, out), VIEW(const float, in), int batch, int dim) {
    int row = get_global_id(0);
    if (row >= batch) return;
    __global const float *x = VIEW_PTR(in) + (size_t)row * dim;
    __global float *y = VIEW_PTR(out) + (size_t)row * dim;
    float ss = 0.0f;
    for (int j = 0; j < dim; j++) ss += x[j] * x[j];
    float inv = 1.0f / fmax(sqrt(ss), L2_EPS);
    for (int j = 0; j < dim; j++) y[j] = x[j] * inv;
}

/* terms[row] = 2 - 2 * <p/max(|p|,eps), z/max(|z|,eps)> */
__kernel void byol_loss_rows(__global float *terms, VIEW(const float, p), VIEW(const float, z),
                             int batch, int dim) {
    int row = get_global_id(0);
    if (row >= batch) return;
    __global const float *a = VIEW_PTR(p) + (size_t)row * dim;
    __global const float *b = VIEW_PTR(z) + (size_t)row * dim;
    float pp = 0.0f, zz = 0.0f, pz = 0.0f;
    for (int j = 0; j < dim; j++) {
        pp += a[j] * a[j];
        zz += b[j] * b[j];
        pz += a[j] * b[j];
    }
    terms[row] = 2.0f - 2.0f * pz / (fmax(sqrt(pp), L2_EPS) * fmax(sqrt(zz), L2_EPS));
}

/* d_p = scale * d/dp of mean over rows of 2 - 2 <p/|p|, zn>:
 * -(2 scale / batch) * (zn / |p| - <p, zn> p / |p|^3), or zn / eps where |p| is clamped. */
__kernel void byol_loss_backward_rows(VIEW(float, d_p), VIEW(const float, p),
                                      VIEW(const float, z), int batch, int dim, float scale) {
    int row = get_global_id(0);
    if (row >= batch) return;
    __global const float *a = VIEW_PTR(p) + (size_t)row * dim;
    __global const float *b = VIEW_PTR(z) + (size_t)row * dim;
    __global float *g = VIEW_PTR(d_p) + (size_t)row * dim;
    float pp = 0.0f, zz = 0.0f, pz = 0.0f;
    for (int j = 0; j < dim; j++) {
        pp += a[j] * a[j];
        zz += b[j] * b[j];
        pz += a[j] * b[j];
    }
    float norm_p = sqrt(pp);
    float inv_z = 1.0f / fmax(sqrt(zz), L2_EPS);
    float factor = -2.0f * scale / (float)batch;
    if (norm_p > L2_EPS) {
        float inv_p = 1.0f / norm_p;
        float along_z = factor * inv_z * inv_p;
        float along_p = -factor * pz * inv_z * inv_p * inv_p * inv_p;
        for (int j = 0; j < dim; j++) g[j] = along_z * b[j] + along_p * a[j];
    } else {
        float along_z = factor * inv_z / L2_EPS;
        for (int j = 0; j < dim; j++) g[j] = along_z * b[j];
    }
}

/* probs = softmax(logits) (the row max subtracted first, so exp never overflows);
 * terms[row] = -log probs[label] = log(sum exp(x - max)) - (x[label] - max). A label
 * outside [0, classes) gives NaN, which the training loop reports. */
__kernel void softmax_cross_entropy_rows(__global float *terms, VIEW(float, probs),
                                         VIEW(const float, logits), VIEW(const int, labels),
                                         int batch, int classes) {
    int row = get_global_id(0);
    if (row >= batch) return;
    __global const float *x = VIEW_PTR(logits) + (size_t)row * classes;
    __global float *q = VIEW_PTR(probs) + (size_t)row * classes;
    float top = x[0];
    for (int j = 1; j < classes; j++) top = fmax(top, x[j]);
    float sum = 0.0f;
    for (int j = 0; j < classes; j++) {
        float e = exp(x[j] - top);
        q[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < classes; j++) q[j] *= inv;
    int label = VIEW_PTR(labels)[row];
    terms[row] = label >= 0 && label < classes ? log(sum) - (x[label] - top) : NAN;
}

/* d_logits = (probs - onehot(label)) / batch, one work-item per element. */
__kernel void softmax_cross_entropy_backward(VIEW(float, d_logits), VIEW(const float, probs),
                                             VIEW(const int, labels), int batch, int classes) {
    int i = get_global_id(0);
    if (i >= batch * classes) return;
    int row = i / classes, j = i - row * classes;
    float onehot = VIEW_PTR(labels)[row] == j ? 1.0f : 0.0f;
    VIEW_PTR(d_logits)[i] = (VIEW_PTR(probs)[i] - onehot) / (float)batch;
}

/* loss[0] = mean of terms[0..batch), compensated (Kahan) so large batches keep their digits. */
__kernel void mean_of_rows(VIEW(float, loss), __global const float *terms, int batch) {
    if (get_global_id(0) != 0) return;
    float sum = 0.0f, carry = 0.0f;
    for (int i = 0; i < batch; i++) {
        float y = terms[i] - carry;
        float t = sum + y;
        carry = (t - sum) - y;
        sum = t;
    }
    VIEW_PTR(loss)[0] = sum / (float)batch;
}

/* The non-finite guard: first_bad[0] keeps the first step whose loss terms (count of them)
 * are not all finite; it starts at -1 and is sticky, so reading it back once in a while
 * names the step that went wrong without a read-back per step. One work-item. */
__kernel void loss_guard(VIEW(const float, loss), int count, VIEW(int, first_bad), int step) {
    if (get_global_id(0) != 0 || VIEW_PTR(first_bad)[0] >= 0) return;
    for (int i = 0; i < count; i++)
        if (!isfinite(VIEW_PTR(loss)[i])) {
            VIEW_PTR(first_bad)[0] = step;
            return;
        }
}
