import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChatMLChatWrapper,
  LlamaChatSession,
  LlamaLogLevel,
  LlamaVocabularyType,
  getLlama,
  type Llama,
  type LlamaJsonSchemaGrammar,
  type Token,
} from 'node-llama-cpp';
import { tinyModelPath } from '../helpers/synth-model.js';
import { checkGgufFile } from '../../appliance/src/models/gguf/header.js';
import { CHATML_TEMPLATE, SYNTH_SHAPES, type SynthType } from '../../appliance/src/models/gguf/synth.js';
import { syntheticVocabulary } from '../../appliance/src/models/gguf/vocabulary.js';

// What llama.cpp makes of the generated files: they must load, chat, tokenize anything and end JSON on their own.

const TYPES: SynthType[] = ['f32', 'f16', 'q8_0'];
const TITLE_SCHEMA = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] } as const;
const ANY_TEXT = 'Grüße, 世界! 🔥🧯 naïve café — ½ «ok» \t tab\nnew line "quoted" \\ <|im_start|> <s> \u0000 \u{10FFFF} end';

let llama: Llama;
let titleGrammar: LlamaJsonSchemaGrammar<typeof TITLE_SCHEMA>;

before(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  titleGrammar = await llama.createGrammarForJsonSchema(TITLE_SCHEMA);
});
after(async () => {
  await llama?.dispose();
});

for (const type of TYPES) {
  test(`tiny ${type}: passes the header check, loads, chats in ChatML and round-trips any text`, async () => {
    const path = await tinyModelPath(type);
    const check = await checkGgufFile(path);
    assert.ok(check.ok, !check.ok ? check.error : '');

    const model = await llama.loadModel({ modelPath: path });
    try {
      assert.equal(model.vocabularyType, LlamaVocabularyType.spm);
      assert.equal(model.fileInfo.metadata.general.architecture, 'llama');
      assert.equal(model.fileInfo.metadata.tokenizer.chat_template, CHATML_TEMPLATE);
      assert.equal(model.trainContextSize, SYNTH_SHAPES.tiny.context);

      // Byte tokens make every string encodable, and decoding gives it back exactly.
      const tokens = model.tokenize(ANY_TEXT);
      assert.equal(model.detokenize(tokens), ANY_TEXT);
      const vocab = syntheticVocabulary(SYNTH_SHAPES.tiny.vocab);
      assert.ok(tokens.includes(vocab.tokens.indexOf('<0xF0>') as Token), 'the emoji went through byte fallback');
      assert.ok(!tokens.includes(vocab.imStart as Token), 'control tokens are not made from plain text');
      assert.deepEqual(model.tokenize('<|im_start|>', true), [vocab.imStart]);

      const context = await model.createContext({ contextSize: 512, threads: 1 });
      try {
        const session = new LlamaChatSession({ contextSequence: context.getSequence() });
        assert.ok(session.chatWrapper instanceof ChatMLChatWrapper, `chat wrapper is ${session.chatWrapper.wrapperName}`);
        let generated = 0;
        const reply = await session.promptWithMeta('Write a short note about the weather.', {
          maxTokens: 96,
          onToken: (t) => (generated += t.length),
        });
        assert.ok(generated > 0, 'tokens were generated');
        assert.ok(reply.responseText.length > 0, 'text is not empty');
        assert.ok(['eogToken', 'maxTokens'].includes(reply.stopReason), reply.stopReason);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });

  test(`tiny ${type}: JSON-schema-constrained generation closes the string and ends by itself`, async () => {
    const model = await llama.loadModel({ modelPath: await tinyModelPath(type) });
    try {
      const context = await model.createContext({ contextSize: 512, threads: 1 });
      try {
        const endings: string[] = [];
        for (const prompt of ['Give this document a title.', 'Summarize: the meeting moved to Monday at 10.', 'ok']) {
          const session = new LlamaChatSession({ contextSequence: context.getSequence() });
          let generated = 0;
          const maxTokens = 150;
          const reply = await session.promptWithMeta(prompt, { grammar: titleGrammar, maxTokens, onToken: (t) => (generated += t.length) });
          assert.notEqual(reply.stopReason, 'maxTokens', `"${prompt}" did not end within ${maxTokens} tokens: ${reply.responseText}`);
          const parsed = titleGrammar.parse(reply.responseText);
          assert.equal(typeof parsed.title, 'string');
          assert.ok(generated < maxTokens);
          session.dispose({ disposeSequence: true });

          // Free text also ends at EOS, sooner or later.
          const free = new LlamaChatSession({ contextSequence: context.getSequence() });
          endings.push((await free.promptWithMeta(prompt, { maxTokens: 300 })).stopReason);
          free.dispose({ disposeSequence: true });
        }
        assert.ok(endings.includes('eogToken'), `free generation ended by itself at least once: ${endings.join(', ')}`);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });
}
