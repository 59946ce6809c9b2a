/* hearth-gguf-writer.h: writes GGUF v3 files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Metadata and tensor descriptions are collected first (they are small);
 * the tensor data is then streamed to disk in order, so a model is never
 * held in memory as a whole. Use either
 *   - hearth_gguf_writer_write_file(): every tensor was added with its data, or
 *   - hearth_gguf_writer_begin(), hearth_gguf_writer_write_data() for each
 *     tensor's bytes in order (in as many pieces as convenient), then
 *     hearth_gguf_writer_finish().
 * The file appears under its name only when finished (it is written to a
 * temporary name beside it and renamed), so a failed write leaves no
 * half-written model behind.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-ggml-type.h"
#include "hearth-gguf.h"

G_BEGIN_DECLS

typedef struct _HearthGgufWriter HearthGgufWriter;

HearthGgufWriter *hearth_gguf_writer_new (void);
void              hearth_gguf_writer_free (HearthGgufWriter *self);

/* Tensor data alignment (a power of two); other than the default 32 it is
 * recorded as general.alignment. A general.alignment key added as metadata
 * has the same effect. */
gboolean hearth_gguf_writer_set_alignment (HearthGgufWriter *self,
                                           guint32           alignment,
                                           GError          **error);

/* Metadata, written in the order added. Adding a key that exists replaces
 * its value in place. Keys and strings are UTF-8 without NULs. */
void hearth_gguf_writer_add_uint8 (HearthGgufWriter *self, const char *key, guint8 v);
void hearth_gguf_writer_add_int8 (HearthGgufWriter *self, const char *key, gint8 v);
void hearth_gguf_writer_add_uint16 (HearthGgufWriter *self, const char *key, guint16 v);
void hearth_gguf_writer_add_int16 (HearthGgufWriter *self, const char *key, gint16 v);
void hearth_gguf_writer_add_uint32 (HearthGgufWriter *self, const char *key, guint32 v);
void hearth_gguf_writer_add_int32 (HearthGgufWriter *self, const char *key, gint32 v);
void hearth_gguf_writer_add_uint64 (HearthGgufWriter *self, const char *key, guint64 v);
void hearth_gguf_writer_add_int64 (HearthGgufWriter *self, const char *key, gint64 v);
void hearth_gguf_writer_add_float32 (HearthGgufWriter *self, const char *key, float v);
void hearth_gguf_writer_add_float64 (HearthGgufWriter *self, const char *key, double v);
void hearth_gguf_writer_add_bool (HearthGgufWriter *self, const char *key, gboolean v);
void hearth_gguf_writer_add_string (HearthGgufWriter *self, const char *key, const char *v);
/* An array of a fixed-size element type (any numeric type or BOOL); @data
 * holds @n packed host-order elements. */
void hearth_gguf_writer_add_array (HearthGgufWriter *self,
                                   const char       *key,
                                   HearthGgufType    elem_type,
                                   const void       *data,
                                   guint64           n);
void hearth_gguf_writer_add_string_array (HearthGgufWriter  *self,
                                          const char        *key,
                                          const char *const *strings,
                                          guint64            n);
/* Copies a value read by hearth_gguf (any type, nested arrays included). */
void hearth_gguf_writer_add_value (HearthGgufWriter      *self,
                                   const char            *key,
                                   const HearthGgufValue *value);
/* Copies every metadata entry of @src, in its order. */
void hearth_gguf_writer_copy_metadata (HearthGgufWriter *self,
                                       HearthGguf       *src);

/* Declares the next tensor. @data (may be NULL for streaming) is borrowed
 * until the file is written and must hold the whole tensor. Fails for a bad
 * name, shape or type (the row length must be a multiple of the block). */
gboolean hearth_gguf_writer_add_tensor (HearthGgufWriter *self,
                                        const char       *name,
                                        HearthGgmlType    type,
                                        guint32           n_dims,
                                        const guint64    *ne,
                                        const void       *data,
                                        GError          **error);
guint64  hearth_gguf_writer_get_n_tensors (HearthGgufWriter *self);

gboolean hearth_gguf_writer_write_file (HearthGgufWriter *self,
                                        const char       *path,
                                        GError          **error);

gboolean hearth_gguf_writer_begin (HearthGgufWriter *self,
                                   const char       *path,
                                   GError          **error);
/* The next bytes of tensor data, in tensor order; a piece may span tensors. */
gboolean hearth_gguf_writer_write_data (HearthGgufWriter *self,
                                        const void       *data,
                                        gsize             n_bytes,
                                        GError          **error);
/* Checks that every tensor's bytes were written, then moves the file into place. */
gboolean hearth_gguf_writer_finish (HearthGgufWriter *self,
                                    GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthGgufWriter, hearth_gguf_writer_free)

G_END_DECLS
