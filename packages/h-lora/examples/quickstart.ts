/**
 * The README's example: two task adapters (H-LoRA) on a small model, switched per request,
 * trained one at a time, saved in PEFT layout and loaded back. Run from the repository root:
 *   node --import tsx packages/h-lora/examples/quickstart.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend, Module, Linear, Generator, type Tensor } from '@healthgpt/tensor-core';
import { injectAdapters, setActiveAdapter, markOnlyAdapterTrainable, saveAdapter, loadAdapter, type AdaptedLinear } from '@healthgpt/h-lora';

/** A tiny MLP whose forward reads its children by name (so wrapped layers are the ones that run). */
class Mlp extends Module {
  constructor(gen: Generator) {
    super();
    this.registerModule('up_proj', new Linear(16, 32, { gen }));
    this.registerModule('down_proj', new Linear(32, 16, { gen }));
    this.registerModule('lm_head', new Linear(16, 10, { gen }));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<Linear>('lm_head').forward(this.child<Linear>('down_proj').forward(tf.relu(this.child<Linear>('up_proj').forward(x)))));
  }
}

await initBackend({ backend: 'auto' });
const model = new Mlp(new Generator(0));
for (const task of ['comprehension', 'generation'])
  injectAdapters(model, { targets: ['up_proj', 'down_proj'], kind: 'hlora', config: { r: 8, loraAlpha: 16, loraNums: 4 }, name: task });
console.log(model.namedParameters().map(([n, p]) => `${n} [${p.shape}]`).join('\n'));

// Train the generation adapter only: one SGD step on a toy objective.
setActiveAdapter(model, 'generation');
const trainable = markOnlyAdapterTrainable(model, 'generation');
const x = tf.randomNormal([4, 5, 16], 0, 1, 'float32', 1);
const { loss, grads } = model.computeGradients(() => tf.mean(tf.square(model.forward(x))) as tf.Scalar);
const params = new Map(model.namedParameters());
for (const [name, g] of grads) tf.tidy(() => params.get(name)!.assign(params.get(name)!.sub(g.mul(0.1))));
console.log(`trained ${trainable.length} tensors, loss ${loss.dataSync()[0].toFixed(4)}`);
tf.dispose([loss, ...grads.values()]);

// Save in PEFT layout and load into a fresh model (the adapter is injected from adapter_config.json).
const dir = mkdtempSync(join(tmpdir(), 'h-lora-'));
await saveAdapter(model, join(dir, 'generation'), 'generation');
const fresh = new Mlp(new Generator(0));
const r = await loadAdapter(fresh, join(dir, 'generation'), { name: 'generation' });
console.log(`loaded ${r.loaded.length} tensors into ${r.injected.join(', ')}`);
const router = fresh.getSubmodule<AdaptedLinear>('up_proj').routerProbs(x); // [4, 5, 4]
console.log('router probabilities of token 0:', Array.from(router.dataSync().slice(0, 4)).map((p) => p.toFixed(3)).join(' '));
tf.dispose([x, router]);
model.dispose();
fresh.dispose();
rmSync(dir, { recursive: true, force: true });
