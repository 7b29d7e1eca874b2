import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@healthgpt/testing';
import { hasStack, lines, runHealthgpt, tempDir, type Ran } from '../../test/run.test_util.js';

// One `healthgpt demo --budget test` run (a real child process: data, stage 0, stages 1–3,
// evaluation, report) whose model the other commands use. The `demo` budget itself runs in CI (.ci/run).
let dir: string;
let demo: Ran;
const out = () => join(dir, 'demo');
const VQA_RAD = join(repoRoot(), '..', 'shared', 'data', 'vqa-rad');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'healthgpt-cli-train-'));
  demo = await runHealthgpt(['demo', '--budget', 'test', '--out', out()], { timeoutMs: 900_000 });
}, 900_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOneLine(r: Ran, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(lines(r.stderr), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(hasStack(r.stderr)).toBe(false);
}

const metricsOf = (folder: string) => JSON.parse(readFileSync(join(folder, 'metrics.json'), 'utf8'));

describe('healthgpt demo', () => {
  it('trains from nothing, evaluates against the baselines and writes the report, metrics.json and the model', () => {
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain(`report: ${join(out(), 'report.html')}`);
    expect(demo.stdout).toMatch(/closed questions [\d.]+ % vs question-only [\d.]+ % \(n = \d+, one-sided sign test p = [\d.e-]+\); super-resolution SSIM [\d.]+ vs identity [\d.]+ \(n = \d+\); modality-conversion SSIM/);
    for (const p of ['stage 0', 'stages 1–3', 'evaluating', 'writing the report']) expect(demo.stderr).toContain(p);
    const m = metricsOf(out());
    expect(Object.keys(m.lossCurves)).toEqual(['stage0-decoder', 'stage0-vision', 'stage0-vq', 'stage1-alignment-comprehension', 'stage1-alignment-generation', 'stage2-fusion', 'stage3-instruction']);
    for (const ys of Object.values(m.lossCurves) as number[][]) expect(ys.every(Number.isFinite) && ys.length > 0).toBe(true);
    const closed = m.comprehension.find((r: { subtask: string; answerType: string }) => r.subtask === 'vqa' && r.answerType === 'CLOSED');
    expect(m.verdict.comprehension).toMatchObject({ accuracy: expect.any(Number), questionOnly: expect.any(Number), n: closed.n, ...closed.paired.questionOnly });
    expect(m.verdict.comprehension.passed).toBe(m.verdict.comprehension.accuracy > m.verdict.comprehension.questionOnly && m.verdict.comprehension.pValue < 0.05);
    expect(Object.keys(m.verdict.generation).sort()).toEqual(['modality-conversion', 'super-resolution']);
    expect(m.comprehension.find((r: { subtask: string; answerType: string }) => r.subtask === 'vqa' && r.answerType === 'CLOSED').baselines).toHaveProperty('questionOnly');
    expect(m.generation.map((g: { subtask: string }) => g.subtask)).toEqual(expect.arrayContaining(['super-resolution', 'modality-conversion', 'reconstruction']));
    expect(m.reused).toEqual([]);
    expect(m.stage0.decoder.perplexityAfter).toBeLessThan(m.stage0.decoder.perplexityBefore);
    for (const k of ['stage0', 'stages', 'evaluate', 'total']) expect(m.timings[k]).toBeGreaterThan(0);
    const html = readFileSync(join(out(), 'report.html'), 'utf8');
    expect(html.match(/<svg /g)!.length).toBe(7);
    expect(html).toMatch(/<img class="px" alt="output of [^"]+" data-role="output" src="data:image\/png;base64,/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    for (const f of ['model/config.json', 'model/run.json', 'model/model.safetensors', 'figure.png', 'stages/train_log.jsonl', 'stage0-decoder/train_log.jsonl']) expect(existsSync(join(out(), f)), f).toBe(true);
  });

  it('a second run with the same settings reuses the trained model, says so, and evaluates it again', async () => {
    const before = readFileSync(join(out(), 'model', 'run.json'), 'utf8');
    const again = await runHealthgpt(['demo', '--budget', 'test', '--out', out()], { timeoutMs: 600_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('reusing the model trained');
    const m = metricsOf(out());
    expect(m.reused).toHaveLength(1);
    expect(m.reused[0].detail).toContain('evaluated again now');
    expect(m.timings.stage0).toBeUndefined();
    expect(Object.keys(m.lossCurves)).toHaveLength(7);
    expect(readFileSync(join(out(), 'model', 'run.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(out(), 'report.html'), 'utf8')).toContain('Reused from an earlier run');
  }, 600_000);

  it.each([
    [['demo', '--budget', 'huge'], /^healthgpt demo: option '--budget <name>' argument 'huge' is invalid/],
    [['demo', '--seed', '-3'], /^healthgpt demo: option '--seed <n>' argument '-3' is invalid/],
    [['demo', '--quick', '--nope'], /^healthgpt demo: unknown option '--nope'/],
  ])('a usage mistake (%j) is one line and exit 2', async (argv, message) => {
    expectOneLine(await runHealthgpt(argv), 2, message);
  });
});

describe('healthgpt eval', () => {
  it('evaluates the demo model on a synthetic split and writes closed_accuracy and the baselines to --json', async () => {
    const t = tempDir('eval');
    expect((await runHealthgpt(['data', 'synth', '--out', join(t, 'set'), '--count', '12', '--size', '32'])).code).toBe(0);
    const r = await runHealthgpt(['eval', '--model', join(out(), 'model'), '--dataset', 'synth', '--data', join(t, 'set'), '--split', 'test', '--limit', '2', '--json', join(t, 'e.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^subtask\s+answers\s+n\s+metric\s+model\s+majority\s+question-only$/m);
    expect(r.stdout).toMatch(/^vqa\s+closed\s+\d+\s+accuracy\s+[\d.]+ %\s+[\d.]+ %\s+[\d.]+ %$/m);
    expect(r.stdout).toMatch(/^task\s+n\s+SSIM\s+identity/m);
    const j = JSON.parse(readFileSync(join(t, 'e.json'), 'utf8'));
    expect(j).toMatchObject({ dataset: 'synth', split: 'test', closed_accuracy: expect.any(Number), all_accuracy: expect.any(Number), baselines_from: 'the train split' });
    expect(j.baselines.majority.closed_accuracy).toEqual(expect.any(Number));
    expect(j.baselines.questionOnly.closed_accuracy).toEqual(expect.any(Number));
  }, 600_000);

  it('evaluates on VQA-RAD images held out by image (the vqa-rad preset\'s validation split)', async () => {
    const t = tempDir('eval-vqa-rad');
    const r = await runHealthgpt(['eval', '--model', join(out(), 'model'), '--dataset', 'vqa-rad', '--data', VQA_RAD, '--split', 'validation', '--limit', '3', '--max-new-tokens', '4', '--json', join(t, 'v.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('baselines learned from the training images (validation held out)');
    const j = JSON.parse(readFileSync(join(t, 'v.json'), 'utf8'));
    expect(j.n).toBe(3);
    expect(j).toHaveProperty('all_accuracy');
    expect(j.baselines.majority).toHaveProperty('all_accuracy');
  }, 600_000);

  it.each([
    [['eval', '--model', 'm', '--dataset', 'imagenet', '--data', '.'], /^healthgpt eval: option '--dataset <kind>' argument 'imagenet' is invalid/],
    [['eval', '--model', 'm', '--dataset', 'synth'], /^healthgpt eval: required option '--data <dir>' not specified/],
    [['eval', '--model', 'm', '--dataset', 'synth', '--data', '/nonexistent/x'], /^healthgpt eval: --data .*\/nonexistent\/x/],
    [['eval', '--model', 'm', '--dataset', 'vqa-rad', '--data', VQA_RAD, '--split', 'dev'], /^healthgpt eval: --split for --dataset vqa-rad is test, train, validation or train-part, got 'dev'/],
    [['eval', '--model', 'm', '--dataset', 'vqa-rad', '--data', VQA_RAD, '--split', 'test'], /^healthgpt eval: .*has no test questions.*--split validation/],
  ])('a mistake (%j) is one line and a non-zero exit', async (argv, message) => {
    const r = await runHealthgpt(argv);
    expect(r.code).not.toBe(0);
    expectOneLine(r, r.code, message);
  });
});

describe('healthgpt train', () => {
  it('trains by a config file with its own budget and writes the model and the report', async () => {
    const t = tempDir('train');
    const stage0 = { decoder: { steps: 2, batchSize: 4, lr: 3e-3, seqLen: 32 }, vision: { steps: 2, batchSize: 4, lr: 1e-3 }, vq: { steps: 2, batchSize: 2, lr: 2e-3 } };
    writeFileSync(join(t, 'c.json'), JSON.stringify({ pipeline: 'synthetic', seed: 1, budget: { scenes: 24, stage0, stages: { alignment: 1, fusion: 1, instruction: 2, batchSize: 2, lrScale: 20 }, evalPerSubtask: 1 } }));
    const r = await runHealthgpt(['train', '--config', join(t, 'c.json'), '--out', join(t, 'run')], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`model: ${join(t, 'run', 'model')}`);
    const m = metricsOf(join(t, 'run'));
    expect(m.settings.seed).toBe(1);
    expect(m.lossCurves['stage3-instruction']).toHaveLength(2);
    expect(m.verdict).not.toBeNull();
    const again = await runHealthgpt(['train', '--config', join(t, 'c.json'), '--out', join(t, 'run')]);
    expectOneLine(again, 2, /already holds a model \(model\/\): pass --force/);
  }, 600_000);

  it.each([
    [['train', '--out', 'x'], 2, /^healthgpt train: name a --preset or a --config file\n$/],
    [['train', '--preset', 'vqa-rad', '--out', 'x'], 2, /^healthgpt train: the vqa-rad pipeline needs --data DIR/],
    [['train', '--preset', 'imagenet', '--out', 'x'], 2, /^healthgpt train: option '--preset <name>' argument 'imagenet' is invalid/],
    [['train', '--preset', 'test', '--config', 'c.json', '--out', 'x'], 2, /^healthgpt train: option '--preset <name>' cannot be used with option '--config <file>'/],
    [['train', '--config', '/nonexistent/c.json', '--out', 'x'], 2, /^healthgpt train: --config .*nonexistent/],
  ])('a usage mistake (%j) is one line and exit %i', async (argv, code, message) => {
    expectOneLine(await runHealthgpt(argv as string[]), code as number, message as RegExp);
  });

  it('a config with a wrong field is one line naming the file and the field', async () => {
    const t = tempDir('train-config');
    writeFileSync(join(t, 'c.json'), JSON.stringify({ pipeline: 'synthetic', budget: { scenes: 'many' } }));
    const r = await runHealthgpt(['train', '--config', join(t, 'c.json'), '--out', join(t, 'run')]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('c.json');
    expect(r.stderr).toMatch(/budget/);
    expect(hasStack(r.stderr)).toBe(false);
    writeFileSync(join(t, 'd.json'), '{"pipeline": "synthetic",');
    expectOneLine(await runHealthgpt(['train', '--config', join(t, 'd.json'), '--out', join(t, 'run')]), 2, /--config .*d\.json: not JSON/);
  });
});
