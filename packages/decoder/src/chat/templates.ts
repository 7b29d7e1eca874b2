import { DecoderError } from '../errors.js';
import type { JinjaChatTemplate } from './jinja.js';

/**
 * A conversation template in LLaVA's "MPT" style, as data: `systemTag + system + sep`, then for
 * every turn `roleTag + message + sep`; an open assistant turn is just its role tag.
 */
export interface ChatTemplate {
  readonly name: string;
  /** Opens the system turn. */
  readonly systemTag: string;
  /** The default system message (a leading `system` message or the `system` option replaces it). */
  readonly system: string;
  readonly roles: { readonly user: string; readonly assistant: string };
  /** Follows the system text and every finished turn. */
  readonly sep: string;
}

/** The three templates of the HealthGPT release (REFERENCE.md §1), character for character. */
export const CHAT_TEMPLATES = {
  phi3_instruct: { name: 'phi3_instruct', systemTag: '<|system|>\n', system: 'You are a helpful AI assistant.', roles: { user: '\n<|user|>\n', assistant: '\n<|assistant|>\n' }, sep: '<|end|>' },
  phi4_instruct: {
    name: 'phi4_instruct',
    systemTag: '<|im_start|>system<|im_sep|>\n',
    system: 'You are a medieval knight and must provide explanations to modern people.',
    roles: { user: '\n<|im_start|>user<|im_sep|>\n', assistant: '\n<|im_start|>assistant<|im_sep|>\n' },
    sep: '<|im_end|>',
  },
  qwen_2: { name: 'qwen_2', systemTag: '<|im_start|>system\n', system: 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.', roles: { user: '<|im_start|>user\n', assistant: '<|im_start|>assistant\n' }, sep: '<|im_end|>\n' },
} as const satisfies Record<string, ChatTemplate>;

export type ChatTemplateName = keyof typeof CHAT_TEMPLATES;

export interface ChatMessage {
  /** `human` / `gpt` (LLaVA data) are accepted as `user` / `assistant`; `system` only first. */
  role: 'system' | 'user' | 'assistant' | 'human' | 'gpt';
  content: string;
}

export const IMAGE_PLACEHOLDER = '<image>';

/** A built-in template by name (a template object is returned as is). */
export function chatTemplate(name: ChatTemplateName | ChatTemplate): ChatTemplate {
  if (typeof name !== 'string') return name;
  const t = Object.hasOwn(CHAT_TEMPLATES, name) ? (CHAT_TEMPLATES as Record<string, ChatTemplate>)[name] : undefined;
  if (!t) throw new DecoderError('TEMPLATE', `unknown chat template '${name}' (expected one of ${Object.keys(CHAT_TEMPLATES).join(', ')})`);
  return t;
}

export interface ApplyTemplateOptions {
  /** End with the assistant's role tag when the last turn is the user's (default true; HF `add_generation_prompt`). */
  addGenerationPrompt?: boolean;
  /** Text appended after the generation prompt (HealthGPT's image generation appends its start-of-image token). */
  generationPrefix?: string;
  /** The system message (without its tag), unless the conversation starts with a `system` message. */
  system?: string;
}

const ROLE_ALIASES: Record<string, 'system' | 'user' | 'assistant'> = { system: 'system', user: 'user', human: 'user', assistant: 'assistant', gpt: 'assistant' };

/**
 * Check a conversation and put it in HF's form: roles `user` / `assistant` (LLaVA's `human` /
 * `gpt` mapped), an optional leading `system` message, then turns alternating from the user.
 */
export interface NormalizedMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function normalizeMessages(messages: readonly ChatMessage[]): NormalizedMessage[] {
  DecoderError.check(Array.isArray(messages) && messages.length > 0, 'TEMPLATE', `'messages' passed to 'applyChatTemplate' must be a non-empty list`);
  const out = messages.map((m, i): NormalizedMessage => {
    const role = m && typeof m === 'object' && typeof m.role === 'string' && Object.hasOwn(ROLE_ALIASES, m.role) ? ROLE_ALIASES[m.role] : undefined;
    DecoderError.check(role !== undefined, 'TEMPLATE', () => `messages[${i}].role must be system, user or assistant (or human / gpt), got ${JSON.stringify(m?.role)}`, { path: `messages[${i}].role` });
    DecoderError.check(typeof m.content === 'string', 'TEMPLATE', () => `messages[${i}].content must be a string, got ${typeof m.content}`, { path: `messages[${i}].content` });
    return { role, content: m.content };
  });
  const first = out[0].role === 'system' ? 1 : 0;
  for (let i = first; i < out.length; i++) {
    const want = (i - first) % 2 === 0 ? 'user' : 'assistant';
    DecoderError.check(out[i].role === want, 'TEMPLATE', (): string => `messages[${i}].role must be '${want}' (a system message only first, then turns alternate, user first), got '${messages[i].role}'`, { path: `messages[${i}].role` });
  }
  return out;
}

/**
 * The prompt string for a conversation: a built-in template by name or as data, or a Jinja
 * template (e.g. a tokenizer's `chat_template`). Turns must alternate, starting with the user,
 * after an optional `system` message. `applyChatTemplate('phi3_instruct', [{ role: 'user',
 * content: '<image>\nWhat is shown?' }])` gives REFERENCE.md's one-turn phi3_instruct prompt.
 */
export function applyChatTemplate(template: ChatTemplateName | ChatTemplate | JinjaChatTemplate, messages: readonly ChatMessage[], o: ApplyTemplateOptions = {}): string {
  if (typeof template === 'object' && 'render' in template) return template.render(messages, o);
  const t = chatTemplate(template);
  const msgs = normalizeMessages(messages);
  const system = msgs[0].role === 'system' ? msgs.shift()!.content : (o.system ?? t.system);
  let out = t.systemTag + system + t.sep;
  for (const m of msgs) out += t.roles[m.role as 'user' | 'assistant'] + m.content + t.sep;
  if ((o.addGenerationPrompt ?? true) && msgs.at(-1)?.role === 'user') out += t.roles.assistant + (o.generationPrefix ?? '');
  return out;
}

/** One user turn with an image: `<image>\n{question}` in the template (REFERENCE.md §1). */
export function imagePrompt(
  template: ChatTemplateName | ChatTemplate | JinjaChatTemplate,
  question: string,
  { image = true, generationPrefix }: { image?: boolean; generationPrefix?: string } = {},
): string {
  return applyChatTemplate(template, [{ role: 'user', content: image ? `${IMAGE_PLACEHOLDER}\n${question}` : question }], { generationPrefix });
}
