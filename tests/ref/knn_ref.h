/* knn_ref.h — plain-C reference of the weighted kNN classifier: every cosine similarity in
 * double, a full sort, exp(sim / temperature) votes. */
#ifndef BYOLCL_KNN_REF_H
#define BYOLCL_KNN_REF_H

#include <stddef.h>
#include <stdint.h>

/* predictions[i] for each of n_test rows; ties in similarity go to the lower train index,
 * ties in votes to the lower class. */
void knn_predict_ref(const float *train, const int32_t *train_labels, size_t n_train, const float *test,
                     size_t n_test, int dim, int classes, int k, double temperature, int32_t *predictions);

#endif
