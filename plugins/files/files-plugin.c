/* files-plugin.c: the files plugin: read_file, list_folder and write_file, inside the folders the user granted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every path must be absolute and, once resolved (realpath: "..", "." and
 * symbolic links followed), inside a folder the host granted
 * (hearth_plugin_host_dup_granted_folders(), resolved the same way); else
 * the call fails with PERMISSION_DENIED, naming the path and the granted
 * folders. A path that does not exist is checked as written, with ".."
 * removed, so that a missing file outside says "denied", not "not found".
 * write_file resolves the folder the file goes in; when the file itself is
 * a symbolic link, where it points must be inside too.
 *
 * Bounds: read_file and write_file move at most FILES_MAX_BYTES and only
 * UTF-8 text (no NUL bytes); list_folder lists at most FILES_MAX_ENTRIES.
 *
 * Writes are atomic: the content goes to a temporary file beside the
 * target, is synced, then renamed over it (overwrite true) or moved there
 * only if nothing is (renameat2 RENAME_NOREPLACE, or link() where the file
 * system lacks it), so an existing file is never clobbered by a race. The
 * cancellable is checked before anything is written and before the rename.
 *
 * A folder swapped for a symbolic link between the check and the open is
 * not guarded against: the granted folders are the user's own.
 */
#include "hearth-builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#define FILES_MAX_BYTES   (1024 * 1024)
#define FILES_MAX_ENTRIES 10000

/* ---- paths ---- */

static gboolean
is_inside (const char  *path,
           char       **folders)
{
  for (gsize i = 0; folders[i] != NULL; i++)
    {
      gsize n = strlen (folders[i]);

      if (strcmp (folders[i], "/") == 0)
        return TRUE;
      if (strncmp (path, folders[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
        return TRUE;
    }
  return FALSE;
}

/* The granted folders resolved (@real) or only made canonical (as written). */
static char **
granted_folders (char     **granted,
                 gboolean   real)
{
  GPtrArray *out = g_ptr_array_new ();

  for (gsize i = 0; granted[i] != NULL; i++)
    {
      char *r = real ? realpath (granted[i], NULL) : g_canonicalize_filename (granted[i], "/");

      if (r != NULL)
        g_ptr_array_add (out, g_strdup (r));
      free (r);
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static gboolean
deny (const char  *path,
      char       **granted,
      GError     **error)
{
  g_autofree char *list = g_strjoinv (", ", granted);

  if (granted[0] == NULL)
    g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED,
                 "'%s' is outside the folders this plugin may use: none is granted yet "
                 "(the user can grant one in Hearth's plugin settings)", path);
  else
    g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED,
                 "'%s' is outside the folders this plugin may use: %s", path, list);
  return FALSE;
}

/* @path resolved, when it exists and is inside a granted folder. A denial
 * names @asked (what the model asked for: the file, for the folder it goes in). */
static char *
resolve (const char  *path,
         const char  *asked,
         char       **granted,
         GError     **error)
{
  g_auto(GStrv) real_granted = granted_folders (granted, TRUE);
  g_autofree char *real = NULL;
  int saved;

  if (*path == '\0' || !g_path_is_absolute (path))
    {
      g_autofree char *list = g_strjoinv (", ", granted);

      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "'%s' is not an absolute path: give the whole path, in one of %s",
                   path, granted[0] ? list : "the granted folders (none is granted yet)");
      return NULL;
    }
  {
    char *r = realpath (path, NULL);

    saved = errno;
    real = g_strdup (r);
    free (r);
  }
  if (real != NULL)
    {
      if (!is_inside (real, real_granted))
        return deny (asked, granted, error), NULL;
      return g_steal_pointer (&real);
    }
  if (saved == ENOENT || saved == ENOTDIR)
    {
      g_autofree char *written = g_canonicalize_filename (path, "/");
      g_auto(GStrv) written_granted = granted_folders (granted, FALSE);

      if (!is_inside (written, real_granted) && !is_inside (written, written_granted))
        return deny (asked, granted, error), NULL;
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                   "'%s' does not exist", path);
      return NULL;
    }
  g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
               "cannot open '%s': %s", path, g_strerror (saved));
  return NULL;
}

