import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import OpenAI from 'openai';
import { controlRequest, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { tinyModelPath } from '../helpers/synth-model.js';

// The real path: hearthd -> scheduler -> inference worker (node-llama-cpp) with the synthetic tiny model,
// spoken to by the official openai client.
let d: RunningDaemon;
let token: string;
let client: OpenAI;

before(async () => {
  d = await startDaemon();
  const added = await controlRequest<{ id: string }>(d.socketPath, 'POST', '/models/add', { path: await tinyModelPath(), id: 'tiny' });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.equal((await controlRequest(d.socketPath, 'POST', '/models/use', { id: 'tiny' })).status, 200);
  const t = await controlRequest<{ token: string }>(d.socketPath, 'POST', '/tokens', { name: 'tests' });
  token = t.body.token;
  client = new OpenAI({ apiKey: token, baseURL: `${d.url}/v1`, maxRetries: 0, timeout: 60_000 });
});
after(async () => {
  await d.stop();
  await removeDir(d.dataDir);
});

test('models are listed', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), ['tiny']);
});

test('a chat completion answers with text and a token account', async () => {
  const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 12 });
  const choice = r.choices[0]!;
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(['stop', 'length'].includes(choice.finish_reason));
  assert.ok(r.usage!.prompt_tokens > 0, 'prompt tokens counted');
  assert.ok(r.usage!.completion_tokens > 0 && r.usage!.completion_tokens <= 12, `completion tokens ${r.usage!.completion_tokens}`);
  const extra = r.usage as unknown as { time_to_first_token_ms: number | null; duration_ms: number };
  assert.ok(extra.duration_ms > 0);
});

test('streaming sends chunks, then a finish reason and usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'tiny',
    messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Count to five.' }],
    max_tokens: 16,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null = null;
  let chunks = 0;
  let usage: { completion_tokens: number } | null = null;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 3, `chunks ${chunks}`);
  assert.ok(finish === 'stop' || finish === 'length');
  assert.ok(usage && usage.completion_tokens > 0);
  assert.equal(typeof text, 'string');
});

test('response_format json_schema gives JSON that follows the schema', async () => {
  const r = await client.chat.completions.create({
    model: 'tiny',
    messages: [{ role: 'user', content: 'Give this document a title.' }],
    max_tokens: 200,
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'doc', schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false } },
    },
  });
  const parsed = JSON.parse(r.choices[0]!.message.content!);
  assert.equal(typeof parsed.title, 'string');
});

test('embeddings', async () => {
  const r = await client.embeddings.create({ model: 'tiny', input: ['a letter from the bank', 'a cat'] });
  assert.equal(r.data.length, 2);
  assert.ok(r.data[0]!.embedding.length > 0);
  assert.equal(r.data[0]!.embedding.length, r.data[1]!.embedding.length);
  assert.ok(r.usage.prompt_tokens > 0);
});

test('more concurrent requests than the context has sequences all complete', async () => {
  // One sequence until calibrated: each request waits its turn and reuses the freed sequence.
  const answers = await Promise.all(
    Array.from({ length: 5 }, (_, i) => client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: `Request ${i}` }], max_tokens: 4 })),
  );
  for (const a of answers) {
    assert.equal(a.choices.length, 1);
    assert.ok(a.usage && a.usage.completion_tokens > 0 && a.usage.completion_tokens <= 4, JSON.stringify(a.usage));
    assert.ok(a.usage.prompt_tokens > 0, 'each answer counts its own prompt, not the sequence total');
  }
});

test('a request does not depend on the one before it on the same sequence', async () => {
  const ask = () => client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Say something.' }], max_tokens: 12, temperature: 0 });
  const first = await ask();
  const second = await ask();
  assert.equal(second.choices[0]!.message.content, first.choices[0]!.message.content, 'same input, temperature 0: the same answer');
  assert.equal(second.usage!.prompt_tokens, first.usage!.prompt_tokens, 'the whole prompt is counted each time');
  assert.ok(first.usage!.prompt_tokens > 0);
});

test('bad input gets clear errors', async () => {
  const expectError = async (p: Promise<unknown>, status: number, pattern: RegExp) => {
    await assert.rejects(p, (err: { status?: number; message?: string }) => {
      assert.equal(err.status, status, err.message);
      assert.match(err.message ?? '', pattern);
      return true;
    });
  };
  await expectError(client.chat.completions.create({ model: 'tiny', messages: [] }), 400, /non-empty/);
  await expectError(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: '   ' }] }), 400, /empty/);
  await expectError(client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }), 404, /no model "gpt-9"/);
  await expectError(
    client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'no-such-type' } } },
    }),
    400,
    /schema/,
  );
  await expectError(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(1_000_000) }] }), 400, /context holds|at most/);
  await expectError(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], temperature: 7 }), 400, /temperature/);
  const stranger = new OpenAI({ apiKey: 'hth_wrong', baseURL: `${d.url}/v1`, maxRetries: 0 });
  await expectError(stranger.models.list(), 401, /not valid/);
});

