import { DecoderError } from '../errors.js';

/**
 * A conversation template in LLaVA's "MPT" style: `system + sep`, then for every turn
 * `roleTag + message + sep`; an open assistant turn is just its role tag.
 */
export interface ChatTemplate {
  readonly name: string;
  readonly system: string;
  readonly roles: { readonly user: string; readonly assistant: string };
  /** Follows the system text and every finished turn. */
  readonly sep: string;
}

/** The three templates of the HealthGPT release (REFERENCE.md §1), character for character. */
export const CHAT_TEMPLATES = {
  phi3_instruct: { name: 'phi3_instruct', system: '<|system|>\nYou are a helpful AI assistant.', roles: { user: '\n<|user|>\n', assistant: '\n<|assistant|>\n' }, sep: '<|end|>' },
  phi4_instruct: {
    name: 'phi4_instruct',
    system: '<|im_start|>system<|im_sep|>\nYou are a medieval knight and must provide explanations to modern people.',
    roles: { user: '\n<|im_start|>user<|im_sep|>\n', assistant: '\n<|im_start|>assistant<|im_sep|>\n' },
    sep: '<|im_end|>',
  },
  qwen_2: { name: 'qwen_2', system: '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.', roles: { user: '<|im_start|>user\n', assistant: '<|im_start|>assistant\n' }, sep: '<|im_end|>\n' },
} as const satisfies Record<string, ChatTemplate>;

export type ChatTemplateName = keyof typeof CHAT_TEMPLATES;

export interface ChatMessage {
  /** `human` / `gpt` (LLaVA data) are accepted as `user` / `assistant`. */
  role: 'user' | 'assistant' | 'human' | 'gpt';
  content: string;
}

export const IMAGE_PLACEHOLDER = '<image>';

export function chatTemplate(name: ChatTemplateName | ChatTemplate): ChatTemplate {
  if (typeof name !== 'string') return name;
  const t = (CHAT_TEMPLATES as Record<string, ChatTemplate>)[name];
  if (!t) throw new DecoderError('TEMPLATE', `unknown chat template '${name}' (expected one of ${Object.keys(CHAT_TEMPLATES).join(', ')})`);
  return t;
}

export interface ApplyTemplateOptions {
  /** End with the assistant's role tag when the last turn is the user's (default true). */
  addGenerationPrompt?: boolean;
  /** Text appended after the generation prompt (HealthGPT's image generation appends its start-of-image token). */
  generationPrefix?: string;
  /** Replace the template's system text. */
  system?: string;
}

/**
 * The prompt string for a conversation. Turns must alternate, starting with the user.
 * `applyChatTemplate('phi3_instruct', [{ role: 'user', content: '<image>\nWhat is shown?' }])`
 * gives REFERENCE.md's one-turn phi3_instruct prompt.
 */
export function applyChatTemplate(template: ChatTemplateName | ChatTemplate, messages: readonly ChatMessage[], o: ApplyTemplateOptions = {}): string {
  const t = chatTemplate(template);
  DecoderError.check(messages.length > 0, 'TEMPLATE', `'messages' passed to 'applyChatTemplate' must not be empty`);
  let out = (o.system ?? t.system) + t.sep;
  messages.forEach((m, i) => {
    const role = m.role === 'human' ? 'user' : m.role === 'gpt' ? 'assistant' : m.role;
    DecoderError.check(role === 'user' || role === 'assistant', 'TEMPLATE', () => `messages[${i}].role must be user or assistant, got '${m.role}'`);
    DecoderError.check(role === (i % 2 === 0 ? 'user' : 'assistant'), 'TEMPLATE', () => `messages[${i}].role must be '${i % 2 === 0 ? 'user' : 'assistant'}' (turns alternate, user first), got '${m.role}'`);
    out += t.roles[role] + m.content + t.sep;
  });
  const last = messages[messages.length - 1].role;
  if ((o.addGenerationPrompt ?? true) && (last === 'user' || last === 'human')) out += t.roles.assistant + (o.generationPrefix ?? '');
  return out;
}

/** One user turn with an image: `<image>\n{question}` in the template (REFERENCE.md §1). */
export function imagePrompt(template: ChatTemplateName | ChatTemplate, question: string, { image = true, generationPrefix }: { image?: boolean; generationPrefix?: string } = {}): string {
  return applyChatTemplate(template, [{ role: 'user', content: image ? `${IMAGE_PLACEHOLDER}\n${question}` : question }], { generationPrefix });
}
