import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Tokenizer as HFTokenizerImpl } from '@huggingface/tokenizers';
import { writeFileAtomic } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import { chatTemplateFromConfig, chatTemplateJinja, JinjaChatTemplate } from '../chat/jinja.js';
import { CHAT_TEMPLATES, chatTemplate as builtinTemplate, type ApplyTemplateOptions, type ChatMessage, type ChatTemplate, type ChatTemplateName } from '../chat/templates.js';
import { encodeBatch, type EncodeBatchOptions, type PaddedBatch } from './padding.js';
import { validateVocabulary } from './vocabulary.js';

/** The one tokenizer interface every part of HealthGPT.ts uses. */
export interface TextTokenizer {
  /** Text → ids; `addSpecialTokens` (default true) lets the post-processor add e.g. BOS. */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** HF's `len(tokenizer)`: one past the largest id, added tokens included. New tokens get ids from here. */
  readonly length: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Add tokens (ids from `length` on); already-known tokens are skipped. Returns how many were added. */
  addTokens(tokens: readonly string[], options?: { special?: boolean }): number;
  /** Write tokenizer.json (+ tokenizer_config.json) into `dir`, atomically. */
  save(dir: string): Promise<void>;
}

type Json = Record<string, unknown>;
interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

const tokenContent = (t: unknown): string | null => (typeof t === 'string' ? t : t && typeof t === 'object' && typeof (t as Json).content === 'string' ? ((t as Json).content as string) : null);

/**
 * An HF `tokenizer.json` (any model type the library supports: BPE, WordPiece, Unigram) behind
 * `TextTokenizer`; encoding and decoding are `@huggingface/tokenizers`'.
 */
export class HFTokenizer implements TextTokenizer {
  private impl: HFTokenizerImpl;
  private readonly json: Json & { added_tokens: AddedTokenJson[] };
  private readonly config: Json;
  private len = 0;

  private template: JinjaChatTemplate | null | undefined;

  /**
   * `source` names the tokenizer.json in errors; the vocabulary is checked first (not empty, ids
   * integers in [0, 2³¹), no id or token given twice).
   */
  constructor(tokenizerJson: Json, tokenizerConfig: Json = {}, readonly source = 'tokenizer.json') {
    DecoderError.check(tokenizerJson && typeof tokenizerJson === 'object' && tokenizerJson.model !== null && typeof tokenizerJson.model === 'object', 'TOKENIZER', `not a tokenizer.json (no 'model' object)`, { file: source });
    DecoderError.check(tokenizerConfig !== null && typeof tokenizerConfig === 'object' && !Array.isArray(tokenizerConfig), 'TOKENIZER', `tokenizer_config.json must hold an object`, { file: this.configFile });
    validateVocabulary(tokenizerJson, source);
    this.json = { ...tokenizerJson, added_tokens: [...((tokenizerJson.added_tokens as AddedTokenJson[]) ?? [])] };
    this.config = { ...tokenizerConfig };
    this.impl = this.build();
  }

  /** Load `tokenizer.json` (and `tokenizer_config.json` beside it when present) from a directory or file. */
  static async fromFile(path: string): Promise<HFTokenizer> {
    const file = path.endsWith('.json') ? path : join(path, 'tokenizer.json');
    const read = async (p: string) => {
      try {
        return JSON.parse((await readFile(p, 'utf8')).replace(/^\uFEFF/, '')) as Json;
      } catch (e) {
        throw new DecoderError('TOKENIZER', `cannot load (${(e as Error).message})`, { file: p, cause: e });
      }
    };
    const cfgPath = join(file, '..', 'tokenizer_config.json');
    return new HFTokenizer(await read(file), existsSync(cfgPath) ? await read(cfgPath) : {}, file);
  }

  private build(): HFTokenizerImpl {
    try {
      const impl = new HFTokenizerImpl(this.json, this.config);
      let max = -1;
      for (const id of impl.get_vocab(true).values()) if (id > max) max = id;
      this.len = max + 1;
      return impl;
    } catch (e) {
      throw new DecoderError('TOKENIZER', `the tokenizer library rejected it (${(e as Error).message})`, { file: this.source, cause: e });
    }
  }

  get length(): number {
    return this.len;
  }

