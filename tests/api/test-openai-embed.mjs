// SPDX-License-Identifier: GPL-3.0-or-later
// test-openai-embed.mjs: the official openai client's embeddings.create
// against `hearth-cli serve --embed-model` alone, run by test-openai.sh with
// API_URL, API_TOKEN, HEARTH_API_NODE_MODULES and WANT_EMBED (the output of
// `hearth-cli embed --json` for the two texts below) in the environment.
// The vectors must be the engine's float32 values exactly: as the client's
// default (it asks for base64 and decodes it), as "float" JSON numbers and
// as raw base64 bytes.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(process.env.HEARTH_API_NODE_MODULES + '/');
const { default: OpenAI } = require('openai');
const { API_URL, API_TOKEN, WANT_EMBED } = process.env;

const client = new OpenAI({ baseURL: API_URL, apiKey: API_TOKEN, maxRetries: 0 });
const want = JSON.parse(WANT_EMBED);
const texts = ['The cat sat on the mat.', 'Hearth runs offline, on this machine.'];
const model = 'synth-bert-F32';
const wantRows = want.data.map((d) => Float32Array.from(d.embedding));
const wantTokens = want.data.reduce((n, d) => n + d.n_tokens, 0);
let passed = 0;
async function check(name, fn) {
  await fn();
  passed++;
  console.log(`ok - ${name}`);
}
// Bit-equal as float32: every value rounds to the engine's.
function sameRows(got, rows) {
  assert.equal(got.length, rows.length);
  got.forEach((g, i) => assert.deepEqual(Float32Array.from(g), rows[i], `vector ${i}`));
}

await check('models.list: the embedding model alone', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
});

await check('embeddings.create, the client default (base64 decoded)', async () => {
  const r = await client.embeddings.create({ model, input: texts });
  assert.equal(r.object, 'list');
  assert.equal(r.model, model);
  assert.deepEqual(r.data.map((d) => [d.object, d.index]), [['embedding', 0], ['embedding', 1]]);
  assert.deepEqual(r.usage, { prompt_tokens: wantTokens, total_tokens: wantTokens });
  sameRows(r.data.map((d) => d.embedding), wantRows);
});

await check('embeddings.create, encoding_format float', async () => {
  const r = await client.embeddings.create({ model, input: texts, encoding_format: 'float' });
  r.data.forEach((d) => assert.ok(Array.isArray(d.embedding)));
  sameRows(r.data.map((d) => d.embedding), wantRows);
});

await check('embeddings.create, encoding_format base64: little-endian float32 bytes', async () => {
  const r = await client.embeddings.create({ model, input: texts, encoding_format: 'base64' });
  r.data.forEach((d, i) => {
    const bytes = Buffer.from(d.embedding, 'base64');
    const le = Buffer.alloc(wantRows[i].length * 4);
    wantRows[i].forEach((v, c) => le.writeFloatLE(v, c * 4));
    assert.ok(bytes.equals(le), `vector ${i}`);
  });
});

await check('one text at a time equals the batch', async () => {
  for (let i = 0; i < texts.length; i++) {
    const r = await client.embeddings.create({ model, input: texts[i], encoding_format: 'float' });
    sameRows([r.data[0].embedding], [wantRows[i]]);
  }
});

await check('an empty input array is BadRequestError (400)', async () => {
  await assert.rejects(client.embeddings.create({ model, input: [] }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === 'invalid_value' && e.param === 'input');
});

await check('an unknown model is NotFoundError (404)', async () => {
  await assert.rejects(client.embeddings.create({ model: 'nope', input: 'x' }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
});

await check('chat with the embedding model is BadRequestError (400)', async () => {
  await assert.rejects(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === 'model_not_supported');
});

console.log(`all ${passed} checks passed`);
