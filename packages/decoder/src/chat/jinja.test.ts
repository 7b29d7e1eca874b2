import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHAT_TEMPLATES,
  DecoderError,
  HFTokenizer,
  JinjaChatTemplate,
  applyChatTemplate,
  chatTemplateFromConfig,
  chatTemplateJinja,
  imagePrompt,
  trainByteLevelBpe,
  type ChatMessage,
  type ChatTemplateName,
} from '../index.js';

const NAMES = Object.keys(CHAT_TEMPLATES) as ChatTemplateName[];
const q = 'What abnormality is seen?';

/** Message text with the characters that break naive quoting: quotes, braces, backslashes, newlines, tags. */
const content = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom("it's", 'say "no"', '{{ x }}', '{% if %}', 'a\\nb', 'line\nbreak', '<image>\nWhat is shown?', '<|end|>', ''),
);

/** A conversation: optional system message, then 1–6 alternating turns from the user, roles sometimes LLaVA's. */
const conversation = fc
  .tuple(fc.option(content, { nil: undefined }), fc.array(content, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([system, turns, llava]): ChatMessage[] => [
    ...(system !== undefined ? [{ role: 'system' as const, content: system }] : []),
    ...turns.map((c, i): ChatMessage => ({ role: i % 2 === 0 ? (llava ? 'human' : 'user') : llava ? 'gpt' : 'assistant', content: c })),
  ]);

describe('built-in templates and their Jinja form', () => {
  it('render REFERENCE.md §1 prompts through @huggingface/jinja, character for character', () => {
    const want: Record<ChatTemplateName, string> = {
      phi3_instruct: `<|system|>\nYou are a helpful AI assistant.<|end|>\n<|user|>\n<image>\n${q}<|end|>\n<|assistant|>\n`,
      phi4_instruct: `<|im_start|>system<|im_sep|>\nYou are a medieval knight and must provide explanations to modern people.<|im_end|>\n<|im_start|>user<|im_sep|>\n<image>\n${q}<|im_end|>\n<|im_start|>assistant<|im_sep|>\n`,
      qwen_2: `<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n${q}<|im_end|>\n<|im_start|>assistant\n`,
    };
    for (const name of NAMES) {
      const jinja = new JinjaChatTemplate(chatTemplateJinja(CHAT_TEMPLATES[name]));
      expect(imagePrompt(jinja, q), name).toBe(want[name]);
      expect(imagePrompt(name, q), name).toBe(want[name]);
    }
  });

  it('agree with the data form on any conversation: system or not, LLaVA roles, with and without the generation prompt', () => {
    const jinja = Object.fromEntries(NAMES.map((n) => [n, new JinjaChatTemplate(chatTemplateJinja(CHAT_TEMPLATES[n]))]));
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), conversation, fc.boolean(), fc.option(content, { nil: undefined }), (name, msgs, addGenerationPrompt, system) => {
        const o = { addGenerationPrompt, system, generationPrefix: '<gen>' };
        expect(applyChatTemplate(jinja[name], msgs, o)).toBe(applyChatTemplate(name, msgs, o));
      }),
      { numRuns: 200 },
    );
  });

  it('multi-turn in Jinja: each finished turn ends with the separator, then the next role tag', () => {
    const turns: ChatMessage[] = [
      { role: 'user', content: '<image>\nIs there a fracture?' },
      { role: 'assistant', content: 'No.' },
      { role: 'user', content: 'Which organ?' },
    ];
    const render = (n: ChatTemplateName, m: ChatMessage[], addGenerationPrompt = true) => new JinjaChatTemplate(chatTemplateJinja(CHAT_TEMPLATES[n])).render(m, { addGenerationPrompt });
    expect(render('phi3_instruct', turns)).toBe('<|system|>\nYou are a helpful AI assistant.<|end|>\n<|user|>\n<image>\nIs there a fracture?<|end|>\n<|assistant|>\nNo.<|end|>\n<|user|>\nWhich organ?<|end|>\n<|assistant|>\n');
    expect(render('qwen_2', turns.slice(0, 2))).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nIs there a fracture?<|im_end|>\n<|im_start|>assistant\nNo.<|im_end|>\n',
    );
    expect(render('phi4_instruct', [{ role: 'system', content: 'Be brief.' }, turns[0]], false)).toBe('<|im_start|>system<|im_sep|>\nBe brief.<|im_end|>\n<|im_start|>user<|im_sep|>\n<image>\nIs there a fracture?<|im_end|>');
  });
});

