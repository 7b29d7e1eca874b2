import { describe, expect, it } from 'vitest';
import { DecoderError, HFTokenizer, applyChatTemplate, imagePrompt, tokenizeWithImages, trainByteLevelBpe, IMAGE_TOKEN_INDEX } from '../index.js';

const q = 'What abnormality is seen?';

/** A small Llama / Phi-3 style tokenizer: "▁" word marks, a BOS added by TemplateProcessing. */
function llamaStyleTokenizer(): HFTokenizer {
  const chars = [...'abcdefghijklmnopqrstuvwxyzWIT?.\n<>|'];
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2, '▁': 3 };
  chars.forEach((c) => (vocab[c] = Object.keys(vocab).length));
  const merges = [['▁', 'i'], ['▁', 'a'], ['▁i', 's']];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const specials = ['<|user|>', '<|end|>', '<|assistant|>', '<|system|>'].map((content, i) => ({ id: 100 + i, content, single_word: false, lstrip: false, rstrip: true, normalized: false, special: true }));
  const json = {
    added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '<s>', special: true }, { id: 2, content: '</s>', special: true }, ...specials],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    model: { type: 'BPE', vocab, merges, unk_token: '<unk>', fuse_unk: true, byte_fallback: false },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
  };
  return new HFTokenizer(json, { bos_token: '<s>', eos_token: '</s>', clean_up_tokenization_spaces: false });
}

describe('chat templates (REFERENCE.md §1, character for character)', () => {
  it('phi3_instruct, phi4_instruct and qwen_2 one-turn prompts', () => {
    expect(imagePrompt('phi3_instruct', q)).toBe(`<|system|>\nYou are a helpful AI assistant.<|end|>\n<|user|>\n<image>\n${q}<|end|>\n<|assistant|>\n`);
    expect(imagePrompt('phi4_instruct', q)).toBe(
      `<|im_start|>system<|im_sep|>\nYou are a medieval knight and must provide explanations to modern people.<|im_end|>\n<|im_start|>user<|im_sep|>\n<image>\n${q}<|im_end|>\n<|im_start|>assistant<|im_sep|>\n`,
    );
    expect(imagePrompt('qwen_2', q)).toBe(`<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n${q}<|im_end|>\n<|im_start|>assistant\n`);
    expect(imagePrompt('phi3_instruct', 'Convert to MRI.', { generationPrefix: '<open>' }).endsWith('<|assistant|>\n<open>')).toBe(true);
  });

  it('multi-turn: each finished turn ends with the separator, then the next role tag', () => {
    const turns = [
      { role: 'human', content: '<image>\nIs there a fracture?' },
      { role: 'gpt', content: 'No.' },
      { role: 'human', content: 'Which organ?' },
    ] as const;
    expect(applyChatTemplate('phi3_instruct', turns)).toBe(
      '<|system|>\nYou are a helpful AI assistant.<|end|>\n<|user|>\n<image>\nIs there a fracture?<|end|>\n<|assistant|>\nNo.<|end|>\n<|user|>\nWhich organ?<|end|>\n<|assistant|>\n',
    );
    expect(applyChatTemplate('phi4_instruct', turns.slice(0, 2))).toBe(
      '<|im_start|>system<|im_sep|>\nYou are a medieval knight and must provide explanations to modern people.<|im_end|>\n<|im_start|>user<|im_sep|>\n<image>\nIs there a fracture?<|im_end|>\n<|im_start|>assistant<|im_sep|>\nNo.<|im_end|>',
    );
    expect(applyChatTemplate('qwen_2', turns)).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nIs there a fracture?<|im_end|>\n<|im_start|>assistant\nNo.<|im_end|>\n<|im_start|>user\nWhich organ?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('a leading system message or the system option replaces the default system text, not its tag', () => {
    const user = { role: 'user', content: 'x' } as const;
    expect(applyChatTemplate('phi3_instruct', [{ role: 'system', content: 'Be brief.' }, user])).toBe('<|system|>\nBe brief.<|end|>\n<|user|>\nx<|end|>\n<|assistant|>\n');
    expect(applyChatTemplate('qwen_2', [user], { system: 'Be brief.' })).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n');
    expect(applyChatTemplate('qwen_2', [{ role: 'system', content: 'wins' }, user], { system: 'loses' })).toContain('system\nwins<|im_end|>');
    expect(applyChatTemplate('qwen_2', [user, { role: 'assistant', content: 'y' }], { addGenerationPrompt: true })).toMatch(/y<\|im_end\|>\n$/);
  });

  it('rejects unknown templates and out-of-order turns', () => {
    expect(() => applyChatTemplate('llama' as 'qwen_2', [{ role: 'user', content: 'x' }])).toThrow(DecoderError);
    expect(() => applyChatTemplate('qwen_2', [{ role: 'assistant', content: 'x' }])).toThrow(/messages\[0\]\.role must be 'user'/);
    expect(() => applyChatTemplate('qwen_2', [])).toThrow(DecoderError);
  });
});

describe('tokenizeWithImages', () => {
  it('with a BOS-adding tokenizer: one BOS at the start, the sentinel between separately tokenised pieces', () => {
    const tok = llamaStyleTokenizer();
    const prompt = imagePrompt('phi3_instruct', 'Is it a mass?');
    const [before, after] = prompt.split('<image>');
    const ids = tokenizeWithImages(tok, prompt);
    expect(ids).toEqual([...tok.encode(before), IMAGE_TOKEN_INDEX, ...tok.encode(after).slice(1)]);
    expect(ids[0]).toBe(1);
    expect(ids.filter((i) => i === 1)).toHaveLength(1);
    expect(ids.filter((i) => i === IMAGE_TOKEN_INDEX)).toHaveLength(1);
    expect(tokenizeWithImages(tok, '<image>\nis')).toEqual([1, IMAGE_TOKEN_INDEX, ...tok.encode('\nis').slice(1)]);
  });

  it('with a tokenizer that adds no BOS: none is added', () => {
    const tok = trainByteLevelBpe(['Is there a mass in the left lung? Yes. Is the liver normal? No.'.repeat(3)], { vocabSize: 270, specialTokens: ['<|im_start|>', '<|im_end|>'] });
    const prompt = imagePrompt('qwen_2', 'Is there a mass?');
    const [before, after] = prompt.split('<image>');
    expect(tokenizeWithImages(tok, prompt)).toEqual([...tok.encode(before), IMAGE_TOKEN_INDEX, ...tok.encode(after)]);
    expect(tokenizeWithImages(tok, 'a<image>b<image>c')).toEqual([...tok.encode('a'), -200, ...tok.encode('b'), -200, ...tok.encode('c')]);
  });
});
