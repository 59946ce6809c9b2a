// SPDX-License-Identifier: GPL-3.0-or-later
// load-test.mjs: CLIENTS concurrent streaming chat clients (the openai
// client) against a running `hearth-cli serve` for SECONDS; every reply must
// be complete ([DONE] seen, finish_reason set) and equal the greedy
// reference, none may be lost. Prints p50/p95 time to first token and
// tokens/s per stream, and the server's resident memory over the run.
// Run by load-test.sh: for 10 s in meson test (api-load), for longer by hand.
// With RSS_GROWTH_MAX_MIB set, the server's memory may grow by at most that.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(process.env.HEARTH_API_NODE_MODULES + '/');
const { default: OpenAI } = require('openai');
const { API_URL, API_TOKEN, API_MODEL, API_PID } = process.env;
const clients = Number(process.env.CLIENTS ?? 32);
const seconds = Number(process.env.SECONDS_RUN ?? 60);
const maxTokens = Number(process.env.MAX_TOKENS ?? 32);

const client = new OpenAI({ baseURL: API_URL, apiKey: API_TOKEN, maxRetries: 0, timeout: 600_000 });
const request = { model: API_MODEL, temperature: 0, max_tokens: maxTokens,
  messages: [{ role: 'user', content: 'Tell me a story about a dog' }] };
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${API_PID}/status`, 'utf8'))[1]);

const reference = (await client.chat.completions.create(request)).choices[0].message.content;
const rssStart = rss();
let rssMax = rssStart;
const sampler = setInterval(() => { rssMax = Math.max(rssMax, rss()); }, 250);

const ttft = [], tps = [];
let started = 0, completed = 0, wrong = 0, failed = 0;
const deadline = Date.now() + seconds * 1000;

async function one() {
  started++;
  const t0 = performance.now();
  let first = 0, text = '', finish = null, n = 0;
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    if (chunk.usage) n = chunk.usage.completion_tokens;
    for (const c of chunk.choices) {
      if (c.delta.content) { if (!first) first = performance.now(); text += c.delta.content; }
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  const t1 = performance.now();
  if (!finish || text !== reference) { wrong++; return; }
  completed++;
  ttft.push((first - t0) / 1000);
  if (n > 1 && t1 > first) tps.push((n - 1) / ((t1 - first) / 1000));
}

async function worker() {
  while (Date.now() < deadline) {
    try { await one(); } catch (e) { failed++; console.error(`request failed: ${e.message}`); }
  }
}
const t0 = Date.now();
await Promise.all(Array.from({ length: clients }, worker));
clearInterval(sampler);
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
console.log(`clients ${clients}, ${((Date.now() - t0) / 1000).toFixed(1)} s, max_tokens ${maxTokens}, model ${API_MODEL}`);
console.log(`requests started ${started}, complete and correct ${completed}, wrong ${wrong}, failed ${failed}`);
console.log(`time to first token: p50 ${pct(ttft, 0.5).toFixed(3)} s, p95 ${pct(ttft, 0.95).toFixed(3)} s`);
// For speed the 95th percentile is the slow end: 95% of the streams were faster.
console.log(`tokens/s per stream: p50 ${pct(tps, 0.5).toFixed(1)}, p95 (slowest 5%) ${pct(tps, 0.05).toFixed(1)}; ` +
            `aggregate ${(completed * maxTokens / ((Date.now() - t0) / 1000)).toFixed(1)} tokens/s`);
console.log(`server RSS: ${(rssStart / 1024).toFixed(1)} MiB at start, ${(rssMax / 1024).toFixed(1)} MiB at most`);
const growthMax = process.env.RSS_GROWTH_MAX_MIB ? Number(process.env.RSS_GROWTH_MAX_MIB) : null;
const grewTooMuch = growthMax !== null && (rssMax - rssStart) / 1024 > growthMax;
if (grewTooMuch) console.log(`server RSS grew by more than ${growthMax} MiB`);
process.exit(wrong || failed || started !== completed || completed === 0 || grewTooMuch ? 1 : 0);
