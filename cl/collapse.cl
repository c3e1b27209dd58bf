/* collapse.cl — the collapse monitor: the standard deviation over the batch of each
 * dimension of the L2-normalized projections (about 1/sqrt(dim) when spread, 0 when every
 * row points the same way); collapse.c averages it over the dimensions. */

#define L2_EPS 1e-12f

/* inv_norms[row] = 1 / max(|z_row|, eps) */
__kernel void row_inverse_norms(__global float *inv_norms, VIEW(const float, z), int batch, int dim) {
    int row = get_global_id(0);
    if (row >= batch) return;
    __global const float *x = VIEW_PTR(z) + (size_t)row * dim;
    float ss = 0.0f;
    for (int j = 0; j < dim; j++) ss += x[j] * x[j];
    inv_norms[row] = 1.0f / fmax(sqrt(ss), L2_EPS);
}

/* column_std[j] = sample standard deviation over rows of z_ij * inv_norms[i] (two passes:
 * the mean, then the squared deviations); adjacent work-items read adjacent columns. */
__kernel void normalized_column_std(__global float *column_std, VIEW(const float, z),
                                    __global const float *inv_norms, int batch, int dim) {
    int j = get_global_id(0);
    if (j >= dim) return;
    __global const float *x = VIEW_PTR(z) + j;
    float sum = 0.0f;
    for (int i = 0; i < batch; i++) sum += x[(size_t)i * dim] * inv_norms[i];
    float mean = sum / (float)batch, squares = 0.0f;
    for (int i = 0; i < batch; i++) {
        float e = x[(size_t)i * dim] * inv_norms[i] - mean;
        squares += e * e;
    }
    column_std[j] = sqrt(squares / (float)(batch - 1));
}
