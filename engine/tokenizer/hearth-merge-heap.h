/* hearth-merge-heap.h: the priority queue of candidate merges that the BPE
 * and SentencePiece encoders share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A candidate merge of two adjacent symbols, for BPE (priority = merge rank)
 * and SentencePiece (priority = minus the piece's score): the smallest
 * priority merges first, the leftmost on ties. */
typedef struct
{
  double  priority;
  gint32  left, right;
  guint32 len;
  gint32  merged;
} HearthMergePair;

/* A binary heap of HearthMergePair in a GArray. */
void            hearth_merge_heap_push (GArray *heap, HearthMergePair p);
HearthMergePair hearth_merge_heap_pop (GArray *heap);

G_END_DECLS
