/* ntxent.cl — SimCLR's NT-Xent loss on the similarity logits the GEMM computed
 * (normalized projections times their transpose, over the temperature), and the backward
 * of L2 normalization. */

#define L2_EPS 1e-12f

/* Row i of logits (rows x rows, rows = 2N) holds s_ik / t; its positive is the other view
 * of the same image, i + N or i - N. terms[i] = log sum_{k != i} exp(l_ik) - l_i,pos (the
 * row max subtracted first). The row is then overwritten with dL/dl_ik for the mean over
 * rows: (softmax_{k != i}(l_i)_k - [k = pos]) / rows, and 0 on the diagonal. */
__kernel void ntxent_rows(__global float *terms, VIEW(float, logits), int rows) {
    int i = get_global_id(0);
    if (i >= rows) return;
    int images = rows / 2;
    int positive = i < images ? i + images : i - images;
    __global float *l = VIEW_PTR(logits) + (size_t)i * rows;
    float top = -INFINITY;
    for (int k = 0; k < rows; k++)
        if (k != i) top = fmax(top, l[k]);
    float sum = 0.0f;
    for (int k = 0; k < rows; k++)
        if (k != i) sum += exp(l[k] - top);
    terms[i] = log(sum) + top - l[positive];
    float inv_sum = 1.0f / sum, inv_rows = 1.0f / (float)rows;
    for (int k = 0; k < rows; k++) {
        float g = k == i ? 0.0f : exp(l[k] - top) * inv_sum;
        if (k == positive) g -= 1.0f;
        l[k] = g * inv_rows;
    }
}

/* Through y = x / max(|x|, eps), one work-item per row: d_in = (d_out - y <y, d_out>) / |x|,
 * or d_out / eps where the norm was clamped. */
__kernel void l2_normalize_backward_rows(VIEW(float, d_in), VIEW(const float, d_out),
                                         VIEW(const float, in), int batch, int dim) {
    int row = get_global_id(0);
    if (row >= batch) return;
    __global const float *x = VIEW_PTR(in) + (size_t)row * dim;
    __global const float *g = VIEW_PTR(d_out) + (size_t)row * dim;
    __global float *d = VIEW_PTR(d_in) + (size_t)row * dim;
    float xx = 0.0f, xg = 0.0f;
    for (int j = 0; j < dim; j++) {
        xx += x[j] * x[j];
        xg += x[j] * g[j];
    }
    float norm = sqrt(xx);
    if (norm > L2_EPS) {
        float inv = 1.0f / norm, along_x = xg * inv * inv * inv;
        for (int j = 0; j < dim; j++) d[j] = g[j] * inv - x[j] * along_x;
    } else {
        for (int j = 0; j < dim; j++) d[j] = g[j] / L2_EPS;
    }
}
