/* knn.c — the weighted kNN monitor (Wu et al. 2018, as SSL papers report it): cosine
 * similarity of each test row to every train row as one GEMM per chunk on the device, the
 * k most similar on the host (a min-heap per row), each voting exp(sim / temperature). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"

void knn_config_default(KnnConfig *config) { *config = (KnnConfig){.k = 200, .temperature = 0.1f, .chunk = 256}; }

typedef struct {
    float sim;
    int32_t index;
} Neighbor;

/* a ranks below b: less similar, or as similar with a higher index (lower index wins ties). */
static int below(Neighbor a, Neighbor b) { return a.sim < b.sim || (a.sim == b.sim && a.index > b.index); }

static void sift_down(Neighbor *heap, int n, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && below(heap[l], heap[m])) m = l;
        if (r < n && below(heap[r], heap[m])) m = r;
        if (m == i) return;
        Neighbor t = heap[i];
        heap[i] = heap[m], heap[m] = t;
        i = m;
    }
}

/* The k best of sims[0..n) into heap (a min-heap: heap[0] is the weakest kept). */
static void top_k(const float *sims, int n, int k, Neighbor *heap) {
    for (int i = 0; i < k; i++) heap[i] = (Neighbor){sims[i], i};
    for (int i = k / 2 - 1; i >= 0; i--) sift_down(heap, k, i);
    for (int i = k; i < n; i++) {
        Neighbor c = {sims[i], i};
        if (below(heap[0], c)) {
            heap[0] = c;
            sift_down(heap, k, 0);
        }
    }
}

/* Rows scaled to unit length (in double), as a new array. */
static float *normalized_rows(const FeatureSet *set) {
    float *out = malloc((set->count ? set->count : 1) * (size_t)set->dim * sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < set->count; i++) {
        const float *row = set->values + i * (size_t)set->dim;
        double norm = 0;
        for (int d = 0; d < set->dim; d++) norm += (double)row[d] * row[d];
        double inv = 1.0 / fmax(sqrt(norm), 1e-12);
        for (int d = 0; d < set->dim; d++) out[i * (size_t)set->dim + (size_t)d] = (float)(row[d] * inv);
    }
    return out;
}

Status knn_predict(Device *device, const KnnConfig *config, const FeatureSet *train, const FeatureSet *test,
                   int32_t *predictions) {
    if (config->k < 1 || !(config->temperature > 0))
        return error_set(BC_ERR_USAGE, "kNN: k must be >= 1 and the temperature > 0 (got k %d, temperature %g)",
                         config->k, config->temperature);
    if (train->count == 0 || train->class_count < 1)
        return error_set(BC_ERR_USAGE, "kNN needs labeled training features");
    if (train->dim != test->dim) return error_set(BC_ERR_USAGE, "kNN: train and test features differ in size");
    if (train->count > (size_t)INT32_MAX) return error_set(BC_ERR_USAGE, "kNN: too many training rows");
    int n = (int)train->count, dim = train->dim, classes = train->class_count;
    int k = config->k < n ? config->k : n;
    size_t chunk = config->chunk > 0 ? (size_t)config->chunk : 256;
    float *train_n = normalized_rows(train), *test_n = normalized_rows(test);
    float *sims = malloc(chunk * (size_t)n * sizeof *sims);
    Neighbor *heap = malloc((size_t)k * sizeof *heap);
    double *votes = malloc((size_t)classes * sizeof *votes);
    Buffer *train_buf = NULL, *test_buf = NULL, *sim_buf = NULL;
    Status st = train_n && test_n && sims && heap && votes ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "kNN: out of memory");
    if (st == BC_OK) st = buffer_create(device, (size_t)n * (size_t)dim * sizeof(float), &train_buf);
    if (st == BC_OK) st = buffer_create(device, chunk * (size_t)dim * sizeof(float), &test_buf);
    if (st == BC_OK) st = buffer_create(device, chunk * (size_t)n * sizeof(float), &sim_buf);
    if (st == BC_OK) st = buffer_write(device, train_buf, 0, (size_t)n * (size_t)dim * sizeof(float), train_n);
    for (size_t first = 0; st == BC_OK && first < test->count; first += chunk) {
        size_t m = test->count - first < chunk ? test->count - first : chunk;
        st = buffer_write(device, test_buf, 0, m * (size_t)dim * sizeof(float), test_n + first * (size_t)dim);
        /* sims (m, n) = test_chunk (m, dim) * train (n, dim)^T */
        if (st == BC_OK)
            st = gemm(device, false, true, (int)m, n, dim, 1.0f, view_of(test_buf), dim, view_of(train_buf), dim, 0.0f,
                      view_of(sim_buf), n);
        if (st == BC_OK) st = buffer_read(device, sim_buf, 0, m * (size_t)n * sizeof(float), sims);
        for (size_t i = 0; st == BC_OK && i < m; i++) {
            top_k(sims + i * (size_t)n, n, k, heap);
            memset(votes, 0, (size_t)classes * sizeof *votes);
            for (int j = 0; j < k; j++) {
                int32_t label = train->labels[heap[j].index];
                if (label >= 0 && label < classes) votes[label] += exp((double)heap[j].sim / config->temperature);
            }
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (votes[c] > votes[best]) best = c;
            predictions[first + i] = best;
        }
    }
    buffer_release(train_buf), buffer_release(test_buf), buffer_release(sim_buf);
    free(train_n), free(test_n), free(sims), free(heap), free(votes);
    return st;
}

Status knn_accuracy(Device *device, const KnnConfig *config, const FeatureSet *train, const FeatureSet *test,
                    double *accuracy) {
    int32_t *predictions = malloc((test->count ? test->count : 1) * sizeof *predictions);
    if (!predictions) return error_set(BC_ERR_OUT_OF_MEMORY, "kNN: out of memory");
    Status st = knn_predict(device, config, train, test, predictions);
    size_t right = 0, counted = 0;
    for (size_t i = 0; st == BC_OK && i < test->count; i++) {
        if (test->labels[i] < 0) continue;
        right += predictions[i] == test->labels[i];
        counted++;
    }
    *accuracy = counted ? (double)right / (double)counted : NAN;
    free(predictions);
    return st;
}
