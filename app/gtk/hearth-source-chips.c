/* hearth-source-chips.c: the sources under a reply that was given passages of documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hearth-reply-sources.h"
#include "hearth-source-chips.h"

static void
launched (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_message ("The source could not be opened: %s", error->message);
}

static void
chip_clicked (GtkButton *button)
{
  const char *path = g_object_get_data (G_OBJECT (button), "path");
  const char *log = g_getenv ("HEARTH_TEST_LAUNCH_LOG");
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  g_autoptr(GdkAppLaunchContext) context = NULL;

  if (uri == NULL)
    return;
  if (log != NULL && log[0] != '\0')
    {
      FILE *f = fopen (log, "a");

      if (f != NULL)
        {
          fprintf (f, "%s\n", uri);
          fclose (f);
        }
      return;
    }
  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (button)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL, launched, NULL);
}

static char *
chip_label (HearthPassage *p)
{
  g_autofree char *name = g_path_get_basename (hearth_passage_get_source (p));
  GString *s = g_string_new (name);

  if (hearth_passage_get_page (p) > 0)
    /* Translators: the page of a source, as in "report.pdf · p. 3" */
    g_string_append_printf (s, _(" · p. %u"), hearth_passage_get_page (p));
  if (hearth_passage_get_first_line (p) > 0)
    {
      if (hearth_passage_get_last_line (p) > hearth_passage_get_first_line (p))
        /* Translators: the lines of a source, as in "notes.txt · lines 3–9" */
        g_string_append_printf (s, _(" · lines %u–%u"), hearth_passage_get_first_line (p),
                                hearth_passage_get_last_line (p));
      else
        g_string_append_printf (s, _(" · line %u"), hearth_passage_get_first_line (p));
    }
  return g_string_free (s, FALSE);
}

GtkWidget *
hearth_source_chips_new (const char *sources_json)
{
  g_autoptr(GPtrArray) passages = hearth_reply_sources_from_json (sources_json);
  GtkWidget *box;

  if (passages == NULL)
    return NULL;
  if (passages->len == 0)
    {
      GtkWidget *label = gtk_label_new (_("No relevant passage in the attached documents"));

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption");
      return label;
    }
  box = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (box), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (box), 5);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (box), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (box), 6);
  gtk_widget_set_halign (box, GTK_ALIGN_START);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Sources"), -1);
  for (guint i = 0; i < passages->len; i++)
    {
      HearthPassage *p = passages->pdata[i];
      g_autofree char *label = chip_label (p);
      g_autofree char *tip = g_utf8_substring (hearth_passage_get_text (p), 0,
                                               MIN (400, g_utf8_strlen (hearth_passage_get_text (p), -1)));
      g_autofree char *accessible = g_strdup_printf (_("Open source %u: %s"), i + 1, label);
      GtkWidget *chip = gtk_button_new_with_label (label);

      gtk_widget_add_css_class (chip, "pill");
      gtk_widget_add_css_class (chip, "source-chip");
      gtk_widget_set_tooltip_text (chip, tip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (chip),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tip, -1);
      g_object_set_data_full (G_OBJECT (chip), "path", g_strdup (hearth_passage_get_source (p)), g_free);
      g_signal_connect (chip, "clicked", G_CALLBACK (chip_clicked), NULL);
      gtk_flow_box_append (GTK_FLOW_BOX (box), chip);
    }
  return box;
}
