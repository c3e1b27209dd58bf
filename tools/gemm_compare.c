/* gemm_compare.c — GFLOP/s of our GEMM, CLBlast (both through gemm_with_path on one device)
 * and OpenBLAS cblas_sgemm on the host, in one run, on the GEMM shapes of the small ResNet's
 * convolutions (width 16, batch 256: forward and input gradient C(c_out x pixels) =
 * W(c_out x ksize) * patches, weight gradient C(c_out x ksize) = dOut(c_out x pixels) *
 * patches^T) and on 1024^3. Ours includes packing B. Set OPENBLAS_CORETYPE (e.g. SkylakeX)
 * when OpenBLAS misdetects the CPU.
 *
 *   byolcl-gemm-compare [--device SEL] [--reps 3] [--batch 256] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byolcl/ops.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    const char *what;
    int m, n, k; /* n or k scales with the batch where it is the pixel count */
    bool trans_b;
} Shape;

static Status time_device(Device *d, GemmPath path, const Shape *s, Buffer *a, Buffer *b,
                          Buffer *c, int reps, double *best) {
    *best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t0 = now_seconds();
        Status st = gemm_with_path(d, path, false, s->trans_b, s->m, s->n, s->k, 1.0f, view_of(a),
                                   s->k, view_of(b), s->trans_b ? s->k : s->n, 0.0f, view_of(c), s->n);
        if (st == BC_OK) st = device_finish(d);
        if (st != BC_OK) return st;
        double t = now_seconds() - t0;
        if (r > 0 && t < *best) *best = t; /* r = 0 builds kernels and warms caches */
    }
    return BC_OK;
}

int main(int argc, char **argv) {
    const char *selector = NULL;
    int reps = 3, batch = 256;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--device") == 0) selector = argv[i + 1];
        else if (strcmp(argv[i], "--reps") == 0) reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0) batch = atoi(argv[i + 1]);
        else { fprintf(stderr, "unknown flag %s\n", argv[i]); return 2; }
    }
    int p28 = batch * 784, p14 = batch * 196, p7 = batch * 49;
    Shape shapes[] = {
        {"stem fwd 1->16 3x3 @28", 16, p28, 9, false},
        {"16->16 3x3 @28 fwd/dIn", 16, p28, 144, false},
        {"16->16 3x3 @28 dW", 16, 144, p28, true},
        {"16->32 3x3/2 @14 fwd", 32, p14, 144, false},
        {"32->32 3x3 @14 fwd/dIn", 32, p14, 288, false},
        {"32->32 3x3 @14 dW", 32, 288, p14, true},
        {"32->64 3x3/2 @7 fwd", 64, p7, 288, false},
        {"64->64 3x3 @7 fwd/dIn", 64, p7, 576, false},
        {"64->64 3x3 @7 dW", 64, 576, p7, true},
        {"1024^3", 1024, 1024, 1024, false},
    };
    Device *d;
    Status st = device_open(selector ? selector : device_default_selector(), &(DeviceOptions){0}, &d);
    if (st != BC_OK) {
        fprintf(stderr, "byolcl-gemm-compare: %s\n", error_last());
        return 1;
    }
    printf("device: %s; OpenBLAS on the host (OPENBLAS_CORETYPE=%s)\n", device_info(d)->name,
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "auto");
    printf("%-26s %6s %7s %7s | %8s %8s %8s | %6s\n", "shape", "m", "n", "k", "ours", "clblast",
           "openblas", "ours/ob");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes && st == BC_OK; i++) {
        const Shape *s = &shapes[i];
        size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
        float *ha = malloc(na * sizeof(float)), *hb = malloc(nb * sizeof(float)),
              *hc = malloc(nc * sizeof(float));
        for (size_t j = 0; j < na; j++) ha[j] = (float)(j % 7) * 0.1f;
        for (size_t j = 0; j < nb; j++) hb[j] = (float)(j % 5) * 0.1f;
        Buffer *a = NULL, *b = NULL, *c = NULL;
        st = buffer_create(d, na * sizeof(float), &a);
        if (st == BC_OK) st = buffer_create(d, nb * sizeof(float), &b);
        if (st == BC_OK) st = buffer_create(d, nc * sizeof(float), &c);
        if (st == BC_OK) st = buffer_write(d, a, 0, na * sizeof(float), ha);
        if (st == BC_OK) st = buffer_write(d, b, 0, nb * sizeof(float), hb);
        double t_ours = 0, t_clb = 0, t_ob = 1e30;
        if (st == BC_OK) st = time_device(d, GEMM_PATH_OURS, s, a, b, c, reps, &t_ours);
        if (st == BC_OK) st = time_device(d, GEMM_PATH_CLBLAST, s, a, b, c, reps, &t_clb);
        for (int r = 0; r <= reps && st == BC_OK; r++) {
            double t0 = now_seconds();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, s->trans_b ? CblasTrans : CblasNoTrans, s->m,
                        s->n, s->k, 1.0f, ha, s->k, hb, s->trans_b ? s->k : s->n, 0.0f, hc, s->n);
            double t = now_seconds() - t0;
            if (r > 0 && t < t_ob) t_ob = t;
        }
        double flop = 2.0 * s->m * s->n * s->k * 1e-9;
        if (st == BC_OK)
            printf("%-26s %6d %7d %7d | %8.1f %8.1f %8.1f | %6.2f\n", s->what, s->m, s->n, s->k,
                   flop / t_ours, flop / t_clb, flop / t_ob, t_ob / t_ours);
        buffer_release(a), buffer_release(b), buffer_release(c);
        free(ha), free(hb), free(hc);
    }
    if (st != BC_OK) fprintf(stderr, "byolcl-gemm-compare: %s\n", error_last());
    device_close(d);
    return st == BC_OK ? 0 : 1;
}
