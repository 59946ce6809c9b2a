/* fuzz-gguf.c: libFuzzer harness for the GGUF reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Parses the input; when it is accepted, reads every value, string and
 * tensor byte range through the public accessors (each typed getter only on
 * values of its type, as a careful caller does), so that anything the
 * validator let through is also safe to use. An accepted file also goes
 * through the tokenizer's loader and the chat template's lookup, which read
 * metadata of a type the file chooses: they must refuse a wrong one with a
 * GError, never with a critical (hearth-fuzz.h makes those findings).
 */
#include <string.h>

#include "hearth-fuzz.h"

static volatile guint64 sink;
static volatile double fsink;

static void
touch_value (const HearthGgufValue *v)
{
  if (v->type == HEARTH_GGUF_TYPE_STRING)
    {
      if (v->v.str.len > 0)
        sink += (guint8) v->v.str.data[0] + (guint8) v->v.str.data[v->v.str.len - 1];
    }
  else if (v->type == HEARTH_GGUF_TYPE_ARRAY)
    {
      if (v->v.arr.items != NULL)
        {
          for (guint64 i = 0; i < v->v.arr.n; i++)
            touch_value (&v->v.arr.items[i]);
        }
      else if (v->v.arr.n > 0)
        {
          /* As a careful caller does: the typed getter of the elements' type. */
          if (v->v.arr.elem_type == HEARTH_GGUF_TYPE_FLOAT32 || v->v.arr.elem_type == HEARTH_GGUF_TYPE_FLOAT64)
            fsink += hearth_gguf_array_get_float (v, v->v.arr.n - 1);
          else
            sink += (guint64) hearth_gguf_array_get_int (v, 0) + (guint64) hearth_gguf_array_get_int (v, v->v.arr.n - 1);
        }
    }
  else
    sink += v->v.u64;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = hearth_gguf_new_from_bytes (bytes, &error);
  guint32 u32;
  double f;
  g_autofree char *arch = NULL;

  hearth_fuzz_maybe_selftest ();
  if (g == NULL)
    {
      hearth_fuzz_check_error (error, HEARTH_ENGINE_ERROR);
      return 0;
    }
  for (guint64 i = 0; i < hearth_gguf_get_n_kv (g); i++)
    {
      sink += strlen (hearth_gguf_get_key (g, i));
      touch_value (hearth_gguf_get_value_at (g, i));
    }
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (g); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (g, i);

      g_assert (hearth_gguf_find_tensor (g, t->name) == t);
      if (t->n_bytes > 0)
        sink += t->data[0] + t->data[t->n_bytes - 1];
    }
  arch = hearth_gguf_dup_string (g, "general.architecture", NULL);
  hearth_gguf_get_uint32 (g, "llama.context_length", &u32, NULL);
  hearth_gguf_get_float (g, "llama.rope.freq_base", &f, NULL);
  hearth_gguf_get_array (g, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, NULL);
  {
    g_autoptr(GError) tok_error = NULL;
    g_autoptr(HearthTokenizer) tok = hearth_tokenizer_new_from_gguf (g, &tok_error);
    g_autofree char *tmpl = hearth_jinja_dup_gguf_template (g, NULL);

    if (tok == NULL)
      hearth_fuzz_check_error (tok_error, HEARTH_ENGINE_ERROR);
    sink += tmpl != NULL ? strlen (tmpl) : 0;
  }
  return 0;
}
