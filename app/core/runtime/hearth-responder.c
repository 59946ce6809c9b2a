/* hearth-responder.c: what writes the assistant's reply to a conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-responder.h"

G_DEFINE_INTERFACE (HearthResponder, hearth_responder, G_TYPE_OBJECT)

static void
hearth_responder_default_init (HearthResponderInterface *iface)
{
}

gboolean
hearth_responder_is_ready (HearthResponder *self)
{
  g_return_val_if_fail (HEARTH_IS_RESPONDER (self), FALSE);
  return HEARTH_RESPONDER_GET_IFACE (self)->is_ready (self);
}

const char *
hearth_responder_get_model (HearthResponder *self)
{
  HearthResponderInterface *iface;

  g_return_val_if_fail (HEARTH_IS_RESPONDER (self), NULL);
  iface = HEARTH_RESPONDER_GET_IFACE (self);
  return iface->get_model != NULL ? iface->get_model (self) : NULL;
}

void
hearth_responder_respond_async (HearthResponder              *self,
                                const HearthResponderRequest *request,
                                GCancellable                 *cancellable,
                                GAsyncReadyCallback           callback,
                                gpointer                      user_data)
{
  g_return_if_fail (HEARTH_IS_RESPONDER (self));
  g_return_if_fail (request != NULL && request->messages != NULL && request->sampler != NULL);
  HEARTH_RESPONDER_GET_IFACE (self)->respond_async (self, request, cancellable, callback, user_data);
}

HearthWorkerReply *
hearth_responder_respond_finish (HearthResponder *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (HEARTH_IS_RESPONDER (self), NULL);
  return HEARTH_RESPONDER_GET_IFACE (self)->respond_finish (self, result, error);
}
