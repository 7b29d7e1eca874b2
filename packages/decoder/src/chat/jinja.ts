import { Template } from '@huggingface/jinja';
import type { ErrorContext } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import { normalizeMessages, type ApplyTemplateOptions, type ChatMessage, type ChatTemplate } from './templates.js';

export interface JinjaRenderOptions extends ApplyTemplateOptions {
  /** Extra template variables (HF passes the special tokens: `bos_token`, `eos_token`, …). */
  variables?: Record<string, unknown>;
}

/**
 * A Jinja chat template, as HF tokenizers keep it in `tokenizer_config.json` (`chat_template`),
 * rendered with `@huggingface/jinja` (transformers.js' engine; `trim_blocks` and `lstrip_blocks`
 * as in transformers). `render(messages, { addGenerationPrompt })` is HF's
 * `apply_chat_template(messages, add_generation_prompt=…, tokenize=False)`.
 */
export class JinjaChatTemplate {
  private readonly template: Template;

  /** `where` names the template's origin in errors (`file`, and `path` e.g. `chat_template`). */
  constructor(
    readonly source: string,
    readonly where: ErrorContext = {},
  ) {
    DecoderError.check(typeof source === 'string' && source.length > 0, 'TEMPLATE', `a chat template must be a non-empty string, got ${JSON.stringify(source)}`, where);
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new DecoderError('TEMPLATE', `the chat template does not parse (${(e as Error).message})`, { ...where, cause: e });
    }
  }

  /**
   * The prompt for `messages` (LLaVA's `human` / `gpt` roles are passed as `user` / `assistant`;
   * the `system` option becomes a leading system message). `generationPrefix` is appended after
   * the generation prompt.
   */
  render(messages: readonly ChatMessage[], o: JinjaRenderOptions = {}): string {
    const msgs: { role: string; content: string }[] = normalizeMessages(messages);
    if (o.system !== undefined && msgs[0].role !== 'system') msgs.unshift({ role: 'system', content: o.system });
    const addGenerationPrompt = o.addGenerationPrompt ?? true;
    let text: string;
    try {
      text = this.template.render({ ...o.variables, messages: msgs, add_generation_prompt: addGenerationPrompt });
    } catch (e) {
      throw new DecoderError('TEMPLATE', `the chat template failed to render (${(e as Error).message})`, { ...this.where, cause: e });
    }
    return addGenerationPrompt && msgs.at(-1)!.role === 'user' ? text + (o.generationPrefix ?? '') : text;
  }
}

/** A Jinja string literal for `s`. */
const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/**
 * The Jinja source of a built-in template: HF's `apply_chat_template` renders it exactly as
 * `applyChatTemplate` formats the data (checked in the tests), so a tokenizer saved with it
 * (`HFTokenizer.setChatTemplate('phi3_instruct')`) gives transformers users HealthGPT's prompts.
 */
export function chatTemplateJinja(t: ChatTemplate): string {
  return [
    `{%- if messages and messages[0]['role'] == 'system' -%}{%- set system = messages[0]['content'] -%}{%- set turns = messages[1:] -%}`,
    `{%- else -%}{%- set system = ${lit(t.system)} -%}{%- set turns = messages -%}{%- endif -%}`,
    `{{- ${lit(t.systemTag)} + system + ${lit(t.sep)} -}}`,
    `{%- for message in turns -%}`,
    `{%- if message['role'] != ['user', 'assistant'][loop.index0 % 2] -%}{{- raise_exception('turns must alternate user / assistant, user first') -}}{%- endif -%}`,
    `{%- if message['role'] == 'user' -%}{{- ${lit(t.roles.user)} + message['content'] + ${lit(t.sep)} -}}`,
    `{%- else -%}{{- ${lit(t.roles.assistant)} + message['content'] + ${lit(t.sep)} -}}{%- endif -%}`,
    `{%- endfor -%}`,
    `{%- if add_generation_prompt and turns and turns[-1]['role'] == 'user' -%}{{- ${lit(t.roles.assistant)} -}}{%- endif -%}`,
  ].join('\n');
}

/**
 * The chat template of a `tokenizer_config.json` object: `chat_template` as a string, or as HF's
 * list of named templates (`[{ name, template }]`, `name` default `default`). Null when there is none.
 */
export function chatTemplateFromConfig(config: Record<string, unknown>, { file, name = 'default' }: { file?: string; name?: string } = {}): JinjaChatTemplate | null {
  const ct = config.chat_template;
  if (ct === undefined || ct === null) return null;
  if (typeof ct === 'string') return new JinjaChatTemplate(ct, { file, path: 'chat_template' });
  DecoderError.check(Array.isArray(ct), 'TEMPLATE', `'chat_template' must be a string or a list of { name, template }, got ${typeof ct}`, { file, path: 'chat_template' });
  const i = ct.findIndex((e) => e && typeof e === 'object' && (e as Record<string, unknown>).name === name);
  if (i < 0) {
    const names = ct.map((e) => (e && typeof e === 'object' ? JSON.stringify((e as Record<string, unknown>).name) : '?')).join(', ');
    if (name === 'default') return null;
    throw new DecoderError('TEMPLATE', `no chat template named '${name}' (have ${names || 'none'})`, { file, path: 'chat_template' });
  }
  const src = (ct[i] as Record<string, unknown>).template;
  DecoderError.check(typeof src === 'string', 'TEMPLATE', `'chat_template[${i}].template' must be a string`, { file, path: `chat_template[${i}].template` });
  return new JinjaChatTemplate(src, { file, path: `chat_template[${i}].template` });
}