describe('Jinja chat templates from tokenizer_config.json', () => {
  // Templates written the way model repositories write them (a system turn, role tags, an EOS when not generating).
  const phi3Style =
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";
  const qwenStyle = `{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- else %}
    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == 'user' or (message.role == 'assistant') %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;

  it('a Phi-3-style and a Qwen2.5-style template give the release prompts (phi3_instruct with its system message, qwen_2 as is)', () => {
    const phi3 = new JinjaChatTemplate(phi3Style);
    expect(phi3.render([{ role: 'system', content: CHAT_TEMPLATES.phi3_instruct.system }, { role: 'human', content: `<image>\n${q}` }])).toBe(imagePrompt('phi3_instruct', q));
    expect(phi3.render([{ role: 'user', content: 'x' }], { addGenerationPrompt: false, variables: { eos_token: '<|endoftext|>' } })).toBe('<|user|>\nx<|end|>\n<|endoftext|>');
    expect(imagePrompt(new JinjaChatTemplate(qwenStyle), q)).toBe(imagePrompt('qwen_2', q));
  });

  it('HFTokenizer reads chat_template (a string or a named list) and passes its special tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dec-jinja-'));
    try {
      const tok = trainByteLevelBpe(['is there a mass? no. '.repeat(4)], { vocabSize: 262, specialTokens: ['<|endoftext|>'], eosToken: '<|endoftext|>' });
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>', chat_template: [{ name: 'default', template: phi3Style }, { name: 'tool_use', template: 'tools' }] }));
      const loaded = await HFTokenizer.fromFile(dir);
      expect(loaded.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false })).toBe('<|user|>\nhi<|end|>\n<|endoftext|>');
      expect(chatTemplateFromConfig({ chat_template: [{ name: 'tool_use', template: 'T' }] }, { name: 'tool_use' })!.render([{ role: 'user', content: 'x' }])).toBe('T');
      expect(() => chatTemplateFromConfig({ chat_template: [{ name: 'a', template: 'T' }] }, { name: 'b' })).toThrow(/no chat template named 'b' \(have "a"\)/);
      expect(chatTemplateFromConfig({})).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('setChatTemplate stores a built-in as Jinja that survives save and load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dec-jinja-'));
    try {
      const tok = trainByteLevelBpe(['is there a mass? no. '.repeat(4)], { vocabSize: 262 });
      expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(expect.objectContaining({ code: 'TEMPLATE' }));
      tok.setChatTemplate('qwen_2');
      await tok.save(dir);
      const back = await HFTokenizer.fromFile(dir);
      const msgs: ChatMessage[] = [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }];
      expect(back.applyChatTemplate(msgs)).toBe(applyChatTemplate('qwen_2', msgs));
      back.setChatTemplate('{{ messages[0].content }}!');
      expect(back.applyChatTemplate(msgs, { addGenerationPrompt: false })).toBe('a!');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('typed errors: a template that does not parse names the file and field, a failing render and bad messages name the problem', () => {
    expect(() => chatTemplateFromConfig({ chat_template: '{% if %}' }, { file: 'm/tokenizer_config.json' })).toThrow(expect.objectContaining({ code: 'TEMPLATE', file: 'm/tokenizer_config.json', path: 'chat_template' }));
    const strict = new JinjaChatTemplate(chatTemplateJinja(CHAT_TEMPLATES.qwen_2), { file: 'x.json' });
    expect(() => strict.render([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }])).toThrow(/messages\[1\]\.role must be 'assistant'/);
    const raising = new JinjaChatTemplate("{{ raise_exception('only one turn') }}", { file: 'x.json' });
    expect(() => raising.render([{ role: 'user', content: 'a' }])).toThrow(/failed to render \(only one turn\) \(file x\.json\)/);
    expect(() => applyChatTemplate('qwen_2', [{ role: 'tool' as 'user', content: 'a' }])).toThrow(expect.objectContaining({ path: 'messages[0].role' }));
    expect(() => applyChatTemplate('qwen_2', [{ role: 'user', content: 5 as unknown as string }])).toThrow(/messages\[0\]\.content must be a string/);
    expect(() => applyChatTemplate('qwen_2', [{ role: 'user', content: 'a' }, { role: 'system', content: 'late' }])).toThrow(DecoderError);
    expect(() => applyChatTemplate('toString' as ChatTemplateName, [{ role: 'user', content: 'a' }])).toThrow(/unknown chat template 'toString'/);
  });
});
