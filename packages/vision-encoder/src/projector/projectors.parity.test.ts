import { it, expect } from 'vitest';
import type { Linear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, loadGolden, ioTensor } from '@healthgpt/testing';
import { buildProjector, MlpGeluProjector } from './projectors.js';
import { inferProjector, loadProjectorWeights } from './io.js';

describeBackends('mlp2x_gelu projector parity (projector_tiny)', () => {
  it('matches hidden_pre_gelu and out within 1e-5 (exact erf GELU)', async () => {
    const g = await loadGolden('projector_tiny');
    const spec = inferProjector(g.weights);
    expect(spec).toEqual({ type: 'mlp2x_gelu', inFeatures: 48, outFeatures: 64 });
    const proj = buildProjector(g.config.mm_projector_type as string, 48, 64);
    expect(proj).toBeInstanceOf(MlpGeluProjector);
    loadProjectorWeights(proj, g.weights);
    const pre = proj.getSubmodule<Linear>('0').forward(ioTensor(g, 'in'));
    expectClose(pre, ioTensor(g, 'hidden_pre_gelu'), { atol: 1e-5 }, 'hidden_pre_gelu');
    const out = proj.forward(ioTensor(g, 'in'));
    expectClose(out, ioTensor(g, 'out'), { atol: 1e-5 }, 'out');
    [pre, out].forEach((t) => t.dispose());
    proj.dispose();
    g.dispose();
  });
});
