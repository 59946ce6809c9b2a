/* hearth-cli.h: shared helpers of the hearth-cli subcommands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "hearth-engine.h"
#include "hearth-plugin-manager.h"
#include "hearth-doc-index.h"
#include "hearth-store.h"

G_BEGIN_DECLS

/* A subcommand gets argv with argv[0] = its own name and returns the exit status. */
typedef int (*HearthCliCommandFunc) (int argc, char **argv);

typedef struct
{
  const char          *name;
  const char          *summary;
  HearthCliCommandFunc func;
} HearthCliCommand;

/* Prints "hearth-cli: <message>" on stderr as one line and returns 1. */
int hearth_cli_fail (const GError *error);
int hearth_cli_failf (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Parses @context's options over argc/argv; prints the error and returns FALSE. */
gboolean hearth_cli_parse (GOptionContext *context, int *argc, char ***argv);

/* --backend, --device and --gpu-layers, shared by the commands that load a
 * model (logits, bench, generate). */
typedef struct
{
  char *backend;     /* "cpu" (default) or "vulkan" */
  char *device;      /* index or part of a name, as `hearth-cli devices` lists them */
  int   gpu_layers;  /* < 0: all */
} HearthCliBackendOptions;

void     hearth_cli_backend_options_add (GOptionContext          *context,
                                         HearthCliBackendOptions *options);
/* Fills the backend fields of @params; @options must outlive the model load. */
gboolean hearth_cli_backend_options_apply (const HearthCliBackendOptions *options,
                                           HearthModelParams             *params,
                                           GError                       **error);
void     hearth_cli_backend_options_clear (HearthCliBackendOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HearthCliBackendOptions, hearth_cli_backend_options_clear)

/* --data-dir and --passphrase-file: where the history is and how to
 * unlock it without a keyring (hearth-cli-store.c). */
typedef struct
{
  char *data_dir;
  char *passphrase_file;
} HearthCliStoreOptions;

void         hearth_cli_store_options_add   (GOptionContext        *context,
                                             HearthCliStoreOptions *options);
void         hearth_cli_store_options_clear (HearthCliStoreOptions *options);
HearthStore *hearth_cli_open_store          (HearthCliStoreOptions *options,
                                             GError               **error);
/* The document index in the same folder, unlocked the same way (its own key). */
HearthDocIndex *hearth_cli_open_doc_index   (HearthCliStoreOptions *options,
                                             GError               **error);
/* Deletes @path and everything below it (a throwaway or benchmark store). */
void         hearth_cli_remove_tree         (const char            *path);

/* "1 2 3" -> ids (gint32). */
gboolean hearth_cli_parse_ids (const char *text, GArray *ids, GError **error);

int hearth_cli_inspect (int argc, char **argv);
int hearth_cli_logits (int argc, char **argv);
int hearth_cli_bench (int argc, char **argv);
int hearth_cli_constraint_bench (int argc, char **argv);
int hearth_cli_embed (int argc, char **argv);
int hearth_cli_bench_encoder (HearthModel *model, int chunk, int batch, int reps, gboolean json, double load_s);
int hearth_cli_generate (int argc, char **argv);
int hearth_cli_chat (int argc, char **argv);
int hearth_cli_remote (int argc, char **argv);
int hearth_cli_quantize (int argc, char **argv);
int hearth_cli_synth_model (int argc, char **argv);
int hearth_cli_tokenize (int argc, char **argv);
int hearth_cli_detokenize (int argc, char **argv);
int hearth_cli_history (int argc, char **argv);
int hearth_cli_history_bench (int argc, char **argv);
int hearth_cli_template (int argc, char **argv);
int hearth_cli_devices (int argc, char **argv);
int hearth_cli_plugins (int argc, char **argv);
int hearth_cli_tools (int argc, char **argv);
int hearth_cli_mcp (int argc, char **argv);
int hearth_cli_models (int argc, char **argv);
int hearth_cli_serve (int argc, char **argv);
int hearth_cli_docs (int argc, char **argv);
/* `docs bench` (hearth-cli-docs-bench.c), in the `docs` group: argv[0] is "bench". */
int hearth_cli_docs_bench (int argc, char **argv);

/* Plugins (hearth-cli-plugins.c). Runs @argv[1] from @commands, or prints
 * the group's usage. */
int                  hearth_cli_run_group       (const char             *group,
                                                 const HearthCliCommand *commands,
                                                 guint                   n_commands,
                                                 int                     argc,
                                                 char                  **argv);
/* The store's plugin manager; @load: with the enabled plugins loaded. */
HearthPluginManager *hearth_cli_open_plugins    (HearthCliStoreOptions *options,
                                                 gboolean               load,
                                                 GError               **error);
/* ["read-only", ...]: hearth_tool_effects_to_string() as a JSON array. */
JsonNode            *hearth_cli_effects_to_json (HearthToolEffects effects);
/* @node as indented JSON and a newline on stdout. */
void                 hearth_cli_print_json      (JsonNode *node);
/* `tools audit` (hearth-cli-tools-audit.c), in the `tools` group: argv[0]
 * is "audit". */
int hearth_cli_tools_audit (int argc, char **argv);

G_END_DECLS
