/* hearth-merge-heap.c: the priority queue of candidate merges
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * BPE and SentencePiece both merge the best adjacent pair first; the heap
 * lives in its own file so that neither encoder reaches into the other, nor
 * into the vocabulary loader, for it.
 */
#include "hearth-merge-heap.h"

static gboolean
merge_before (const HearthMergePair *a,
              const HearthMergePair *b)
{
  return a->priority < b->priority || (a->priority == b->priority && a->left < b->left);
}

void
hearth_merge_heap_push (GArray          *heap,
                        HearthMergePair  p)
{
  gsize i;

  g_array_append_val (heap, p);
  i = heap->len - 1;
  while (i > 0)
    {
      gsize parent = (i - 1) / 2;
      HearthMergePair *h = (HearthMergePair *) heap->data;

      if (!merge_before (&h[i], &h[parent]))
        break;
      p = h[i], h[i] = h[parent], h[parent] = p;
      i = parent;
    }
}

HearthMergePair
hearth_merge_heap_pop (GArray *heap)
{
  HearthMergePair *h = (HearthMergePair *) heap->data;
  HearthMergePair top = h[0];
  gsize n = heap->len - 1, i = 0;

  h[0] = h[n];
  g_array_set_size (heap, n);
  h = (HearthMergePair *) heap->data;
  for (;;)
    {
      gsize l = 2 * i + 1, r = l + 1, best = i;
      HearthMergePair t;

      if (l < n && merge_before (&h[l], &h[best]))
        best = l;
      if (r < n && merge_before (&h[r], &h[best]))
        best = r;
      if (best == i)
        break;
      t = h[i], h[i] = h[best], h[best] = t;
      i = best;
    }
  return top;
}
