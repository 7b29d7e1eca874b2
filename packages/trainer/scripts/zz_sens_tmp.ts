import { initBackend } from '@healthgpt/tensor-core';
import { HealthGPT } from '@healthgpt/model';
import { IMAGE_PLACEHOLDER } from '@healthgpt/decoder';
import { PIPELINE_BUDGETS, syntheticData, evalSubset } from '../src/index.js';
await initBackend();
const [dir, seed] = [process.argv[2], Number(process.argv[3] ?? 0)];
const model = await HealthGPT.fromPretrained(dir);
const data = syntheticData('tiny', PIPELINE_BUDGETS.demo.scenes, seed);
const qs = evalSubset(data.heldOut, 200).filter((s) => s.subtask === 'vqa');
const q = (s: (typeof qs)[number]) => s.conversations[0].value.split(IMAGE_PLACEHOLDER).join('').trim();
const answer = async (imgOf: (i: number) => string) => {
  const out: string[] = [];
  for (let i = 0; i < qs.length; i += 8) {
    const chunk = qs.slice(i, i + 8);
    const reqs = await Promise.all(chunk.map(async (s, k) => ({ images: [await data.images(imgOf(i + k))], question: q(s) })));
    out.push(...model.comprehendBatch(reqs, { task: 'comprehension', maxNewTokens: 8 }).map((r) => r.text.trim().toLowerCase()));
  }
  return out;
};
const own = await answer((i) => qs[i].images[0]);
const other = await answer((i) => qs[(i + 37) % qs.length].images[0]);
const byType = new Map<string, { n: number; changed: number }>();
qs.forEach((s, i) => {
  const k = `${s.metadata.answerType}/${s.metadata.questionType}`;
  const e = byType.get(k) ?? { n: 0, changed: 0 };
  e.n++;
  if (own[i] !== other[i]) e.changed++;
  byType.set(k, e);
});
console.log(JSON.stringify({ dir, changed: qs.filter((_, i) => own[i] !== other[i]).length, n: qs.length, byType: Object.fromEntries([...byType].sort()) }));
model.dispose();
