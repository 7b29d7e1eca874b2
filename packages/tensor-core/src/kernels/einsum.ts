import { TensorCoreError } from '../errors.js';
/**
 * Einsum for the wasm backend (4.22 lacks it). One or two operands, no ellipsis, no repeated
 * index within an operand (the limits of tf.einsum). Indices found in one operand only and not in
 * the output are summed first; a two-operand contraction then becomes one batched matmul
 * [batch, freeA, contracted] · [batch, contracted, freeB] and a final transpose, so it runs on the
 * XNNPACK path instead of materialising the outer product.
 */
import { tf } from '../tf.js';
import { batchMatMulWasm } from './batch_matmul.js';
import { wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

export interface ParsedEinsum {
  inputs: string[];
  output: string;
}

/** Parse `ab,bc->ac` (or implicit `ab,bc`: output = indices seen once, sorted). */
export function parseEinsum(equation: string, numInputs: number): ParsedEinsum {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) throw new TensorCoreError('ARGUMENT', `Einsum: ellipsis is not supported ('${equation}')`);
  const [lhs, rhs] = eq.split('->');
  const inputs = lhs.split(',');
  if (inputs.length !== numInputs) throw new TensorCoreError('ARGUMENT', `Einsum: equation '${equation}' names ${inputs.length} operands, got ${numInputs} tensors`);
  if (numInputs < 1 || numInputs > 2) throw new TensorCoreError('ARGUMENT', `Einsum: supports 1 or 2 operands, got ${numInputs}`);
  for (const s of [...inputs, rhs ?? '']) {
    if (!/^[a-zA-Z]*$/.test(s)) throw new TensorCoreError('ARGUMENT', `Einsum: bad subscripts '${s}' in '${equation}'`);
    if (new Set(s).size !== s.length) throw new TensorCoreError('ARGUMENT', `Einsum: repeated index in '${s}' of '${equation}' is not supported`);
  }
  let output = rhs;
  if (output === undefined) {
    const counts = new Map<string, number>();
    for (const c of inputs.join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    output = [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort().join('');
  }
  for (const c of output) if (!inputs.some((s) => s.includes(c))) throw new TensorCoreError('ARGUMENT', `Einsum: output index '${c}' of '${equation}' is in no operand`);
  return { inputs, output };
}

type Run = (name: string, inputs: Record<string, TensorInfo>, attrs?: Record<string, unknown>) => TensorInfo;

export function einsumWasm(backend: WasmBackend, equation: string, tensors: TensorInfo[]): TensorInfo {
  const { inputs, output } = parseEinsum(equation, tensors.length);
  const owned: TensorInfo[] = [];
  const run: Run = (name, ins, attrs = {}) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new TensorCoreError('ARGUMENT', `Einsum: wasm kernel ${name} missing`);
    const r = k.kernelFunc({ inputs: ins, backend: backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
    owned.push(r);
    return r;
  };
  const size = new Map<string, number>();
  tensors.forEach((t, i) => {
    if (t.shape.length !== inputs[i].length) throw new TensorCoreError('ARGUMENT', `Einsum: operand ${i} has rank ${t.shape.length}, subscripts '${inputs[i]}'`);
    [...inputs[i]].forEach((c, a) => {
      const prev = size.get(c);
      if (prev !== undefined && prev !== t.shape[a]) throw new TensorCoreError('ARGUMENT', `Einsum: index '${c}' has sizes ${prev} and ${t.shape[a]}`);
      size.set(c, t.shape[a]);
    });
  });
  // Sum away indices that appear in one operand only and not in the output.
  const subs = [...inputs];
  const ops = tensors.map((t, i) => {
    const others = subs.filter((_, j) => j !== i).join('') + output;
    const axes = [...subs[i]].map((c, a) => (others.includes(c) ? -1 : a)).filter((a) => a >= 0);
    if (!axes.length) return t;
    subs[i] = [...subs[i]].filter((c) => others.includes(c)).join('');
    return run('Sum', { x: t }, { axis: axes, keepDims: false });
  });
  const dims = (s: string) => [...s].map((c) => size.get(c)!);
  const permute = (t: TensorInfo, from: string, to: string): TensorInfo => {
    const perm = [...to].map((c) => from.indexOf(c));
    return perm.every((p, i) => p === i) ? t : run('Transpose', { x: t }, { perm });
  };
  let result: TensorInfo;
  let resultSubs: string;
  if (ops.length === 1) {
    result = ops[0];
    resultSubs = subs[0];
  } else {
    const [sa, sb] = subs;
    const batch = [...sa].filter((c) => sb.includes(c) && output.includes(c)).join('');
    const contract = [...sa].filter((c) => sb.includes(c) && !output.includes(c)).join('');
    const freeA = [...sa].filter((c) => !sb.includes(c)).join('');
    const freeB = [...sb].filter((c) => !sa.includes(c)).join('');
    const prod = (s: string) => dims(s).reduce((x, y) => x * y, 1);
    const a = permute(ops[0], sa, batch + freeA + contract);
    const b = permute(ops[1], sb, batch + contract + freeB);
    const a3 = { ...a, shape: [prod(batch), prod(freeA), prod(contract)] }; // [Bt, M, K]
    const b3 = { ...b, shape: [prod(batch), prod(contract), prod(freeB)] }; // [Bt, K, N]
    const mm = batchMatMulWasm(backend, a3, b3, { transposeA: false, transposeB: false });
    owned.push(mm);
    result = { ...mm, shape: dims(batch + freeA + freeB) };
    resultSubs = batch + freeA + freeB;
  }
  let out = permute(result, resultSubs, output);
  out = { ...out, shape: dims(output) };
  const keep = out.dataId;
  for (const t of owned) if (t.dataId !== keep) backend.disposeData(t.dataId);
  if (!owned.some((t) => t.dataId === keep)) {
    // The output is an input unchanged (e.g. 'ij->ij'): copy so the kernel returns fresh data.
    const copy = tf.getKernel('Identity', 'wasm')!.kernelFunc({ inputs: { x: out }, backend: backend as unknown as tf.KernelBackend, attrs: {} }) as TensorInfo;
    return { ...copy, shape: out.shape };
  }
  return out;
}

export const einsumWasmConfig: tf.KernelConfig = {
  kernelName: 'Einsum',
  backendName: 'wasm',
  kernelFunc: (args) => einsumWasm(wasmOf(args), (args.attrs as { equation: string }).equation, args.inputs as unknown as TensorInfo[]),
};
