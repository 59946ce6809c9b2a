/* hearth-doc-vector.h: the compact embedding vectors of the document index
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An embedding is stored as int8 with one float scale: x[i] ~ q[i] * scale,
 * q[i] = round (x[i] / max|x| * 127), scale = max|x| / 127.  Why int8 and
 * not float16: half the bytes (n + 4 against 2n; 388 bytes for a 384-wide
 * vector), which is half the memory a brute-force search streams per
 * query; and the dot product of two int8 vectors is an exact integer sum,
 * so the scalar reference and the AVX2 path give bit-identical scores
 * (the test checks it) and the ranking cannot depend on the machine.
 * The cost, measured by `hearth-cli docs bench` (error of the cosine of
 * 2,000 pairs of random unit vectors of 384 dimensions, half of them
 * related, against float32): int8 mean 3.8e-4, max 1.8e-3; float16 mean
 * 1.4e-5.  An error of 1e-3 in a cosine only swaps neighbours whose
 * similarities are that close, which rank fusion hardly sees.  Speed
 * there: 100k dot products of 384 int8 take 4.6 ms with AVX2, 49 ms in
 * the scalar reference.
 * The query is quantised the same way, so a score is
 * scale_a * scale_b * sum (qa[i] * qb[i]).
 *
 * The blob in the database: the scale as a little-endian IEEE float, then
 * the n int8 values.
 *
 * Threading: pure functions, reentrant.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_DOC_VECTOR_BLOB_SIZE(dim) ((gsize) (dim) + 4)

/* @q gets @dim int8 values; returns the scale. A zero vector: scale 0. */
float   hearth_doc_vector_quantize (const float *x,
                                    guint        dim,
                                    gint8       *q);
/* The blob form (HEARTH_DOC_VECTOR_BLOB_SIZE bytes) and back; from_blob
 * returns FALSE when @len does not fit @dim. */
void     hearth_doc_vector_to_blob   (const float *x,
                                      guint        dim,
                                      guint8      *blob);
gboolean hearth_doc_vector_from_blob (const guint8 *blob,
                                      gsize         len,
                                      guint         dim,
                                      gint8        *q,
                                      float        *scale);

/* sum (a[i] * b[i]) over @dim int8 values, exact (|sum| < 2^31 for
 * dim < 2^17). The scalar reference, the AVX2 path (FALSE from
 * hearth_doc_vector_have_avx2() where the CPU has none; it must not be
 * called there) and the one chosen at run time. */
gint32   hearth_doc_vector_dot_scalar (const gint8 *a, const gint8 *b, guint dim);
gint32   hearth_doc_vector_dot_avx2   (const gint8 *a, const gint8 *b, guint dim);
gboolean hearth_doc_vector_have_avx2  (void);
gint32   hearth_doc_vector_dot        (const gint8 *a, const gint8 *b, guint dim);

G_END_DECLS
