/* linear.cl — the bias parts of a fully connected layer: adding a bias to every row and
 * accumulating the bias gradient as column sums. */

/* x (rows x cols) += bias broadcast over rows */
__kernel void bias_add_rows(VIEW(float, x), VIEW(const float, bias), int rows, int cols) {
    int idx = get_global_id(0);
    if (idx >= rows * cols) return;
    int row = idx / cols;
    VIEW_PTR(x)[idx] += VIEW_PTR(bias)[idx - row * cols];
}

/* sums (cols) += column sums of x (rows x cols): one work-item per column */
__kernel void column_sums_add(VIEW(float, sums), VIEW(const float, x), int rows, int cols) {
    int j = get_global_id(0);
    if (j >= cols) return;
    const __global float *xp = VIEW_PTR(x) + j;
    float total = 0.0f;
    for (int i = 0; i < rows; i++) total += xp[(size_t)i * cols];
    VIEW_PTR(sums)[j] += total;
}
