/**
 * Writes docs/contact-sheet.png: the synthetic phantom set at a glance.
 *   rows 1-3: head, chest, abdomen; columns: CT, MRI-T1, MRI-T2, X-ray (with lesions)
 *   row 4: CT → MRI-T2 conversion (input, target), 4x super-resolution (input, target)
 *   row 5: denoising (input, target), reconstruction (input, target)
 * Run: node --import tsx packages/vl-health/scripts/contact_sheet.ts
 */
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { Generator } from '@healthgpt/tensor-core/base';
import { superResolutionPair, reconstructionPair, toGray, type Gray } from '../src/index.js';
import { makeScene, MODALITIES, ORGANS, type SceneSpec } from '../src/synth/scene.js';
import { renderScene } from '../src/synth/render.js';

const S = 96;
const GAP = 2;
const rng = new Generator(2024);
const tiles: Gray[] = [];
ORGANS.forEach((organ, r) =>
  MODALITIES.forEach((modality) => {
    const spec: SceneSpec = { organ, modality, plane: modality === 'X-ray' || r === 1 ? 'coronal' : 'axial', count: 1 + (r % 3), side: r % 2 ? 'left' : 'right', size: r === 2 ? 'small' : 'large' };
    tiles.push(renderScene(makeScene(`${organ}-${modality}`, spec, rng), { size: S }));
  }),
);
const head = makeScene('pair', { organ: 'head', modality: 'CT', plane: 'axial', count: 2, side: 'left', size: 'large' }, rng);
const ct = renderScene(head, { size: S });
const sr = superResolutionPair({ width: S, height: S, channels: 1, data: ct.data }, { factor: 4 });
const low = toGray(sr.input);
// nearest-neighbour upscaling shows the 24 px input at tile size
const lowUp: Gray = { width: S, height: S, data: Float32Array.from({ length: S * S }, (_, i) => low.data[Math.floor(Math.floor(i / S) / 4) * low.width + Math.floor((i % S) / 4)]) };
const chest = makeScene('dn', { organ: 'chest', modality: 'MRI-T1', plane: 'axial', count: 1, side: 'right', size: 'large' }, rng);
const rec = reconstructionPair({ width: S, height: S, channels: 1, data: renderScene(chest, { size: S }).data }, { mode: 'masked', patch: 12, maskFraction: 0.3, seed: 1 });
tiles.push(ct, renderScene(head, { size: S, modality: 'MRI-T2' }), lowUp, ct);
tiles.push(renderScene(chest, { size: S, noise: 5 }), renderScene(chest, { size: S, noise: 0 }), toGray(rec.input), toGray(rec.target));

const cols = 4;
const rows = Math.ceil(tiles.length / cols);
const W = cols * S + (cols - 1) * GAP;
const H = rows * S + (rows - 1) * GAP;
const sheet = new Uint8Array(W * H).fill(255);
tiles.forEach((t, i) => {
  const ox = (i % cols) * (S + GAP);
  const oy = Math.floor(i / cols) * (S + GAP);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) sheet[(oy + y) * W + ox + x] = Math.max(0, Math.min(255, Math.round(t.data[y * S + x] * 255)));
});
const png = await sharp(sheet, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9, palette: true, colours: 64 }).toBuffer();
const out = fileURLToPath(new URL('../docs/contact-sheet.png', import.meta.url));
writeFileSync(out, png);
console.log(`wrote ${out} (${W}x${H}, ${png.length} bytes)`);
