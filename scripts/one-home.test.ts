/**
 * One of each: attention, RoPE, optimizers, schedules, the model-folder loader, the random
 * generator and atomic writes are defined in tensor-core only. A grep over every other package's
 * shipped sources, benchmarks, examples and scripts (tests are oracles and may compute a concept
 * directly) finds no second definition. Each rule is checked against a sample of the concept as
 * one would write it, so a rule that matches nothing cannot pass unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Rule {
  concept: string;
  /** Where it lives; said in the failure message. */
  home: string;
  /** A file defines the concept when every pattern matches somewhere in it (comments removed). */
  patterns: RegExp[];
  /** The concept written out, as a second copy would look: the rule must catch it. */
  sample: string;
}

const RULES: Rule[] = [
  {
    concept: 'attention',
    home: "tensor-core's scaledDotProductAttention (nn/attention.ts)",
    patterns: [/\bsoftmax\(/, /\bmatMul\([^;]*,\s*true\s*\)/, /Math\.sqrt\(|\*\*\s*-?0?\.5\b|\brsqrt\(/],
    sample: 'const s = tf.matMul(q, k, false, true).div(Math.sqrt(d));\nconst p = tf.softmax(s);\nreturn tf.matMul(p, v);',
  },
  {
    concept: 'RoPE',
    home: "tensor-core's rope (nn/rope.ts)",
    patterns: [/\b(invFreq|inv_freq|rotateHalf|rotate_half)\b|Math\.pow\(\s*\w*[tT]heta|\b\w*[tT]heta\w*\s*\*\*/],
    sample: 'const invFreq = Array.from({ length: d / 2 }, (_, i) => 1 / theta ** ((2 * i) / d));',
  },
  {
    concept: 'an optimizer',
    home: "tensor-core's optim (AdamW, Adam)",
    patterns: [/\bclass\s+\w*(Adam|SGD|Optimizer|Lion|RMSProp|Adagrad)\w*|\btf\.train\.|\bexp_?avg\w*|\.assign\(\s*(tf\.)?sub\(|\.assign\(\s*\w+\.sub\(/i],
    sample: 'for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));',
  },
  {
    concept: 'a learning-rate schedule',
    home: "tensor-core's optim schedules (warmupCosine, cosineDecay, linearWarmup, …)",
    patterns: [/\bfunction\s+(warmup\w*|\w*Warmup\w*|cosine\w*|\w*Cosine\w*|\w*Decay|lrAt\w*)\s*\(|Math\.cos\(\s*Math\.PI\s*\*/],
    sample: 'const lr = (step: number) => peak * 0.5 * (1 + Math.cos(Math.PI * step / total));',
  },
  {
    concept: 'a model-folder loader',
    home: "tensor-core's FolderReader / readCheckpoint / loadModelFolder (io/)",
    patterns: [/\b(loadSafetensors|readSafetensorsHeader|parseSafetensors)\(|readFile(Sync)?\([^)]*(CONFIG_FILE|config\.json|safetensors)/],
    sample: "const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));\nconst { tensors } = await loadSafetensors(join(dir, 'model.safetensors'));",
  },
  {
    concept: 'a random generator',
    home: "tensor-core's Generator (resumable state)",
    patterns: [/Math\.random\(|\b(mulberry32|xorshift\w*|splitmix\w*|sfc32|pcg32)\b|\b(1664525|1013904223|0x6d2b79f5|2654435761)\b/i],
    sample: 's = (Math.imul(s, 1664525) + 1013904223) >>> 0;',
  },
  {
    concept: 'an atomic writer',
    home: "tensor-core's writeFileAtomic, FolderWriter / withFolderWriter",
    patterns: [/\brename(Sync)?\(|\bf(data)?sync(Sync)?\(/],
    sample: "await writeFile(tmp, bytes);\nawait rename(tmp, path);",
  },
];

/**
 * Files that match a rule and are not a second copy (listed in CONTRIBUTING.md, "Where each
 * concept lives"), or that still await their move (said there too); path → concepts.
 */
const ALLOWED: Record<string, { concepts: string[]; why: string }> = {
  'packages/testing/src/cross_backend.ts': { concepts: ['a random generator'], why: 'kernel test inputs from a self-contained LCG, whose source a test sends to a child process' },
  'packages/testing/src/golden.ts': { concepts: ['a model-folder loader'], why: 'reads the PyTorch fixtures (inputs and outputs), not a model folder' },
  'scripts/changeset-rules.mjs': { concepts: ['a model-folder loader'], why: "reads the changesets' own .changeset/config.json (the ignored packages), not a model folder" },
  'packages/vl-health/src/fetch/dataset.ts': { concepts: ['an atomic writer'], why: 'moves a finished, verified extraction into place (a directory rename of a data set, not a file write)' },
};

/** Comments removed (line and block), strings kept. */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

const defines = (rule: Rule, text: string) => rule.patterns.every((p) => p.test(withoutComments(text)));

function scannedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'packages', 'bench', 'examples', 'scripts'], { cwd: root, encoding: 'utf8' });
  return out
    .split('\n')
    .filter((f) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(f))
    .filter((f) => !f.startsWith('packages/tensor-core/src/')) // the home
    .filter((f) => !/\.test\.ts$|\.test-util\.ts$|test_helpers\.ts$|\/test-utils\/|\/dist\/|\/node_modules\//.test(f));
}

describe('one home per concept (tensor-core)', () => {
  it.each(RULES)('the $concept rule catches a second copy written out', (rule) => {
    expect(defines(rule, rule.sample)).toBe(true);
    expect(defines(rule, `// ${rule.sample.split('\n').join('\n// ')}`)).toBe(false); // a comment is not a definition
  });

  it('only tensor-core defines attention, RoPE, an optimizer, a schedule, a folder loader, a random generator or an atomic writer', () => {
    const found: string[] = [];
    const files = scannedFiles();
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(`${root}${file}`, 'utf8');
      } catch {
        continue; // listed by git, deleted in the work tree
      }
      for (const rule of RULES)
        if (defines(rule, text) && !ALLOWED[file]?.concepts.includes(rule.concept)) found.push(`${file} defines ${rule.concept}: use ${rule.home}`);
    }
    expect(found).toEqual([]);
  });

  it('tensor-core does define each of them', () => {
    const core = execFileSync('git', ['ls-files', 'packages/tensor-core/src'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => readFileSync(`${root}${f}`, 'utf8'));
    for (const rule of RULES.filter((r) => r.concept !== 'attention' && r.concept !== 'a random generator'))
      expect(core.some((text) => defines(rule, text)), rule.concept).toBe(true);
  });
});
