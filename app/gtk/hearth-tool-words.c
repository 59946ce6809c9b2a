/* hearth-tool-words.c: how the views word and show tool calls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-tool-words.h"

const char *
hearth_tool_decision_label (const char *decision)
{
  static const struct { const char *word; const char *label; } words[] = {
    { "denied", N_("Denied") },
    { "allowed-once", N_("Allowed once") },
    { "allowed-conversation", N_("Allowed in this conversation") },
    { "allowed-always", N_("Always allowed") },
    { "read-only", N_("Read-only, no approval needed") },
    { "cli", N_("Called from the command line") },
    { "invalid", N_("Invalid arguments, not run") },
    { "not-run", N_("Stopped, not run") },
  };

  if (decision == NULL)
    return _("No decision on record");
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_strcmp0 (words[i].word, decision) == 0)
      return _(words[i].label);
  return decision;
}

const char *
hearth_tool_decided_by_label (const char *decided_by)
{
  static const struct { const char *word; const char *label; } words[] = {
    { "user", N_("by you") },
    { "remembered", N_("remembered") },
    { "policy", N_("by the approval policy") },
    { "runtime", N_("by Hearth") },
    { "cli", N_("from the command line") },
  };

  for (guint i = 0; decided_by != NULL && i < G_N_ELEMENTS (words); i++)
    if (g_strcmp0 (words[i].word, decided_by) == 0)
      return _(words[i].label);
  return decided_by != NULL ? decided_by : "";
}

static void
add_tag (GtkWidget  *box,
         const char *text,
         const char *style)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "tool-effect");
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  gtk_box_append (GTK_BOX (box), label);
}

GtkWidget *
hearth_tool_effect_tags_new (HearthToolEffects effects)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);

  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  if (effects & HEARTH_TOOL_EFFECT_READ_ONLY)
    add_tag (box, _("Read-only"), "success");
  if (effects & HEARTH_TOOL_EFFECT_SIDE_EFFECTS)
    add_tag (box, _("Side effects"), "warning");
  if (effects & HEARTH_TOOL_EFFECT_NETWORK)
    add_tag (box, _("Network"), "warning");
  if (effects & HEARTH_TOOL_EFFECT_DESTRUCTIVE)
    add_tag (box, _("Destructive"), "error");
  if ((effects & HEARTH_TOOL_EFFECTS_ALL) == 0)
    add_tag (box, _("Undeclared"), "warning");
  return box;
}

GtkWidget *
hearth_tool_code_label_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text != NULL ? text : "");

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "tool-code");
  return label;
}
