/* hearth-cli-bench.c: `hearth-cli bench`, prompt and generation speed of a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints prompt tokens/s, generated tokens/s, time to first token, load
 * time and peak RSS (medians over --reps runs), and states the generation
 * throughput as weight bytes the CPU streams per second against this
 * machine's read bandwidth measured in the same run (with layers on a
 * device, only the rest count; nothing when the device holds them all). With --backend vulkan it also
 * measures the device's read bandwidth (hearth-vk-bench.h) and states what
 * the device streams per generated token (its layers' matrices, the output
 * matrix when it holds every layer) against it: the fraction of the device's
 * memory bandwidth that decode achieves. On an encoder (bert, nomic-bert)
 * it measures embedding throughput instead (--chunk, --batch; see
 * hearth-cli-embed.c).
 */
#include "hearth-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

/* The device probe's default size: far beyond any GPU's last-level cache. */
#define DEVICE_PROBE_MIB 1024

static double
now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

int
hearth_cli_bench (int    argc,
                  char **argv)
{
  g_autofree char *model_path = NULL;
  g_auto(HearthCliBackendOptions) bopts = { 0 };
  int n_prompt = 128;
  int n_gen = 64;
  int threads = 0;
  int reps = 3;
  gboolean json = FALSE;
  gboolean no_bandwidth = FALSE;
  int device_probe_mib = DEVICE_PROBE_MIB;
  int chunk = 256;
  int batch = 32;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "GGUF model", "FILE" },
    { "prompt", 'p', 0, G_OPTION_ARG_INT, &n_prompt, "Prompt tokens (default 128)", "N" },
    { "gen", 'n', 0, G_OPTION_ARG_INT, &n_gen, "Generated tokens (default 64)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "Repetitions; medians are reported (default 3)", "N" },
    { "no-bandwidth", 0, 0, G_OPTION_ARG_NONE, &no_bandwidth, "Skip the memory bandwidth probe", NULL },
    { "device-probe-mib", 0, 0, G_OPTION_ARG_INT, &device_probe_mib,
      "MiB the Vulkan device's bandwidth probe reads (default 1024)", "MIB" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "chunk", 0, 0, G_OPTION_ARG_INT, &chunk, "Encoders: tokens per text (default 256)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Encoders: texts per call (default 32)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- measure prompt and generation speed");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autofree gint32 *prompt = NULL;
  g_autofree double *pp = NULL, *tg = NULL, *ttft = NULL;
  HearthModelParams mp;
  HearthSessionParams sp;
  GRand *rand;
  HearthBandwidth probe = { 0 };
  double t0, load_s, bw = 0.0, pp_med, tg_med, ttft_med, gbs;
  double dev_bw = 0.0, dev_gbs;
  gboolean dev_timestamps = FALSE;
  guint64 dev_bytes, host_bytes;
  struct rusage ru;
  guint32 n_vocab;

  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &bopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model_path == NULL)
    return hearth_cli_failf ("bench needs -m FILE");
  if (n_prompt < 1 || n_gen < 1 || reps < 1 || device_probe_mib < 1)
    return hearth_cli_failf ("--prompt, --gen, --reps and --device-probe-mib must be at least 1");

  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  if (!hearth_cli_backend_options_apply (&bopts, &mp, &error))
    return hearth_cli_fail (error);
  t0 = now ();
  model = hearth_model_load (model_path, &mp, &error);
  if (model == NULL)
    return hearth_cli_fail (error);
  load_s = now () - t0;
  if (hearth_model_is_encoder (model))
    return hearth_cli_bench_encoder (model, chunk, batch, reps, json, load_s);

  hearth_session_params_init (&sp);
  sp.n_ctx = (guint32) (n_prompt + n_gen);
  sp.n_batch = (guint32) n_prompt;
  session = hearth_session_new (model, &sp, &error);
  if (session == NULL)
    return hearth_cli_fail (error);

  n_vocab = hearth_model_get_n_vocab (model);
  rand = g_rand_new_with_seed (1234);
  prompt = g_new (gint32, n_prompt);
  for (int i = 0; i < n_prompt; i++)
    prompt[i] = g_rand_int_range (rand, 0, (gint32) n_vocab);
  g_rand_free (rand);

  pp = g_new (double, reps);
  tg = g_new (double, reps);
  ttft = g_new (double, reps);
  for (int r = 0; r < reps; r++)
    {
      double start, t_prompt;
      gint32 next;

      hearth_session_truncate (session, 0);
      start = now ();
      if (!hearth_session_decode (session, prompt, (gsize) n_prompt, FALSE, NULL, &error))
        return hearth_cli_fail (error);
      next = hearth_sampler_sample (sampler, hearth_session_get_logits (session, -1), n_vocab, NULL, 0);
      t_prompt = now () - start;
      pp[r] = n_prompt / t_prompt;
      ttft[r] = t_prompt;

      start = now ();
      for (int i = 0; i < n_gen; i++)
        {
          if (!hearth_session_decode (session, &next, 1, FALSE, NULL, &error))
            return hearth_cli_fail (error);
          next = hearth_sampler_sample (sampler, hearth_session_get_logits (session, -1), n_vocab, NULL, 0);
        }
      tg[r] = n_gen / (now () - start);
    }

  /* Peak RSS of the model work, before the probe's buffer. */
  getrusage (RUSAGE_SELF, &ru);
  if (!no_bandwidth)
    {
      hearth_probe_read_bandwidth (threads, &probe);
      bw = probe.median;
    }
  dev_bytes = hearth_model_get_device_bytes_per_token (model);
  /* The speeds above stand without the probe (a small device may not have
   * room for it next to the model): say why the fraction is missing. */
  if (!no_bandwidth && dev_bytes > 0 &&
      !hearth_measure_device_read_bandwidth (&mp, (gsize) device_probe_mib << 20, 5, &dev_bw, &dev_timestamps,
                                             &error))
    {
      fprintf (stderr, "hearth-cli: no device bandwidth figure: %s\n", error->message);
      g_clear_error (&error);
      dev_bw = 0.0;
    }
  pp_med = hearth_median (pp, (gsize) reps);
  tg_med = hearth_median (tg, (gsize) reps);
  ttft_med = hearth_median (ttft, (gsize) reps);
  /* What the CPU streams: the layers (and output) the device does not
   * hold. With every layer on the device that is nothing, and the host's
   * bandwidth says nothing about the run. */
  host_bytes = hearth_model_get_bytes_per_token (model);
  host_bytes = host_bytes > dev_bytes ? host_bytes - dev_bytes : 0;
  gbs = (double) host_bytes * tg_med;
  dev_gbs = (double) dev_bytes * tg_med;

  if (json)
    {
      printf ("{\"model\": \"%s\", \"backend\": \"%s\", \"n_params\": %" G_GUINT64_FORMAT
              ", \"weight_bytes_per_token\": %" G_GUINT64_FORMAT ", \"prompt_tokens\": %d, \"gen_tokens\": %d, "
              "\"reps\": %d, \"load_s\": %.4f, \"prompt_tok_s\": %.2f, \"gen_tok_s\": %.2f, \"ttft_s\": %.4f, "
              "\"host_weight_bytes_per_token\": %" G_GUINT64_FORMAT ", \"gen_weight_gb_s\": %.3f, \"read_bandwidth_gb_s\": %.3f, "
              "\"read_bandwidth_p10_gb_s\": %.3f, \"read_bandwidth_p90_gb_s\": %.3f, \"bandwidth_fraction\": %.3f, "
              "\"device_weight_bytes_per_token\": %" G_GUINT64_FORMAT ", \"device_gen_weight_gb_s\": %.3f, "
              "\"device_read_bandwidth_gb_s\": %.3f, \"device_bandwidth_timing\": \"%s\", "
              "\"device_bandwidth_fraction\": %.4f, \"peak_rss_mib\": %.1f}\n",
              model_path, hearth_model_get_backend_description (model), hearth_model_get_n_params (model),
              hearth_model_get_bytes_per_token (model), n_prompt, n_gen, reps, load_s, pp_med, tg_med,
              ttft_med, host_bytes, gbs / 1e9, bw / 1e9, probe.low / 1e9, probe.high / 1e9, bw > 0 ? gbs / bw : 0.0, dev_bytes, dev_gbs / 1e9, dev_bw / 1e9,
              dev_bw <= 0 ? "none" : dev_timestamps ? "timestamps" : "wall clock",
              dev_bw > 0 ? dev_gbs / dev_bw : 0.0, ru.ru_maxrss / 1024.0);
      return 0;
    }
  printf ("model:            %s\n", model_path);
  printf ("backend:          %s\n", hearth_model_get_backend_description (model));
  printf ("parameters:       %" G_GUINT64_FORMAT " (%.1f MiB of weights read per token)\n",
          hearth_model_get_n_params (model), hearth_model_get_bytes_per_token (model) / 1048576.0);
  printf ("load:             %.3f s\n", load_s);
  printf ("prompt:           %.2f tokens/s (%d tokens, median of %d)\n", pp_med, n_prompt, reps);
  printf ("generation:       %.2f tokens/s (%d tokens, median of %d)\n", tg_med, n_gen, reps);
  printf ("time to first:    %.3f s\n", ttft_med);
  if (bw > 0 && host_bytes > 0)
    printf ("%s%.2f GB/s = %.0f%% of measured read bandwidth %.2f GB/s "
            "(median of %u passes over up to %.0f MiB; 10th-90th percentile %.2f-%.2f GB/s)\n",
            dev_bytes > 0 ? "CPU streams:      " : "weights streamed: ", gbs / 1e9, 100.0 * gbs / bw, bw / 1e9,
            probe.n_passes, probe.buffer_bytes / 1048576.0, probe.low / 1e9, probe.high / 1e9);
  if (dev_bw > 0)
    printf ("device streams:   %.1f MiB per token = %.2f GB/s = %.1f%% of the device's measured read bandwidth "
            "%.2f GB/s (%s)\n", dev_bytes / 1048576.0, dev_gbs / 1e9, 100.0 * dev_gbs / dev_bw, dev_bw / 1e9,
            dev_timestamps ? "timestamp queries" : "wall clock around the fence");
  printf ("peak RSS:         %.1f MiB\n", ru.ru_maxrss / 1024.0);
  return 0;
}
