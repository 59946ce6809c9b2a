// SPDX-License-Identifier: GPL-3.0-or-later
// test-openai.mjs: the official openai client (pinned in package.json)
// against `hearth-cli serve`, run by test-openai.sh with API_URL, API_TOKEN,
// API_MODEL, API_BASE, HEARTH_API_NODE_MODULES and WANT_COMPLETION (the
// greedy continuation hearth-cli generate wrote) in the environment.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(process.env.HEARTH_API_NODE_MODULES + '/');
const { default: OpenAI } = require('openai');
const { API_URL, API_TOKEN, API_MODEL, API_BASE, WANT_COMPLETION } = process.env;

const client = new OpenAI({ baseURL: API_URL, apiKey: API_TOKEN, maxRetries: 0 });
let passed = 0;
async function check(name, fn) {
  await fn();
  passed++;
  console.log(`ok - ${name}`);
}
async function metric(name) {
  const r = await fetch(`${API_BASE}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } });
  const line = (await r.text()).split('\n').find((l) => l.startsWith(name + ' '));
  return Number(line.split(' ')[1]);
}

const messages = [
  { role: 'system', content: 'You tell stories.' },
  { role: 'user', content: 'Tell me about Lily' },
];
const greedy = { model: API_MODEL, messages, temperature: 0, max_tokens: 24 };

await check('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push([m.id, m.object, m.owned_by]);
  assert.deepEqual(ids, [[API_MODEL, 'model', 'hearth']]);
});

let text;
await check('chat.completions.create', async () => {
  const r = await client.chat.completions.create(greedy);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, API_MODEL);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 24);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 24);
  text = r.choices[0].message.content;
  assert.ok(text.length > 0);
});

await check('chat stream equals the text not streamed, with usage', async () => {
  const stream = await client.chat.completions.create({ ...greedy, stream: true, stream_options: { include_usage: true } });
  let streamed = '', finish = null, usage = null, n = 0;
  for await (const chunk of stream) {
    n++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      streamed += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(streamed, text);
  assert.equal(finish, 'length');
  assert.equal(usage.completion_tokens, 24);
  assert.ok(n > 3, `only ${n} chunks`);
});

await check('four streams at once, each the greedy text', async () => {
  const one = async () => {
    const stream = await client.chat.completions.create({ ...greedy, stream: true });
    let s = '';
    for await (const chunk of stream) s += chunk.choices[0]?.delta?.content ?? '';
    return s;
  };
  const all = await Promise.all([one(), one(), one(), one()]);
  for (const s of all) assert.equal(s, text);
});

await check('completions.create equals hearth-cli generate', async () => {
  const r = await client.completions.create({ model: API_MODEL, prompt: 'Once upon a time', max_tokens: 20, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0].text, WANT_COMPLETION);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 });
});

await check('completions stream', async () => {
  const stream = await client.completions.create({ model: API_MODEL, prompt: 'Once upon a time', max_tokens: 20, temperature: 0, stream: true });
  let s = '';
  for await (const chunk of stream) s += chunk.choices[0]?.text ?? '';
  assert.equal(s, WANT_COMPLETION);
});

await check('tools and a tool-role message round trip', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
  const r = await client.chat.completions.create({
    model: API_MODEL, temperature: 0, max_tokens: 8, tools, tool_choice: 'auto',
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 C' },
    ],
  });
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(['stop', 'length', 'tool_calls'].includes(r.choices[0].finish_reason));
  if (r.choices[0].finish_reason === 'tool_calls') {
    for (const c of r.choices[0].message.tool_calls) {
      assert.equal(c.type, 'function');
      JSON.parse(c.function.arguments);
    }
  }
});

await check('a wrong key is AuthenticationError (401)', async () => {
  const bad = new OpenAI({ baseURL: API_URL, apiKey: API_TOKEN + 'x', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key');
});

await check('too long is BadRequestError (400, context_length_exceeded)', async () => {
  const long = 'once upon a time '.repeat(60);
  await assert.rejects(client.chat.completions.create({ model: API_MODEL, messages: [{ role: 'user', content: long }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.code === 'context_length_exceeded');
});

await check('an unknown model is NotFoundError (404)', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'nope', messages }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
});

await check('aborting a stream frees its session', async () => {
  const before = await metric('hearth_api_client_disconnects_total');
  const stream = await client.chat.completions.create({ model: API_MODEL, messages, temperature: 0, stream: true });
  let n = 0;
  for await (const chunk of stream) {
    if (++n === 2) stream.controller.abort();
  }
  for (let i = 0; i < 50 && (await metric('hearth_api_active_sessions')) !== 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.equal(await metric('hearth_api_active_sessions'), 0);
  // A reply this short may have ended before the abort reached the server.
  assert.ok((await metric('hearth_api_client_disconnects_total')) - before <= 1);
});

console.log(`all ${passed} checks passed`);