static gboolean
io_failed (const char  *what,
           const char  *path,
           int          errsv,
           GError     **error)
{
  g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
               "cannot %s '%s': %s", what, path, g_strerror (errsv));
  return FALSE;
}

/* Text within the bound: no NUL bytes, valid UTF-8. */
static gboolean
check_text (const char  *path,
            const char  *data,
            gsize        len,
            GError     **error)
{
  const char *end = NULL;

  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                   "'%s' looks like a binary file (it contains NUL bytes): only text can be read", path);
      return FALSE;
    }
  if (!g_utf8_validate (data, (gssize) len, &end))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                   "'%s' is not UTF-8 text (an invalid byte at offset %zu): only text can be read",
                   path, (gsize) (end - data));
      return FALSE;
    }
  return TRUE;
}

static gboolean
too_large (const char  *path,
           goffset      size,
           GError     **error)
{
  g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
               "'%s' is %" G_GINT64_FORMAT " bytes: at most %d bytes (1 MiB) can be read or written at once",
               path, (gint64) size, FILES_MAX_BYTES);
  return FALSE;
}

/* ---- read_file ---- */

static HearthToolResult *
run_read_file (HearthBuiltinCall  *call,
               GError            **error)
{
  const char *path = hearth_builtin_get_string (call->arguments, "path", TRUE, error);
  g_autofree char *real = NULL;
  g_autofree char *data = NULL;
  struct stat st = { 0 };
  gsize len = 0;
  int fd;

  if (path == NULL || g_cancellable_set_error_if_cancelled (call->cancellable, error))
    return NULL;
  if ((real = resolve (path, path, call->granted_folders, error)) == NULL)
    return NULL;
  fd = open (real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return io_failed ("open", path, errno, error), NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      gboolean dir = S_ISDIR (st.st_mode);

      close (fd);
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   dir ? "'%s' is a folder: list it with list_folder" : "'%s' is not a regular file", path);
      return NULL;
    }
  if (st.st_size > FILES_MAX_BYTES)
    {
      close (fd);
      return too_large (path, st.st_size, error), NULL;
    }
  /* One byte more than the bound: a file that grew since fstat. */
  data = g_malloc (FILES_MAX_BYTES + 2);
  while (len <= FILES_MAX_BYTES)
    {
      gssize n;

      if (g_cancellable_set_error_if_cancelled (call->cancellable, error))
        {
          close (fd);
          return NULL;
        }
      n = read (fd, data + len, MIN ((gsize) 65536, FILES_MAX_BYTES + 1 - len));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          close (fd);
          return io_failed ("read", path, errsv, error), NULL;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  close (fd);
  if (len > FILES_MAX_BYTES)
    return too_large (path, (goffset) len, error), NULL;
  data[len] = '\0';
  if (!check_text (path, data, len, error))
    return NULL;
  return hearth_tool_result_new_text (data);
}

/* ---- list_folder ---- */

typedef struct
{
  char       *name;
  const char *kind;
  goffset     size;
} Entry;

static int
entry_cmp (gconstpointer a,
           gconstpointer b)
{
  return strcmp (((const Entry *) a)->name, ((const Entry *) b)->name);
}

static void
entry_clear (gpointer data)
{
  g_free (((Entry *) data)->name);
}

