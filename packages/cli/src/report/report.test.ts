/// <reference lib="dom" />
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '@healthgpt/vl-health';
import { writeReport } from './write.js';
import { reportFixture } from '../../test/report_fixture.test_util.js';
import { launchChromium } from '../../test/chromium.test_util.js';
import { tempDir } from '../../test/run.test_util.js';

describe('the HTML report', () => {
  it('is one self-contained file that headless Chromium draws with every image and every loss curve', async () => {
    const dir = tempDir('report');
    const data = reportFixture();
    const { html, metrics, figure } = await writeReport(dir, data);
    const text = readFileSync(html, 'utf8');
    // nothing to fetch: every src and href is a data URI or an anchor, no script at all
    expect([...text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:image/png;base64,') && !u.startsWith('#'))).toEqual([]);
    expect(text).not.toMatch(/<script|<link|@import|url\(/i);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      expect(requests.filter((u) => !u.startsWith('data:') && !u.startsWith('file:'))).toEqual([]);

      // every image decoded by the browser, at its own size: inputs, targets and outputs per generation example, one per VQA example
      const imgs = await page.$$eval('img', (els) => els.map((e) => ({ ok: e.complete && e.naturalWidth > 0, role: e.dataset.role ?? 'question', w: e.naturalWidth, shown: e.getBoundingClientRect().width })));
      // the page groups the generated images by task, in order of first appearance
      const tasks = [...new Set(data.examples.generation.map((e) => e.subtask))];
      const gen = tasks.flatMap((t) => data.examples.generation.filter((e) => e.subtask === t));
      expect(imgs.length).toBe(3 * gen.length + data.examples.comprehension.length);
      expect(imgs.filter((i) => !i.ok)).toEqual([]);
      expect(imgs.filter((i) => i.role === 'input').map((i) => i.w)).toEqual(gen.map((e) => e.input.width));
      expect(imgs.filter((i) => i.role === 'output').map((i) => i.w)).toEqual(gen.map((e) => e.output.width));
      expect(imgs.every((i) => i.shown >= 64)).toBe(true);
      expect(await page.$$eval('figure[data-task]', (els) => [...new Set(els.map((e) => (e as HTMLElement).dataset.task))])).toEqual(tasks);

      // one curve per stage, in order, each line drawn with a real extent (the NaN step left out)
      const curves = await page.$$eval('svg.curve', (svgs) =>
        svgs.map((s) => ({
          stage: s.getAttribute('data-stage'),
          steps: Number(s.getAttribute('data-steps')),
          lines: Array.from(s.querySelectorAll('polyline')).map((p) => {
            const b = (p as SVGGraphicsElement).getBBox();
            return { points: p.getAttribute('points')!.trim().split(/\s+/).length, box: { width: b.width, height: b.height } };
          }),
          box: s.getBoundingClientRect().width,
        })),
      );
      expect(curves.map((c) => c.stage)).toEqual(Object.keys(data.lossCurves));
      for (const c of curves) {
        const finite = data.lossCurves[c.stage!].filter(Number.isFinite).length;
        expect(c.steps).toBe(data.lossCurves[c.stage!].length);
        expect(c.box).toBeGreaterThan(300);
        if (finite > 1) {
          expect(c.lines.map((l) => l.points)).toEqual([finite, finite]);
          expect(c.lines.every((l) => l.box.width > 100 && l.box.height > 10)).toBe(true);
        }
      }

      // the tables put every baseline beside the model; the verdict and the reuse note are shown
      const headers = await page.$$eval('table.comprehension th', (ths) => ths.map((t) => t.textContent));
      expect(headers).toEqual(expect.arrayContaining(['model', 'majority answer', 'question-only best answer']));
      // per question type: the model beside each baseline, won / lost against question-only, better and worse marked
      const types = await page.$$eval('table.question-types tbody tr', (trs) => trs.map((t) => ({ type: t.getAttribute('data-type'), cells: Array.from(t.children).map((c) => c.textContent), model: t.querySelector('td.model')!.className })));
      expect(types).toEqual([
        { type: 'organ', cells: ['vqa', 'closed', 'organ', '8', '87.5 %', '50.0 %', '50.0 %', '3 / 0', '0.125'], model: 'model better' },
        { type: 'side', cells: ['vqa', 'closed', 'side', '8', '37.5 %', '50.0 %', '62.5 %', '1 / 3', '0.938'], model: 'model worse' },
      ]);
      expect(await page.$$eval('table.question-types th', (ths) => ths.map((t) => t.textContent))).toEqual(['subtask', 'questions', 'question type', 'n', 'model', 'majority', 'question-only', 'won / lost vs question-only', 'sign test p']);
      expect(await page.$$eval('table.generation th', (ths) => ths.map((t) => t.textContent))).toEqual(expect.arrayContaining(['SSIM model', 'SSIM identity']));
      expect(await page.$$eval('.verdict .badge', (b) => b.length)).toBe(1 + Object.keys(data.verdict!.generation).length);
      expect(await page.$$eval('.verdict .badge b', (b) => b.map((x) => x.textContent))).toEqual(['closed questions, held out (n = 16)', 'super-resolution, SSIM (n = 4)', 'modality-conversion, SSIM (n = 3)']);
      expect(await page.$eval('.verdict .badge .muted', (m) => m.textContent)).toBe('vs question-only 50.0 %; 6 won, 0 lost, sign test p = 0.016');
      expect(await page.textContent('#reused')).toContain('the synthetic set');
      // right and wrong answers, the wrong ones' text shown literally (escaped, not markup)
      const rows = await page.$$eval('table.examples tr[data-correct]', (trs) => trs.map((t) => ({ correct: t.getAttribute('data-correct'), model: t.lastElementChild!.textContent })));
      expect(rows.filter((r) => r.correct === 'true').length).toBe(data.examples.comprehension.filter((e) => e.correct).length);
      expect(rows.filter((r) => r.correct === 'false').map((r) => r.model)).toContain('no <b>idea</b>');

      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = await decodeImage(new Uint8Array(readFileSync(shot)));
      expect(png.width).toBe(1200);
      expect(png.height).toBeGreaterThan(2000);
      if (process.env.HEALTHGPT_REPORT_SCREENSHOT) writeFileSync(process.env.HEALTHGPT_REPORT_SCREENSHOT, readFileSync(shot));
    } finally {
      await browser.close();
    }

    // metrics.json: the numbers without the pictures
    const m = JSON.parse(readFileSync(metrics, 'utf8'));
    expect(m.verdict).toEqual(data.verdict);
    expect(m.comprehension).toEqual(data.comprehension);
    expect(m.examples.comprehension[0]).not.toHaveProperty('image');
    expect(JSON.stringify(m)).not.toContain('base64');
    expect(m.files.report).toBe(html);

    // figure.png: one row per generation task, input | target | output
    const n = new Set(data.examples.generation.map((e) => e.subtask)).size;
    const fig = await decodeImage(new Uint8Array(readFileSync(figure!)));
    expect([fig.width, fig.height]).toEqual([3 * 96 + 4 * 6, n * 96 + (n + 1) * 6]);
  });
});
