/* hearth-hf-import.h: a Hugging Face repository's GGUF files, to download the verified way
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The user pastes https://huggingface.co/OWNER/REPO (or a file's address in
 * it, .../resolve/main/FILE or .../blob/main/FILE); one request lists the
 * repository's top folder (GET ENDPOINT/api/models/OWNER/REPO/tree/main,
 * a JSON array of {type, path, size, lfs: {oid, size}}), and its GGUF
 * files come back with their sizes, the LFS SHA-256 each is verified
 * against, and the address HearthDownload fetches. ENDPOINT is
 * $HEARTH_HF_ENDPOINT when set (tests point it at a local server; https,
 * or http to the loopback only), else https://huggingface.co. The request
 * is logged in the network log like a download's. No request is made but
 * the listing the user asked for.
 *
 * A file's fit before it is downloaded is estimated from its size
 * (hearth_hf_file_fit_model): the header that says its layers is not read
 * until the file is here; the check before loading uses it.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-model-fit.h"
#include "hearth-network-log.h"

G_BEGIN_DECLS

typedef struct
{
  char   *path;    /* in the repository: "qwen2.5-0.5b-instruct-q8_0.gguf" */
  guint64 size;    /* bytes */
  char   *sha256;  /* the LFS object id: lower-case hex */
  char   *url;     /* ENDPOINT/OWNER/REPO/resolve/main/PATH */
} HearthHfFile;

void       hearth_hf_file_free      (HearthHfFile *file);

/* $HEARTH_HF_ENDPOINT or https://huggingface.co, without a trailing slash. */
char      *hearth_hf_dup_endpoint   (void);

/* Whether @url is a repository (or a file in one) on the endpoint: @repo
 * gets "OWNER/REPO", @file the file's path or NULL. FALSE with
 * HEARTH_MODELS_ERROR_URL otherwise. */
gboolean   hearth_hf_parse_url      (const char *url,
                                     char      **repo,
                                     char      **file,
                                     GError    **error);

/* The GGUF files of a tree listing, sorted by path; anything else in it
 * (folders, README.md, safetensors) is left out. HEARTH_MODELS_ERROR_LISTING
 * for a body that is not such a listing. */
GPtrArray *hearth_hf_parse_tree     (const char *repo,
                                     const char *json,
                                     gssize      length,
                                     GError    **error);

/* Fetches and parses the listing; blocks (a worker thread, or the CLI).
 * A repository that does not exist, or is private, is
 * HEARTH_MODELS_ERROR_HTTP with the status. */
GPtrArray *hearth_hf_list_files     (const char       *repo,
                                     HearthNetworkLog *log,
                                     GCancellable     *cancellable,
                                     GError          **error);
/* The same on a worker thread; the result on the caller's main context. */
void       hearth_hf_list_files_async  (const char          *repo,
                                        HearthNetworkLog    *log,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
GPtrArray *hearth_hf_list_files_finish (GAsyncResult  *result,
                                        GError       **error);

/* The file named @path in @files, or NULL. */
const HearthHfFile *hearth_hf_find_file (GPtrArray  *files,
                                         const char *path);

/* For the fit check before download: the file's size as its weights, and
 * the KV cache of a common 7-8B layout (32 layers, 8 KV heads of 128) at
 * HEARTH_FIT_DEFAULT_CONTEXT, which over- rather than under-states it. */
void       hearth_hf_file_fit_model (const HearthHfFile *file,
                                     HearthFitModel     *out);

G_END_DECLS
