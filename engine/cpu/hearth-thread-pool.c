/* hearth-thread-pool.c: a persistent pool of worker threads for the kernels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A decode step runs a few hundred small kernels, so a run must cost
 * microseconds: the workers are created once, wait for a new generation
 * number by spinning briefly (the next kernel usually follows at once) and
 * only then sleep on a condition variable. The caller does share 0 itself.
 *
 * Lost wake-ups are avoided with sequentially consistent atomics (GLib's
 * g_atomic_int_* are full barriers): a sleeper registers itself in
 * n_sleeping *before* re-checking the generation under the mutex, and the
 * caller bumps the generation *before* reading n_sleeping. Whichever comes
 * first in the total order, either the sleeper sees the new generation or
 * the caller sees the sleeper and broadcasts under the mutex. The same
 * handshake covers the caller waiting for the last worker.
 */
#include "hearth-cpu.h"

#include "hearth-cpu-private.h"

/* Spin iterations before sleeping: tens of microseconds, enough to bridge
 * the gap between two kernels of one decode step. */
#define SPIN_ITERATIONS 20000

struct _HearthThreadPool
{
  int       n_threads;  /* including the caller */
  GThread **threads;    /* n_threads - 1 workers */

  void    (*fn) (void *data, int ith, int nth);
  void     *data;

  gint      generation;      /* bumped by each run */
  gint      pending;         /* workers still running the current generation */
  gint      n_sleeping;      /* workers waiting on work_cond */
  gint      caller_sleeping; /* the caller waits on done_cond */
  gint      stop;

  GMutex    mutex;
  GCond     work_cond;
  GCond     done_cond;

  /* Scratch memory the kernels reuse between calls (quantized activations);
   * a pool runs one kernel at a time, so one buffer serves them all. */
  void     *scratch;
  gsize     scratch_size;
};

typedef struct
{
  HearthThreadPool *pool;
  int               ith;
} Worker;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield");
#endif
}

/* One step of a spin-wait. Yielding now and then matters when there are
 * more runnable threads than cores (a shared machine, or a pool larger than
 * the CPU): a pure spinner would then hold a core for its whole time slice
 * while the thread it waits for cannot run. */
static inline void
spin_step (int spin)
{
  if ((spin & 63) == 63)
    g_thread_yield ();
  else
    cpu_relax ();
}

static gpointer
worker_main (gpointer user_data)
{
  Worker *w = user_data;
  HearthThreadPool *pool = w->pool;
  int seen = 0;

  for (;;)
    {
      int gen = g_atomic_int_get (&pool->generation);

      for (int spin = 0; gen == seen && spin < SPIN_ITERATIONS; spin++)
        {
          spin_step (spin);
          gen = g_atomic_int_get (&pool->generation);
        }
      if (gen == seen)
        {
          g_mutex_lock (&pool->mutex);
          g_atomic_int_inc (&pool->n_sleeping);
          while ((gen = g_atomic_int_get (&pool->generation)) == seen)
            g_cond_wait (&pool->work_cond, &pool->mutex);
          g_atomic_int_add (&pool->n_sleeping, -1);
          g_mutex_unlock (&pool->mutex);
        }
      seen = gen;
      if (g_atomic_int_get (&pool->stop))
        break;

      pool->fn (pool->data, w->ith, pool->n_threads);

      if (g_atomic_int_dec_and_test (&pool->pending) &&
          g_atomic_int_get (&pool->caller_sleeping))
        {
          g_mutex_lock (&pool->mutex);
          g_cond_broadcast (&pool->done_cond);
          g_mutex_unlock (&pool->mutex);
        }
    }
  g_free (w);
  return NULL;
}

HearthThreadPool *
hearth_thread_pool_new (int n_threads)
{
  HearthThreadPool *pool = g_new0 (HearthThreadPool, 1);

  if (n_threads <= 0)
    n_threads = (int) g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, 512);
  pool->n_threads = n_threads;
  g_mutex_init (&pool->mutex);
  g_cond_init (&pool->work_cond);
  g_cond_init (&pool->done_cond);
  pool->threads = g_new0 (GThread *, n_threads);
  for (int i = 1; i < n_threads; i++)
    {
      Worker *w = g_new (Worker, 1);
      g_autofree char *name = g_strdup_printf ("hearth-cpu-%d", i);

      w->pool = pool;
      w->ith = i;
      pool->threads[i] = g_thread_new (name, worker_main, w);
    }
  return pool;
}

static void
wake_workers (HearthThreadPool *pool)
{
  g_atomic_int_inc (&pool->generation);
  if (g_atomic_int_get (&pool->n_sleeping) > 0)
    {
      g_mutex_lock (&pool->mutex);
      g_cond_broadcast (&pool->work_cond);
      g_mutex_unlock (&pool->mutex);
    }
}

void
hearth_thread_pool_free (HearthThreadPool *pool)
{
  if (pool == NULL)
    return;
  g_atomic_int_set (&pool->stop, 1);
  wake_workers (pool);
  for (int i = 1; i < pool->n_threads; i++)
    g_thread_join (pool->threads[i]);
  g_free (pool->threads);
  g_mutex_clear (&pool->mutex);
  g_cond_clear (&pool->work_cond);
  g_cond_clear (&pool->done_cond);
  g_free (pool->scratch);
  g_free (pool);
}

int
hearth_thread_pool_get_n_threads (HearthThreadPool *pool)
{
  return pool ? pool->n_threads : 1;
}

void
hearth_thread_pool_run (HearthThreadPool *pool,
                        void            (*fn) (void *data, int ith, int nth),
                        void             *data)
{
  if (pool == NULL || pool->n_threads == 1)
    {
      fn (data, 0, 1);
      return;
    }

  pool->fn = fn;
  pool->data = data;
  g_atomic_int_set (&pool->pending, pool->n_threads - 1);
  wake_workers (pool);

  fn (data, 0, pool->n_threads);

  for (int spin = 0; g_atomic_int_get (&pool->pending) > 0 && spin < SPIN_ITERATIONS; spin++)
    spin_step (spin);
  if (g_atomic_int_get (&pool->pending) > 0)
    {
      g_mutex_lock (&pool->mutex);
      g_atomic_int_set (&pool->caller_sleeping, 1);
      while (g_atomic_int_get (&pool->pending) > 0)
        g_cond_wait (&pool->done_cond, &pool->mutex);
      g_atomic_int_set (&pool->caller_sleeping, 0);
      g_mutex_unlock (&pool->mutex);
    }
}

void *
hearth_thread_pool_scratch (HearthThreadPool *pool,
                            gsize             size)
{
  if (pool->scratch_size < size)
    {
      g_free (pool->scratch);
      /* 64-byte multiples keep per-token slices on their own cache lines. */
      pool->scratch_size = (size + 63) & ~(gsize) 63;
      pool->scratch = g_malloc (pool->scratch_size);
    }
  return pool->scratch;
}
