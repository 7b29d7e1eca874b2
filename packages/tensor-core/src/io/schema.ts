import { TensorCoreError } from '../errors.js';

/** One problem a schema found (zod's issue shape; only these fields are read). */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: string;
  readonly values?: readonly unknown[];
  readonly minimum?: number | bigint;
  readonly maximum?: number | bigint;
  readonly inclusive?: boolean;
  readonly origin?: string;
  readonly errors?: readonly (readonly SchemaIssue[])[];
  readonly keys?: readonly string[];
}

/**
 * A schema for a JSON config: anything with zod's `safeParse` (the project's one schema library;
 * a zod schema fits as is). The output type is what the config means, defaults filled.
 */
export interface ConfigSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

/** `vision_config.hidden_size`, `eos_token_id[1]`; '' for the root. */
export function dottedPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** A value as a message shows it: JSON (strings quoted), shortened. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  string: 'a string',
  object: 'an object',
  record: 'an object',
  map: 'an object',
  array: 'a list',
  null: 'null',
};

const orList = (xs: readonly unknown[]) => (xs.length <= 2 ? xs.map(showValue).join(' or ') : `one of ${xs.map(showValue).join(', ')}`);

/** The types a union accepts, from its branches' first issues (`a number or a list`). */
function unionExpectation(issue: SchemaIssue): string | undefined {
  const wanted = (issue.errors ?? []).map((branch) => {
    const first = branch.find((b) => b.path.length === 0);
    if (!first) return undefined;
    if (first.code === 'invalid_type' && first.expected) return ARTICLE[first.expected] ?? first.expected;
    if (first.code === 'invalid_value' && first.values) return orList(first.values);
    return undefined;
  });
  return wanted.every((w) => w !== undefined) && wanted.length ? [...new Set(wanted)].join(' or ') : undefined;
}

/**
 * The issue to report: for a union whose value had one branch's type but a wrong part
 * (`eos_token_id: [2, "3"]`), that part's issue, at its full path.
 */
export function innermostIssue(issue: SchemaIssue): SchemaIssue {
  if (issue.code !== 'invalid_union') return issue;
  const deeper = (issue.errors ?? []).find((b) => b.length > 0 && b[0].path.length > 0);
  return deeper ? innermostIssue({ ...deeper[0], path: [...issue.path, ...deeper[0].path] }) : issue;
}

/** "'rms_norm_eps' must be a number, got true": one issue as a sentence about the field. */
export function describeIssue(issue: SchemaIssue, input: unknown): string {
  const path = dottedPath(issue.path);
  const field = path ? `'${path}'` : 'the value';
  const got = `got ${showValue(valueAt(input, issue.path))}`;
  const bound = (b: number | bigint | undefined) => (typeof b === 'bigint' ? b.toString() : String(b));
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected && valueAt(input, issue.path) === undefined && path) return `${field} is required (${ARTICLE[issue.expected] ?? issue.expected})`;
      return `${field} must be ${ARTICLE[issue.expected ?? ''] ?? issue.expected ?? 'of another type'}, ${got}`;
    case 'invalid_value':
      return `${field} must be ${orList(issue.values ?? [])}, ${got}`;
    case 'too_small':
      return `${field} must be ${issue.origin === 'array' ? `a list of at least ${bound(issue.minimum)} items` : `${issue.inclusive === false ? '>' : '≥'} ${bound(issue.minimum)}`}, ${got}`;
    case 'too_big':
      return `${field} must be ${issue.origin === 'array' ? `a list of at most ${bound(issue.maximum)} items` : `${issue.inclusive === false ? '<' : '≤'} ${bound(issue.maximum)}`}, ${got}`;
    case 'invalid_union': {
      const want = unionExpectation(issue);
      return want ? `${field} must be ${want}, ${got}` : `${field}: ${issue.message}, ${got}`;
    }
    case 'custom':
      return issue.message;
    case 'unrecognized_keys':
      return `${field} has unknown fields ${(issue.keys ?? []).map((k) => `'${k}'`).join(', ')}`;
    default:
      return `${field}: ${issue.message}`;
  }
}

/**
 * Check `value` (parsed JSON) against `schema` and return what it means; the first problem is a
 * `CONFIG` error naming the file and the field (`path`), never a silent reinterpretation.
 */
export function validateJson<T>(schema: ConfigSchema<T>, value: unknown, { file, what = 'config' }: { file?: string; what?: string } = {}): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TensorCoreError('CONFIG', `${what} must be a JSON object, got ${Array.isArray(value) ? 'a list' : showValue(value)}`, { file });
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = innermostIssue(r.error.issues[0]);
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? 's' : ''})` : '';
  const path = dottedPath(issue.path);
  throw new TensorCoreError('CONFIG', `${describeIssue(issue, value)}${more}`, { file, ...(path ? { path } : {}) });
}
