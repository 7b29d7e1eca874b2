import { DecoderError, trainByteLevelBpe, chatTemplate, IMAGE_PLACEHOLDER, type ChatTemplateName, type HFTokenizer } from '@healthgpt/decoder';
import { GENERATION_ANSWER, type Sample } from '@healthgpt/vl-health';

/** The special tokens a chat template needs as single tokens: end of text, then its tags and separator. */
export function templateSpecialTokens(template: ChatTemplateName): string[] {
  const t = chatTemplate(template);
  const tags = [t.systemTag, t.roles.user, t.roles.assistant, t.sep].map((s) => s.trim()).filter((s) => s.startsWith('<|') && s.endsWith('|>'));
  const parts = tags.flatMap((s) => s.match(/<\|[^|]+\|>/g) ?? []);
  return [...new Set(['<|endoftext|>', ...parts])];
}

/** Every text of the samples' conversations (image tags and generation placeholders removed). */
export function sampleTexts(samples: readonly Sample[]): string[] {
  const out: string[] = [];
  for (const s of samples)
    for (const c of s.conversations) {
      const v = c.value.split(IMAGE_PLACEHOLDER).join('').replace(GENERATION_ANSWER, '').trim();
      if (v) out.push(v);
    }
  return out;
}

/** Documents for language-model pretraining: each sample's turns joined as one text. */
export function sampleDocuments(samples: readonly Sample[]): string[] {
  return samples.map((s) => sampleTexts([s]).join('\n')).filter((d) => d.length > 0);
}

export interface TokenizerOptions {
  /** Final vocabulary size before the image tokens (default 1024: the `tiny` preset's). */
  vocabSize?: number;
  template?: ChatTemplateName;
  minFrequency?: number;
}

/**
 * Stage 0, step 1: a byte-level BPE tokenizer of at most `vocabSize` entries (fewer when the
 * corpus has fewer pairs seen `minFrequency` times) trained on the data set's text, with the chat
 * template's special tokens first (`<|endoftext|>` is eos and pad). The image tokens are added
 * later, when the model is assembled.
 */
export function trainTokenizer(texts: readonly string[], { vocabSize = 1024, template = 'phi3_instruct', minFrequency = 2 }: TokenizerOptions = {}): HFTokenizer {
  const specials = templateSpecialTokens(template);
  const corpus = [...texts, chatTemplate(template).system];
  const train = (size: number) => trainByteLevelBpe(corpus, { vocabSize: size, minFrequency, specialTokens: specials, eosToken: '<|endoftext|>', padToken: '<|endoftext|>' });
  try {
    return train(vocabSize);
  } catch (e) {
    // a small corpus runs out of pairs seen `minFrequency` times: take every merge it has
    const m = e instanceof DecoderError ? /yields only (\d+) tokens/.exec(e.message) : null;
    if (!m) throw e;
    return train(Number(m[1]));
  }
}