static HearthToolResult *
run_list_folder (HearthBuiltinCall  *call,
                 GError            **error)
{
  const char *path = hearth_builtin_get_string (call->arguments, "path", TRUE, error);
  g_autofree char *real = NULL;
  g_autoptr(GArray) entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  gboolean truncated = FALSE;
  struct dirent *d;
  DIR *dir;

  g_array_set_clear_func (entries, entry_clear);
  if (path == NULL || g_cancellable_set_error_if_cancelled (call->cancellable, error))
    return NULL;
  if ((real = resolve (path, path, call->granted_folders, error)) == NULL)
    return NULL;
  dir = opendir (real);
  if (dir == NULL)
    {
      if (errno == ENOTDIR)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                       "'%s' is a file, not a folder: read it with read_file", path);
          return NULL;
        }
      return io_failed ("list", path, errno, error), NULL;
    }
  while ((d = readdir (dir)) != NULL)
    {
      Entry e = { 0 };
      struct stat st;

      if (strcmp (d->d_name, ".") == 0 || strcmp (d->d_name, "..") == 0)
        continue;
      if (entries->len >= FILES_MAX_ENTRIES)
        {
          truncated = TRUE;
          break;
        }
      if (entries->len % 256 == 0 && g_cancellable_is_cancelled (call->cancellable))
        break;
      e.kind = "other";
      e.size = -1;
      if (fstatat (dirfd (dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          if (S_ISREG (st.st_mode))
            {
              e.kind = "file";
              e.size = st.st_size;
            }
          else if (S_ISDIR (st.st_mode))
            e.kind = "folder";
          else if (S_ISLNK (st.st_mode))
            e.kind = "symlink";
        }
      e.name = g_filename_display_name (d->d_name);
      g_array_append_val (entries, e);
    }
  closedir (dir);
  if (g_cancellable_set_error_if_cancelled (call->cancellable, error))
    return NULL;
  g_array_sort (entries, entry_cmp);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, real);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = &g_array_index (entries, Entry, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, e->name);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, e->kind);
      if (e->size >= 0)
        {
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, e->size);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "truncated");
  json_builder_add_boolean_value (b, truncated);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return hearth_tool_result_new_json (json);
}

/* ---- write_file ---- */

/* Where the content goes: the resolved folder plus the name, or where the
 * symbolic link that is there points. */
static char *
write_target (const char  *path,
              char       **granted,
              GError     **error)
{
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *real_folder = NULL;
  g_autofree char *target = NULL;
  struct stat st;

  if (g_path_is_absolute (path) &&
      (g_str_has_suffix (path, "/") || strcmp (name, ".") == 0 || strcmp (name, "..") == 0))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "'%s' does not name a file", path);
      return NULL;
    }
  real_folder = resolve (g_path_is_absolute (path) ? folder : path, path, granted, error);
  if (real_folder == NULL)
    return NULL;
  if (stat (real_folder, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                   "'%s' is not a folder, so '%s' cannot be written", folder, path);
      return NULL;
    }
  target = g_build_filename (real_folder, name, NULL);
  if (lstat (target, &st) == 0 && S_ISLNK (st.st_mode))
    {
      g_auto(GStrv) real_granted = granted_folders (granted, TRUE);
      char *r = realpath (target, NULL);
      g_autofree char *pointed = g_strdup (r);

      free (r);
      if (pointed == NULL)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                       "'%s' is a symbolic link to nothing", path);
          return NULL;
        }
      if (!is_inside (pointed, real_granted))
        return deny (path, granted, error), NULL;
      g_free (target);
      target = g_steal_pointer (&pointed);
    }
  return g_steal_pointer (&target);
}

