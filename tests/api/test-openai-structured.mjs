// SPDX-License-Identifier: GPL-3.0-or-later
// test-openai-structured.mjs: structured output and forced tool calls with
// the official openai client, run by test-openai.sh against `hearth-cli
// serve` on synth-qwen3 with Qwen2.5's template (whose tool calls are
// <tool_call>...</tool_call>, so a call can be forced even on a model of
// random weights). Every JSON the server returns is validated against its
// schema by Debian's python3-jsonschema; greedy replies are repeatable and
// streamed equal to not streamed; seeded replies are valid too.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const require = createRequire(process.env.HEARTH_API_NODE_MODULES + '/');
const { default: OpenAI } = require('openai');
const { API_URL, API_TOKEN, API_MODEL } = process.env;

const client = new OpenAI({ baseURL: API_URL, apiKey: API_TOKEN, maxRetries: 0 });
let passed = 0;
async function check(name, fn) {
  await fn();
  passed++;
  console.log(`ok - ${name}`);
}
// Throws with the validator's reason unless @text is JSON valid against @schema.
function validate(text, schema) {
  const out = execFileSync('/usr/bin/python3', ['-c', `import json, sys, jsonschema
jsonschema.Draft202012Validator(json.loads(sys.argv[2]), format_checker=jsonschema.FormatChecker()).validate(json.loads(sys.argv[1]))
print("valid")`, text, JSON.stringify(schema)], { encoding: 'utf8' });
  assert.equal(out.trim(), 'valid', `${text} against ${JSON.stringify(schema)}`);
}

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 10 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    pets: { type: 'array', items: { type: 'string', enum: ['cat', 'dog', 'fish'] }, maxItems: 3 },
  },
  required: ['name', 'age', 'pets'],
  additionalProperties: false,
};
const ask = {
  model: API_MODEL, max_tokens: 150,
  messages: [{ role: 'user', content: 'Describe a person as JSON.' }],
  response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema } },
};

let greedy;
await check('response_format json_schema, greedy: valid, repeatable, ended by itself', async () => {
  const r = await client.chat.completions.create({ ...ask, temperature: 0 });
  greedy = r.choices[0].message.content;
  validate(greedy, schema);
  assert.equal(r.choices[0].finish_reason, 'stop');
  const again = await client.chat.completions.create({ ...ask, temperature: 0 });
  assert.equal(again.choices[0].message.content, greedy);
});

await check('response_format json_schema, streamed: the greedy text', async () => {
  const stream = await client.chat.completions.create({ ...ask, temperature: 0, stream: true });
  let s = '';
  for await (const chunk of stream) s += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(s, greedy);
});

await check('response_format json_schema, seeded: valid for every seed', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({ ...ask, temperature: 1.0, seed });
    validate(r.choices[0].message.content, schema);
  }
});

// Any object: its strings are free, and this model of random weights,
// greedy, never closes one; seeded at 1.0 it does.
await check('response_format json_object: a JSON object', async () => {
  const r = await client.chat.completions.create({ model: API_MODEL, max_tokens: 300, temperature: 1.0, seed: 3,
    messages: [{ role: 'user', content: 'Lily' }], response_format: { type: 'json_object' } });
  validate(r.choices[0].message.content, { type: 'object' });
  assert.equal(r.choices[0].finish_reason, 'stop');
});

await check('an unsupported schema keyword is BadRequestError naming it', async () => {
  await assert.rejects(client.chat.completions.create({ ...ask, response_format: { type: 'json_schema',
    json_schema: { name: 'x', schema: { type: 'string', pattern: '^a+$' } } } }),
  (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.code === 'unsupported_schema' &&
         e.param === 'response_format' && /pattern/.test(e.message));
});

const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'],
                  additionalProperties: false } } },
  { type: 'function', function: { name: 'get_time', description: 'Time in a zone',
    parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET', 'JST'] },
                                                hours: { type: 'integer', minimum: 0, maximum: 23 } },
                  required: ['zone', 'hours'] } } },
];
const paramsOf = (name) => tools.find((t) => t.function.name === name).function.parameters;
const callReq = { model: API_MODEL, max_tokens: 120, tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] };

function checkCall(r, name) {
  const m = r.choices[0].message;
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  assert.equal(m.content, null);
  assert.equal(m.tool_calls.length, 1);
  const c = m.tool_calls[0];
  assert.equal(c.type, 'function');
  assert.match(c.id, /^call_/);
  if (name) assert.equal(c.function.name, name);
  assert.ok(paramsOf(c.function.name), `unknown tool ${c.function.name}`);
  validate(c.function.arguments, paramsOf(c.function.name));
  return c;
}

let greedyCall;
await check('tool_choice required, greedy and seeded: a valid call', async () => {
  greedyCall = checkCall(await client.chat.completions.create({ ...callReq, tool_choice: 'required', temperature: 0 }));
  for (const seed of [4, 5])
    checkCall(await client.chat.completions.create({ ...callReq, tool_choice: 'required', temperature: 1.0, seed }));
});

await check('tool_choice naming a function: that function, valid', async () => {
  checkCall(await client.chat.completions.create({ ...callReq, temperature: 0,
    tool_choice: { type: 'function', function: { name: 'get_time' } } }), 'get_time');
});

await check('tool_choice required, streamed: the same call', async () => {
  const stream = await client.chat.completions.create({ ...callReq, tool_choice: 'required', temperature: 0, stream: true });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      for (const t of c.delta.tool_calls ?? []) calls.push(t);
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(calls.length, 1);
  assert.deepEqual([calls[0].index, calls[0].type, calls[0].function], [0, 'function', greedyCall.function]);
});

console.log(`all ${passed} checks passed`);