  private specialId(key: string): number | null {
    const c = tokenContent(this.config[key]);
    return c === null ? null : (this.tokenToId(c) ?? null);
  }

  get bosTokenId(): number | null {
    return this.specialId('bos_token');
  }

  get eosTokenId(): number | null {
    return this.specialId('eos_token');
  }

  get padTokenId(): number | null {
    return this.specialId('pad_token');
  }

  encode(text: string, { addSpecialTokens = true }: { addSpecialTokens?: boolean } = {}): number[] {
    DecoderError.check(typeof text === 'string', 'TOKENIZER', `'text' passed to 'encode' must be a string`);
    return this.impl.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], { skipSpecialTokens = false }: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    const bad = ids.find((i) => !Number.isInteger(i) || i < 0 || i >= this.len);
    DecoderError.check(bad === undefined, 'TOKENIZER', () => `'ids' passed to 'decode' must be integers in [0, ${this.len}), got ${bad}`);
    return this.impl.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  tokenToId(token: string): number | undefined {
    return this.impl.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id);
  }

  /** Special tokens' contents (from added_tokens marked special). */
  get specialTokens(): string[] {
    return this.json.added_tokens.filter((t) => t.special).map((t) => t.content);
  }

  addTokens(tokens: readonly string[], { special = false }: { special?: boolean } = {}): number {
    const fresh = [...new Set(tokens)].filter((t) => this.tokenToId(t) === undefined);
    DecoderError.check(fresh.every((t) => t.length > 0), 'TOKENIZER', `'tokens' passed to 'addTokens' must be non-empty strings`);
    if (!fresh.length) return 0;
    let id = this.len;
    for (const content of fresh) this.json.added_tokens.push({ id: id++, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
    this.impl = this.build();
    return fresh.length;
  }

  /** HF's `tokenizer(texts, padding=True)`: ids and attention mask padded to one length (see `encodeBatch`). */
  encodeBatch(texts: readonly string[], options: EncodeBatchOptions = {}): PaddedBatch {
    return encodeBatch(this, texts, options);
  }

  /** Where the tokenizer_config.json of this tokenizer is (or would be). */
  get configFile(): string {
    return basename(this.source) === 'tokenizer.json' ? join(dirname(this.source), 'tokenizer_config.json') : 'tokenizer_config.json';
  }

  /** The Jinja `chat_template` of tokenizer_config.json (parsed once), or null when it has none. */
  get chatTemplate(): JinjaChatTemplate | null {
    if (this.template === undefined) this.template = chatTemplateFromConfig(this.config, { file: this.configFile });
    return this.template;
  }

  /**
   * Set the chat template (saved as `chat_template` in tokenizer_config.json): Jinja source, or a
   * built-in template, stored as its Jinja equivalent so that HF's `apply_chat_template` gives
   * the same prompts.
   */
  setChatTemplate(template: string | ChatTemplateName | ChatTemplate): void {
    const source = typeof template === 'string' && !Object.hasOwn(CHAT_TEMPLATES, template) ? template : chatTemplateJinja(builtinTemplate(template as ChatTemplateName | ChatTemplate));
    this.template = new JinjaChatTemplate(source, { file: this.configFile, path: 'chat_template' });
    this.config.chat_template = source;
  }

  /**
   * HF's `apply_chat_template(messages, tokenize=False)` with this tokenizer's Jinja template; the
   * special tokens (`bos_token`, `eos_token`, `pad_token`, `unk_token`) are template variables.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ApplyTemplateOptions = {}): string {
    const t = this.chatTemplate;
    DecoderError.check(t !== null, 'TEMPLATE', `the tokenizer has no 'chat_template'; set one with setChatTemplate, or use applyChatTemplate(name, messages) with a built-in template`, { file: this.configFile });
    const variables: Record<string, unknown> = {};
    for (const k of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) variables[k] = tokenContent(this.config[k]) ?? '';
    return t.render(messages, { ...options, variables });
  }

  /** The tokenizer.json object (with added tokens). */
  toJSON(): Json {
    return this.json;
  }

  async save(dir: string): Promise<void> {
    await writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(this.json));
    if (Object.keys(this.config).length) await writeFileAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify(this.config, null, 2));
  }
}