/* Moves @tmp to @target, failing when something is there already. */
static gboolean
move_no_replace (const char *tmp,
                 const char *target)
{
  if (renameat2 (AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno != EINVAL && errno != ENOSYS)
    return FALSE;
  if (link (tmp, target) != 0)
    return FALSE;
  unlink (tmp);
  return TRUE;
}

static HearthToolResult *
run_write_file (HearthBuiltinCall  *call,
                GError            **error)
{
  const char *path = hearth_builtin_get_string (call->arguments, "path", TRUE, error);
  const char *content = path ? hearth_builtin_get_string (call->arguments, "content", TRUE, error) : NULL;
  g_autofree char *target = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *message = NULL;
  gboolean overwrite = FALSE, existed;
  gsize len, done = 0;
  struct stat st;
  int fd;

  if (content == NULL || !hearth_builtin_get_boolean (call->arguments, "overwrite", FALSE, &overwrite, error))
    return NULL;
  len = strlen (content);
  if (len > FILES_MAX_BYTES)
    return too_large ("the content", (goffset) len, error), NULL;
  if (g_cancellable_set_error_if_cancelled (call->cancellable, error))
    return NULL;
  if ((target = write_target (path, call->granted_folders, error)) == NULL)
    return NULL;
  existed = lstat (target, &st) == 0;
  if (existed && S_ISDIR (st.st_mode))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "'%s' is a folder", path);
      return NULL;
    }
  if (existed && !S_ISREG (st.st_mode))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                   "'%s' is not a regular file", path);
      return NULL;
    }
  if (existed && !overwrite)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                   "'%s' already exists: set overwrite to true to replace it", path);
      return NULL;
    }

  {
    g_autofree char *dir = g_path_get_dirname (target);
    g_autofree char *name = g_path_get_basename (target);

    tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, name);
  }
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, existed ? (int) (st.st_mode & 07777) : 0666);
  if (fd < 0)
    return io_failed ("write", path, errno, error), NULL;
  while (done < len)
    {
      gssize n = write (fd, content + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      done += (gsize) n;
    }
  if (done < len || fsync (fd) != 0)
    {
      int errsv = errno;

      close (fd);
      unlink (tmp);
      return io_failed ("write", path, errsv, error), NULL;
    }
  close (fd);
  if (g_cancellable_set_error_if_cancelled (call->cancellable, error))
    {
      unlink (tmp);
      return NULL;
    }
  if (overwrite ? rename (tmp, target) != 0 : !move_no_replace (tmp, target))
    {
      int errsv = errno;

      unlink (tmp);
      if (errsv == EEXIST)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                       "'%s' already exists: set overwrite to true to replace it", path);
          return NULL;
        }
      return io_failed ("write", path, errsv, error), NULL;
    }
  message = g_strdup_printf ("%s '%s' (%zu bytes)", existed ? "Replaced" : "Wrote", path, len);
  return hearth_tool_result_new_text (message);
}

static const HearthBuiltinTool files_tools[] = {
  {
    "read_file",
    "Reads a text file (UTF-8, at most 1 MiB) in a folder the user granted.",
    "{\"type\": \"object\","
    " \"properties\": {\"path\": {\"type\": \"string\", \"description\": \"The file's absolute path\"}},"
    " \"required\": [\"path\"], \"additionalProperties\": false}",
    HEARTH_TOOL_EFFECT_READ_ONLY,
    run_read_file,
  },
  {
    "list_folder",
    "Lists a folder the user granted (or one inside it): each entry's name, kind (file, folder, "
    "symlink, other) and, for files, size in bytes, sorted by name.",
    "{\"type\": \"object\","
    " \"properties\": {\"path\": {\"type\": \"string\", \"description\": \"The folder's absolute path\"}},"
    " \"required\": [\"path\"], \"additionalProperties\": false}",
    HEARTH_TOOL_EFFECT_READ_ONLY,
    run_list_folder,
  },
  {
    "write_file",
    "Writes a text file (at most 1 MiB) in a folder the user granted. An existing file is only "
    "replaced when overwrite is true.",
    "{\"type\": \"object\","
    " \"properties\": {\"path\": {\"type\": \"string\", \"description\": \"The file's absolute path\"},"
    "   \"content\": {\"type\": \"string\", \"description\": \"The whole text of the file\"},"
    "   \"overwrite\": {\"type\": \"boolean\", \"default\": false,"
    "     \"description\": \"Replace the file if it exists\"}},"
    " \"required\": [\"path\", \"content\"], \"additionalProperties\": false}",
    HEARTH_TOOL_EFFECT_SIDE_EFFECTS | HEARTH_TOOL_EFFECT_DESTRUCTIVE,
    run_write_file,
  },
};

HEARTH_BUILTIN_PROVIDER (HearthFilesProvider, hearth_files_provider, files_tools)
