/* hearth-doc-vector.c: int8 embedding vectors and their dot product (scalar and AVX2)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#include "hearth-doc-vector.h"

float
hearth_doc_vector_quantize (const float *x,
                            guint        dim,
                            gint8       *q)
{
  float amax = 0;

  for (guint i = 0; i < dim; i++)
    amax = MAX (amax, fabsf (x[i]));
  if (amax == 0 || !isfinite (amax))
    {
      memset (q, 0, dim);
      return 0;
    }
  for (guint i = 0; i < dim; i++)
    q[i] = (gint8) lrintf (x[i] / amax * 127.0f);
  return amax / 127.0f;
}

void
hearth_doc_vector_to_blob (const float *x,
                           guint        dim,
                           guint8      *blob)
{
  float scale = hearth_doc_vector_quantize (x, dim, (gint8 *) blob + 4);
  guint32 bits;

  memcpy (&bits, &scale, 4);
  bits = GUINT32_TO_LE (bits);
  memcpy (blob, &bits, 4);
}

gboolean
hearth_doc_vector_from_blob (const guint8 *blob,
                             gsize         len,
                             guint         dim,
                             gint8        *q,
                             float        *scale)
{
  guint32 bits;

  if (blob == NULL || len != HEARTH_DOC_VECTOR_BLOB_SIZE (dim))
    return FALSE;
  memcpy (&bits, blob, 4);
  bits = GUINT32_FROM_LE (bits);
  memcpy (scale, &bits, 4);
  memcpy (q, blob + 4, dim);
  return isfinite (*scale);
}

gint32
hearth_doc_vector_dot_scalar (const gint8 *a,
                              const gint8 *b,
                              guint        dim)
{
  gint32 sum = 0;

  for (guint i = 0; i < dim; i++)
    sum += (gint32) a[i] * (gint32) b[i];
  return sum;
}

#ifdef HAVE_X86
/* 32 int8 per step: widened to int16 and multiplied-added in pairs into
 * int32 lanes (vpmaddwd), which cannot overflow for 127 * 127 * 2. */
__attribute__ ((target ("avx2"))) gint32
hearth_doc_vector_dot_avx2 (const gint8 *a,
                            const gint8 *b,
                            guint        dim)
{
  __m256i acc = _mm256_setzero_si256 ();
  guint i = 0;
  __m128i lo, hi;
  gint32 sum;

  for (; i + 32 <= dim; i += 32)
    {
      __m256i va = _mm256_loadu_si256 ((const __m256i *) (a + i));
      __m256i vb = _mm256_loadu_si256 ((const __m256i *) (b + i));
      __m256i a0 = _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (va));
      __m256i a1 = _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (va, 1));
      __m256i b0 = _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (vb));
      __m256i b1 = _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (vb, 1));

      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (a0, b0));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (a1, b1));
    }
  lo = _mm256_castsi256_si128 (acc);
  hi = _mm256_extracti128_si256 (acc, 1);
  lo = _mm_add_epi32 (lo, hi);
  lo = _mm_add_epi32 (lo, _mm_shuffle_epi32 (lo, _MM_SHUFFLE (1, 0, 3, 2)));
  lo = _mm_add_epi32 (lo, _mm_shuffle_epi32 (lo, _MM_SHUFFLE (2, 3, 0, 1)));
  sum = _mm_cvtsi128_si32 (lo);
  return sum + hearth_doc_vector_dot_scalar (a + i, b + i, dim - i);
}

gboolean
hearth_doc_vector_have_avx2 (void)
{
  static gsize once = 0;
  static gboolean have;

  if (g_once_init_enter (&once))
    {
      __builtin_cpu_init ();
      have = __builtin_cpu_supports ("avx2");
      g_once_init_leave (&once, 1);
    }
  return have;
}
#else
gint32
hearth_doc_vector_dot_avx2 (const gint8 *a,
                            const gint8 *b,
                            guint        dim)
{
  return hearth_doc_vector_dot_scalar (a, b, dim);
}

gboolean
hearth_doc_vector_have_avx2 (void)
{
  return FALSE;
}
#endif

gint32
hearth_doc_vector_dot (const gint8 *a,
                       const gint8 *b,
                       guint        dim)
{
  return hearth_doc_vector_have_avx2 () ? hearth_doc_vector_dot_avx2 (a, b, dim)
                                        : hearth_doc_vector_dot_scalar (a, b, dim);
}
