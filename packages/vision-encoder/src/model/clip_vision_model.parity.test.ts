import { it, expect, beforeAll, afterAll } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, loadGolden, ioTensor, disposeDeep, type Golden } from '@healthgpt/testing';
import { CLIPVisionModel } from './clip_vision_model.js';
import { CLIPVisionEmbeddings } from './embeddings.js';
import { selectFeatures } from '../features/select.js';
import { selectTaskFeatures } from '../features/hierarchical.js';
import { preprocessImage } from '../preprocess/preprocess.js';
import type { CLIPImageProcessorConfig } from '../preprocess/processor_config.js';

const TOL = { atol: 1e-5 };

describeBackends('CLIPVisionModel parity (clip_vision_tiny)', () => {
  let g: Golden;
  let model: CLIPVisionModel;

  beforeAll(async () => {
    g = await loadGolden('clip_vision_tiny');
    model = new CLIPVisionModel(g.config.vision_config as Record<string, unknown>, { seed: 1 });
    model.loadWeights(g.weights);
    model.eval();
  });

  afterAll(() => {
    model.dispose();
    g.dispose();
  });

  it('embeddings (patch embedding as reshape + matmul) match before pre_layrnorm', () => {
    const emb = model.getSubmodule<CLIPVisionEmbeddings>('vision_model.embeddings').forward(ioTensor(g, 'pixel_values'));
    expectClose(emb, ioTensor(g, 'embeddings'), TOL, 'embeddings');
    emb.dispose();
  });

  it('every hidden state, the last one and the pooler output match', () => {
    const out = model.forward(ioTensor(g, 'pixel_values'));
    expect(out.hiddenStates).toHaveLength(4);
    const ref = tf.unstack(ioTensor(g, 'hidden_states'));
    out.hiddenStates.forEach((h, i) => expectClose(h, ref[i], TOL, `hidden_states[${i}]`));
    expectClose(out.lastHiddenState, ioTensor(g, 'last_hidden_state'), TOL, 'last_hidden_state');
    expectClose(out.poolerOutput, ioTensor(g, 'pooler_output'), TOL, 'pooler_output');
    disposeDeep([out, ref]);
  });

  it('feature selection: comprehension layer −2 and generation layer 1, CLS dropped', () => {
    const out = model.forward(ioTensor(g, 'pixel_values'));
    const m2 = selectFeatures(out.hiddenStates, -2);
    const l1 = selectFeatures(out.hiddenStates, 1, { dropCls: true });
    expectClose(m2, ioTensor(g, 'features_select_m2'), TOL, 'features_select_m2');
    expectClose(l1, ioTensor(g, 'features_select_1'), TOL, 'features_select_1');
    disposeDeep([out, m2, l1]);
  });

  it('one forward serves a batch that mixes both tasks', () => {
    const out = model.forward(ioTensor(g, 'pixel_values'));
    const groups = selectTaskFeatures(out.hiddenStates, ['generation', 'comprehension']);
    expect(groups.map((x) => [x.task, x.rows])).toEqual([
      ['generation', [0]],
      ['comprehension', [1]],
    ]);
    const row = (t: Tensor, i: number) => tf.slice(t, i, 1);
    const [gen0, com1] = [row(ioTensor(g, 'features_select_1'), 0), row(ioTensor(g, 'features_select_m2'), 1)];
    expectClose(groups[0].features, gen0, TOL, 'generation row 0');
    expectClose(groups[1].features, com1, TOL, 'comprehension row 1');
    disposeDeep([out, groups.map((x) => x.features), gen0, com1]);
  });

  it('raw images preprocessed here give the fixture features (both cases)', () => {
    const cfg = g.config.preprocessor_config as Partial<CLIPImageProcessorConfig>;
    for (const c of ['a', 'b']) {
      const raw = ioTensor(g, `preproc_${c}.raw_rgb`);
      const [h, w] = raw.shape;
      const px = preprocessImage({ width: w, height: h, channels: 3, data: new Uint8Array(raw.dataSync()) }, cfg);
      const out = model.forward(px);
      const f = selectFeatures(out.hiddenStates, -2);
      expectClose(f, ioTensor(g, `preproc_${c}.features_select_m2`), TOL, `preproc_${c} features_select_m2`);
      disposeDeep([px, out, f]);
    }
  });
});
