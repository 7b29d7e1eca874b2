import { it, expect } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, loadGolden, ioTensor } from '@healthgpt/testing';
import { injectAdapters, loadAdapterStateDict, type AdaptedLinear } from './index.js';
import { oneLayer } from './modules.test_util.js';

describeBackends('hlora_linear parity', () => {
  it('matches outputs, router probabilities and gradients of HealthGPT’s H-LoRA layer', async () => {
    const g = await loadGolden('hlora_linear');
    const c = g.config as { in_features: number; out_features: number; r: number; lora_alpha: number; lora_nums: number };
    const root = oneLayer(c.in_features, c.out_features);
    injectAdapters(root, { targets: ['layer'], kind: 'hlora', config: { r: c.r, loraAlpha: c.lora_alpha, loraNums: c.lora_nums } });
    root.loadStateDict(new Map([...g.weights].filter(([k]) => !k.includes('lora_')).map(([k, t]) => [k, t] as [string, Tensor])), { strict: false });
    const { loaded } = loadAdapterStateDict(root, 'default', g.weights, { prefix: '', ignore: ['layer.weight', 'layer.bias'] });
    expect(loaded.sort()).toEqual(['layer.lora_A.weight', 'layer.lora_B.weight', 'layer.lora_route.weight']);
    root.eval();
    const layer = root.child<AdaptedLinear>('layer');
    const x = ioTensor(g, 'x');
    const gy = ioTensor(g, 'grad_y');

    const y = layer.forward(x);
    expectClose(y, ioTensor(g, 'y'), { atol: 1e-5 }, 'y');
    const probs = layer.routerProbs(x);
    expectClose(probs, ioTensor(g, 'route_probs'), { atol: 1e-5 }, 'route_probs');
    layer.disable();
    const y0 = layer.forward(x);
    expectClose(y0, ioTensor(g, 'y_adapter_disabled'), { atol: 1e-5 }, 'y disabled');
    layer.enable();

    const loss = () => tf.sum(tf.mul(layer.forward(x), gy)) as tf.Scalar; // L = Σ y·grad_y
    const names = ['layer.lora_A.default.weight', 'layer.lora_B.default.weight', 'layer.lora_route.default.weight'];
    const { loss: l, grads } = root.computeGradients(loss, names);
    // Gradients sum many products that cancel, and PyTorch's own float32 values are up to ~3e-5
    // from the float64 truth: the fixtures' README sets atol = rtol = 5e-5 for gradients, on every
    // path (native BLAS, wasm XNNPACK, cpu) and for any fixture seed.
    const tol = { atol: 5e-5, rtol: 5e-5 };
    expectClose(grads.get(names[0])!, ioTensor(g, 'grad_lora_A'), tol, 'grad lora_A');
    expectClose(grads.get(names[1])!, ioTensor(g, 'grad_lora_B'), tol, 'grad lora_B');
    expectClose(grads.get(names[2])!, ioTensor(g, 'grad_lora_route'), tol, 'grad lora_route');
    const gx = tf.grad((xx: Tensor) => tf.sum(tf.mul(layer.forward(xx), gy)))(x);
    expectClose(gx, ioTensor(g, 'grad_x'), tol, 'grad x');

    await expectNoLeaks(() => layer.forward(x), { what: 'AdaptedLinear(hlora).forward' });
    await expectNoLeaks(() => root.computeGradients(loss, names), { what: 'hlora gradients' });
    tf.dispose([y, probs, y0, l, gx, ...grads.values()]);
    root.dispose();
    g.dispose();
  });
});
