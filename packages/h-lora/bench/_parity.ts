import { tf, initBackend, Module, Linear, loadSafetensors, type Tensor } from '@healthgpt/tensor-core';
import { injectAdapters, loadAdapterStateDict, type AdaptedLinear } from '../src/index.js';
class H extends Module { constructor() { super(); this.registerModule('layer', new Linear(24, 40)); } }
const md = (a: Tensor, b: Tensor) => tf.tidy(() => tf.max(tf.abs(a.sub(b))).dataSync()[0]).toExponential(2);
for (const be of ['cpu', 'wasm'] as const) {
  await initBackend({ backend: be });
  for (const fx of ['hlora_linear', 'lora_linear']) {
    const { tensors } = await loadSafetensors(`/work/shared/golden/${fx}.safetensors`);
    const io = (k: string) => tensors.get(`io.${k}`)!;
    const root = new H();
    injectAdapters(root, { targets: ['layer'], kind: fx === 'hlora_linear' ? 'hlora' : 'lora', config: fx === 'hlora_linear' ? { r: 8, loraAlpha: 16, loraNums: 4 } : { r: 8, loraAlpha: 16 } });
    root.loadStateDict(new Map([['layer.weight', tensors.get('layer.weight')!], ['layer.bias', tensors.get('layer.bias')!]]), { strict: false });
    loadAdapterStateDict(root, 'default', tensors, { prefix: '', ignore: [/^io\./, 'layer.weight', 'layer.bias'] });
    root.eval();
    const l = root.child<AdaptedLinear>('layer');
    const out: string[] = [`y ${md(l.forward(io('x')), io('y'))}`];
    if (fx === 'hlora_linear') {
      out.push(`probs ${md(l.routerProbs(io('x')), io('route_probs'))}`);
      const gy = io('grad_y');
      const names = ['A', 'B', 'route'].map((s) => `layer.lora_${s}.default.weight`);
      const { grads } = root.computeGradients(() => tf.sum(tf.mul(l.forward(io('x')), gy)) as tf.Scalar, names);
      ['A', 'B', 'route'].forEach((s, i) => out.push(`grad_${s} ${md(grads.get(names[i])!, io(`grad_lora_${s}`))}`));
      out.push(`grad_x ${md(tf.grad((x: Tensor) => tf.sum(tf.mul(l.forward(x), gy)))(io('x')), io('grad_x'))}`);
    } else {
      l.merge();
      out.push(`merged_w ${md(l.weight, io('merged_weight'))}`, `y_merged ${md(l.forward(io('x')), io('y_merged'))}`);
    }
    console.log(be, fx, out.join('  '));
  }
}
