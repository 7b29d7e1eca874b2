/**
 * Small WebAssembly SIMD kernels of tensor-core's own, run on the wasm backend's heap. JavaScript
 * loops over the heap reach about a tenth of the per-element speed of tfjs-wasm's SIMD kernels, so
 * a fused elementwise pass written in JavaScript loses to the chain of kernels it replaces; the
 * same pass as 128-bit WebAssembly SIMD wins. There is no compiler here: each kernel is a few
 * dozen instructions, encoded by the helpers below into a module that imports the backend's own
 * memory (shared in the threaded build) and is instantiated once per memory.
 *
 * f32x4 arithmetic is IEEE single precision with round-to-nearest and no fused multiply-add, so a
 * kernel gives the bits of the same formula in JavaScript with every operation rounded by
 * Math.fround (float64 rounding of a float32 +, −, ×, ÷ or √ is innocuous), which is what the cpu
 * backend and the tails of the loops run.
 */

/** The parts of the WebAssembly JS API used here (tensor-core's TypeScript setup has no DOM lib). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
type WasmExports = Record<string, unknown>;
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: WasmExports };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
export const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Value types of the WebAssembly binary format. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 for i32 constants. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const simd = (op: number) => [0xfd, ...uleb(op)];

/** The instructions the kernels use (each returns its bytes). */
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  i32Const: (n: number) => [0x41, ...sleb(n)],
  i32Add: [0x6a],
  i32GeU: [0x4f],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  end: [0x0b],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32Sub: [0x6b],
  i32Eqz: [0x45],
  /** f32 scalars: load / store (4-byte hint, no offset), arithmetic, a constant. */
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f32Add: [0x92],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32Const: (x: number) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)],
  /** f32x4.extract_lane. */
  lane: (i: number) => [...simd(0x1f), i],
  /** v128.load / v128.store with a 16-byte alignment hint and no offset (address on the stack). */
  load: [...simd(0x00), 4, 0],
  store: [...simd(0x0b), 4, 0],
  splat: simd(0x13),
  sqrt: simd(0xe3),
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
};

/** local += by (two i32 locals): how the kernels here move a row pointer by its stride. */
export const advance = (local: number, by: number) => [...op.get(local), ...op.get(by), ...op.i32Add, ...op.set(local)];

/**
 * while (rows-- > 0) { for (j = 0; j < bytes; j += 16) { inner } ; next } — the row walk of every
 * kernel here (`rows`, `bytes` and `j` are locals; `next` advances the row pointers).
 */
export const rowWalk = (rows: number, j: number, bytes: number, inner: number[][], next: number[]) => [
  op.block,
  op.loop,
  [...op.get(rows), ...op.i32Eqz, ...op.brIf(1)],
  [...op.i32Const(0), ...op.set(j)],
  op.block,
  op.loop,
  [...op.get(j), ...op.get(bytes), ...op.i32GeU, ...op.brIf(1)],
  ...inner,
  [...op.get(j), ...op.i32Const(16), ...op.i32Add, ...op.set(j), ...op.br(0)],
  op.end,
  op.end,
  next,
  [...op.get(rows), ...op.i32Const(1), ...op.i32Sub, ...op.set(rows), ...op.br(0)],
  op.end,
  op.end,
];

export interface SimdFunction {
  name: string;
  params: number[];
  /** Extra locals (indices follow the parameters). */
  locals: number[];
  body: number[][];
}

const section = (id: number, payload: number[]) => [id, ...uleb(payload.length), ...payload];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => vec([...s].map((c) => [c.charCodeAt(0)]));

/** A module of `fns` that imports `env.memory` (shared or not, as the backend's memory is). */
export function encodeModule(fns: SimdFunction[], shared: boolean): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]);
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = [vec([[...name('env'), ...name('memory'), 0x02, ...limits]])].flat();
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = fns.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...f.body.flat(), ...op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, vec(types)), ...section(2, imports), ...section(3, funcs), ...section(7, exports), ...section(10, vec(bodies))]);
}

const modules = new Map<string, Map<boolean, object | null>>();
const instances = new WeakMap<WasmMemory, Map<string, WasmExports | null>>();

/**
 * The exports of the module `key` (built by `build`) instantiated on `memory`, or null when this
 * engine cannot compile or link it (no SIMD, a memory it cannot import): callers then run their
 * JavaScript loop.
 */
export function simdExports(key: string, build: () => SimdFunction[], memory: WasmMemory): WasmExports | null {
  let perMemory = instances.get(memory);
  if (!perMemory) instances.set(memory, (perMemory = new Map()));
  if (perMemory.has(key)) return perMemory.get(key)!;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  let byShared = modules.get(key);
  if (!byShared) modules.set(key, (byShared = new Map()));
  let mod = byShared.get(shared);
  if (mod === undefined) {
    try {
      mod = new WebAssemblyApi.Module(encodeModule(build(), shared));
    } catch {
      mod = null;
    }
    byShared.set(shared, mod);
  }
  let exports: WasmExports | null = null;
  if (mod) {
    try {
      exports = new WebAssemblyApi.Instance(mod, { env: { memory } }).exports;
    } catch {
      exports = null;
    }
  }
  perMemory.set(key, exports);
  return exports;
}

/** `on(memory)` with the wasm backend's memory, or null when that memory cannot be reached. */
export function onBackendMemory<T>(backend: { wasm: object }, on: (memory: WasmMemory) => T | null): T | null {
  const memory = backendMemory(backend.wasm as Parameters<typeof backendMemory>[0]);
  return memory && on(memory);
}

/** The wasm backend's memory: the threaded build's shared one, or the exports' of the one-thread build. */
export function backendMemory(wasm: { wasmMemory?: unknown; asm?: { memory?: unknown } }): WasmMemory | null {
  const m = wasm.wasmMemory ?? wasm.asm?.memory;
  return m instanceof WebAssemblyApi.Memory ? m : null;
}