test('a revoked token is refused', async () => {
  const t = await controlRequest<{ token: string }>(d.socketPath, 'POST', '/tokens', { name: 'short-lived' });
  const c = new OpenAI({ apiKey: t.body.token, baseURL: `${d.url}/v1`, maxRetries: 0 });
  assert.equal((await c.models.list()).data.length, 1);
  await controlRequest(d.socketPath, 'POST', '/tokens/revoke', { name: 'short-lived' });
  await assert.rejects(c.models.list(), (e: { status?: number }) => e.status === 401);
});

test('kill -9 of the worker mid-generation: that request fails cleanly, hearthd stays up, the next succeeds', async () => {
  const status = await controlRequest<{ worker: { pid: number; crashes: number } }>(d.socketPath, 'GET', '/models');
  const pid = status.body.worker.pid;
  assert.ok(pid > 0);
  // A grammar that demands 400 strings keeps the worker busy however eager the model is to stop.
  const stream = await client.chat.completions.create({
    model: 'tiny',
    messages: [{ role: 'user', content: 'Write a long list.' }],
    max_tokens: 4000,
    stream: true,
    response_format: { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array', items: { type: 'string' }, minItems: 400 } } },
  });
  let got = 0;
  const consumed = (async () => {
    try {
      for await (const c of stream) {
        got += (c.choices[0]?.delta.content ?? '').length;
        if (got > 0 && got < 1_000_000) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already dead */
          }
        }
      }
      return 'ended';
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  })();
  const outcome = await consumed;
  assert.ok(got > 0, 'text had started streaming before the kill');
  assert.match(outcome, /ended|error/); // the stream finishes (with an error event) instead of hanging
  assert.equal((await fetch(`${d.url}/api/health`)).status, 200, 'hearthd answers throughout');
  const next = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello again.' }], max_tokens: 8 });
  assert.ok(next.usage!.completion_tokens > 0);
  const after = await controlRequest<{ worker: { pid: number; crashes: number } }>(d.socketPath, 'GET', '/models');
  assert.notEqual(after.body.worker.pid, pid, 'a new worker');
  assert.equal(after.body.worker.crashes, status.body.worker.crashes + 1);
});

test('a request whose client goes away is cancelled', async () => {
  // A raw streaming request, closed after the first bytes: the worker must be free again soon after.
  await new Promise<void>((resolve, reject) => {
    const req = request(`${d.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
    req.end(
      JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: 'Go on forever.' }],
        max_tokens: 20000,
        stream: true,
        response_format: { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array', items: { type: 'string' }, minItems: 400 } } },
      }),
    );
  });
  // 400 grammar-forced strings take the tiny model about 3.5 s here; done within 1.5 s means it was cancelled.
  const deadline = Date.now() + 1_500;
  for (;;) {
    const s = await controlRequest<{ queue: { running: number } }>(d.socketPath, 'GET', '/models');
    if (s.body.queue.running === 0) break;
    assert.ok(Date.now() < deadline, 'the abandoned generation stopped');
    await new Promise((r) => setTimeout(r, 100));
  }
});

test('the official ollama client: tags, chat (streamed NDJSON and not), generate', async () => {
  const { Ollama } = await import('ollama');
  const ollama = new Ollama({ host: d.url, headers: { Authorization: `Bearer ${token}` } });
  const tags = await ollama.list();
  assert.deepEqual(tags.models.map((m) => m.name), ['tiny:latest']);
  const chat = await ollama.chat({ model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], options: { num_predict: 8 } });
  assert.equal(chat.done, true);
  assert.equal(typeof chat.message.content, 'string');
  assert.ok(chat.eval_count > 0);
  let parts = 0;
  let last: { done: boolean; eval_count?: number } | null = null;
  for await (const part of await ollama.chat({ model: 'tiny:latest', messages: [{ role: 'user', content: 'Hi' }], options: { num_predict: 8 }, stream: true })) {
    parts++;
    last = part;
  }
  assert.ok(parts >= 2, `parts ${parts}`);
  assert.equal(last?.done, true);
  const gen = await ollama.generate({ model: 'tiny', prompt: 'Once upon a time', options: { num_predict: 6 } });
  assert.equal(gen.done, true);
  assert.ok(gen.eval_count > 0);
  const json = await ollama.generate({ model: 'tiny', prompt: 'JSON please', format: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, options: { num_predict: 200 } });
  assert.equal(typeof JSON.parse(json.response ?? '').a, 'string');
  await assert.rejects(ollama.chat({ model: 'llama3', messages: [{ role: 'user', content: 'Hi' }] }), /not found/);
  const anonymous = new Ollama({ host: d.url });
  await assert.rejects(anonymous.list(), /API token/);
});
