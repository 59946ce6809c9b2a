/* hearth-markdown-view.c: Markdown blocks as GTK widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

#include "hearth-markdown.h"
#include "hearth-markdown-view.h"

const char *
hearth_markdown_language_id (const char *info)
{
  /* Fence words people write, mapped to GtkSourceView's ids. */
  static const struct { const char *alias; const char *id; } aliases[] = {
    { "py", "python3" }, { "python", "python3" }, { "sh", "sh" }, { "bash", "sh" },
    { "shell", "sh" }, { "zsh", "sh" }, { "console", "sh" }, { "js", "js" },
    { "javascript", "js" }, { "ts", "typescript" }, { "c++", "cpp" }, { "cxx", "cpp" },
    { "h", "c" }, { "rs", "rust" }, { "yml", "yaml" }, { "md", "markdown" },
    { "html", "html" }, { "xml", "xml" }, { "json", "json" }, { "c", "c" },
  };
  GtkSourceLanguageManager *lm;

  if (info == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_ascii_strcasecmp (info, aliases[i].alias) == 0)
      return aliases[i].id;
  lm = gtk_source_language_manager_get_default ();
  return gtk_source_language_manager_get_language (lm, info) != NULL ? info : NULL;
}

static void
copy_code_cb (GtkButton     *button,
              GtkSourceView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);
  gtk_button_set_icon_name (button, "object-select-symbolic");
}

static void
update_scheme (GtkSourceBuffer *buffer)
{
  AdwStyleManager *sm = adw_style_manager_get_default ();
  GtkSourceStyleSchemeManager *ssm = gtk_source_style_scheme_manager_get_default ();
  const char *id = adw_style_manager_get_dark (sm) ? "Adwaita-dark" : "Adwaita";

  gtk_source_buffer_set_style_scheme (buffer, gtk_source_style_scheme_manager_get_scheme (ssm, id));
}

static GtkWidget *
code_block_new (const HearthMdBlock *b)
{
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *lang = gtk_label_new (b->language ? b->language : _("code"));
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkSourceLanguageManager *lm = gtk_source_language_manager_get_default ();
  const char *lang_id = hearth_markdown_language_id (b->language);
  g_autoptr(GtkSourceBuffer) buffer = NULL;
  GtkWidget *view;
  GtkWidget *scroller;

  gtk_widget_add_css_class (frame, "code-block");
  gtk_widget_add_css_class (frame, "card");
  gtk_widget_set_margin_start (header, 8);
  gtk_widget_set_margin_end (header, 4);
  gtk_widget_set_margin_top (header, 2);
  gtk_widget_add_css_class (lang, "dim-label");
  gtk_widget_add_css_class (lang, "caption");
  gtk_widget_set_hexpand (lang, TRUE);
  gtk_label_set_xalign (GTK_LABEL (lang), 0);
  gtk_box_append (GTK_BOX (header), lang);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy code"), -1);
  gtk_box_append (GTK_BOX (header), copy);
  gtk_box_append (GTK_BOX (frame), header);

  buffer = gtk_source_buffer_new (NULL);
  if (lang_id != NULL)
    gtk_source_buffer_set_language (buffer, gtk_source_language_manager_get_language (lm, lang_id));
  gtk_source_buffer_set_highlight_syntax (buffer, TRUE);
  update_scheme (buffer);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_scheme), buffer, G_CONNECT_SWAPPED);
  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer), b->code, -1);

  view = gtk_source_view_new_with_buffer (buffer);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_NONE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 4);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  b->language ? b->language : _("Code"), -1);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_box_append (GTK_BOX (frame), scroller);

  g_signal_connect (copy, "clicked", G_CALLBACK (copy_code_cb), view);
  return frame;
}

static GtkWidget *
text_label_new (const char *markup)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_halign (label, GTK_ALIGN_FILL);
  return label;
}

static GtkWidget *
table_new (const HearthMdBlock *b)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_widget_add_css_class (grid, "md-table");
  gtk_widget_add_css_class (grid, "card");
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_accessible_update_property (GTK_ACCESSIBLE (grid), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Table"), -1);
  for (guint r = 0; r < b->n_rows; r++)
    for (guint c = 0; c < b->n_columns; c++)
      {
        GtkWidget *cell = gtk_label_new (NULL);

        gtk_label_set_markup (GTK_LABEL (cell), g_ptr_array_index (b->cells, r * b->n_columns + c));
        gtk_label_set_xalign (GTK_LABEL (cell), 0);
        gtk_label_set_selectable (GTK_LABEL (cell), TRUE);
        gtk_grid_attach (GTK_GRID (grid), cell, (int) c, (int) r, 1, 1);
      }
  gtk_widget_set_halign (grid, GTK_ALIGN_START);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), grid);
  return scroller;
}

GtkWidget *
hearth_markdown_view_new (const char *text)
{
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse (text, -1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);

  for (guint i = 0; i < blocks->len; i++)
    {
      const HearthMdBlock *b = g_ptr_array_index (blocks, i);
      GtkWidget *w = NULL;

      switch (b->kind)
        {
        case HEARTH_MD_PARAGRAPH:
          w = text_label_new (b->markup);
          break;
        case HEARTH_MD_HEADING:
          w = text_label_new (b->markup);
          gtk_widget_add_css_class (w, b->level <= 1 ? "title-2" : b->level == 2 ? "title-3" : "heading");
          gtk_accessible_update_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LEVEL, (int) b->level, -1);
          break;
        case HEARTH_MD_CODE:
          w = code_block_new (b);
          break;
        case HEARTH_MD_TABLE:
          w = table_new (b);
          break;
        case HEARTH_MD_RULE:
          w = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
          break;
        default:
          continue;
        }
      if (b->indent > 1)
        gtk_widget_set_margin_start (w, 18 * ((int) b->indent - 1));
      if (b->quoted)
        gtk_widget_add_css_class (w, "md-quote");
      gtk_box_append (GTK_BOX (box), w);
    }
  return box;
}
