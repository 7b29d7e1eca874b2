import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type RawImage } from '@healthgpt/tensor-core';
import { trainByteLevelBpe } from '@healthgpt/decoder';
import { imageTokenVocabulary } from '@healthgpt/vq-tokenizer';
import { GENERATION_ANSWER } from '@healthgpt/vl-health';
import { HealthGPT, healthGPTPreset, countParameters } from '@healthgpt/model';

await initBackend();

// A tokenizer with the template's special tokens and the image tokens (a real one: HFTokenizer.fromFile).
const tokenizer = trainByteLevelBpe(['Is there a mass in the left lung? Yes.', 'Which organ is shown? The liver.', 'Convert this CT to MRI.'], {
  vocabSize: 300,
  minFrequency: 1,
  specialTokens: ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'],
  eosToken: '<|endoftext|>',
});
tokenizer.addTokens(imageTokenVocabulary(64), { special: true });

// The `tiny` preset (random weights here; train it, or load a trained folder with HealthGPT.fromPretrained).
const config = healthGPTPreset('tiny', { tokenizer });
console.log(countParameters(config).model, 'parameters;', countParameters(healthGPTPreset('m3')).total, 'for HealthGPT-M3');
const model = new HealthGPT(config, { seed: 0, tokenizer });
console.log(model.namedParameters().map(([n]) => n).filter((n) => n.startsWith('model.layers.0.self_attn.qkv_proj')));
// [ 'model.layers.0.self_attn.qkv_proj.weight', '….lora_A.comprehension.weight', …, '….lora_route.generation.weight' ]

// A 16-bit grey scan and an 8-bit RGB photo: any size, 1/3/4 channels.
const scan: RawImage = { width: 48, height: 40, channels: 1, data: new Uint16Array(48 * 40).map((_, i) => (i * 97) % 65535) };
const photo: RawImage = { width: 30, height: 30, channels: 3, data: new Uint8Array(30 * 30 * 3).map((_, i) => (i * 7) % 256) };

// Comprehension: the whole decoded answer, streamed as it comes.
const answer = model.comprehend(scan, 'Is there a mass in the left lung?', { maxNewTokens: 16, onText: ({ delta }) => void process.stdout.write(delta) });
console.log('\nanswer:', JSON.stringify(answer));

// Generation: exactly 8×8 image tokens, decoded by the VQ tokenizer into a 32×32 RGB image.
const { image, codes } = model.generateImage(photo, 'Convert this CT to MRI.', { seed: 1 });
console.log(codes.length, 'codes →', image!.width, '×', image!.height, 'RGB');

// A training step's loss: a batch may mix tasks; labels supervise the answers only.
const p = model.processor;
const batch = p.collate([
  p.encodeSample({ id: 'q1', task: 'comprehension', subtask: 'vqa', images: ['scan.png'], conversations: [{ from: 'human', value: '<image>\nIs there a mass?' }, { from: 'gpt', value: 'Yes.' }], metadata: {} }, [scan]),
  p.encodeSample({ id: 'g1', task: 'generation', subtask: 'reconstruction', images: ['photo.png'], targetImage: 'photo.png', conversations: [{ from: 'human', value: '<image>\nReconstruct this image.' }, { from: 'gpt', value: GENERATION_ANSWER }], metadata: {} }, [photo], photo),
]);
const { loss, grads } = model.computeGradients(() => model.computeLoss(batch));
console.log('loss', loss.dataSync()[0].toFixed(3), 'over', grads.size, 'trainable tensors (the CLIP tower is frozen)');
loss.dispose();
grads.forEach((g) => g?.dispose());
batch.pixelValues?.dispose();

// One folder, written whole; load it back (optionally with int8 weights).
const dir = mkdtempSync(join(tmpdir(), 'healthgpt-'));
await model.savePretrained(join(dir, 'tiny'));
const int8 = await HealthGPT.fromPretrained(join(dir, 'tiny'), { quantize: 'int8' });
console.log('int8 answer:', JSON.stringify(int8.comprehend(scan, 'Is there a mass in the left lung?', { maxNewTokens: 16 })));
[model, int8].forEach((m) => m.dispose());
rmSync(dir, { recursive: true, force: true });
