import { tf, initBackend } from '../src/index.js';
await initBackend({ backend: 'wasm' });
function cmp(name: string, f: () => tf.Tensor) {
  const w = f(); const wv = w.dataSync();
  tf.setBackend('cpu');
  const c = f(); const cv = c.dataSync();
  tf.setBackend('wasm');
  let m = 0; for (let i = 0; i < cv.length; i++) m = Math.max(m, Math.abs(cv[i] - wv[i]));
  console.log(name, w.shape.join('x'), c.shape.join('x'), 'maxdiff', m);
}
const r = (s: number[]) => tf.randomNormal(s, 0, 1, 'float32', 1);
for (const [ta, tb] of [[false,false],[true,false],[false,true],[true,true]]) {
  cmp(`mm2d ${ta}${tb}`, () => tf.matMul(r(ta?[7,5]:[5,7]), r(tb?[3,7]:[7,3]), ta, tb));
  cmp(`mm3d ${ta}${tb}`, () => tf.matMul(r(ta?[4,7,5]:[4,5,7]), r(tb?[4,3,7]:[4,7,3]), ta, tb));
  cmp(`mmbc ${ta}${tb}`, () => tf.matMul(r(ta?[2,4,7,5]:[2,4,5,7]), r(tb?[3,7]:[7,3]), ta, tb));
  cmp(`mmbc2 ${ta}${tb}`, () => tf.matMul(r(ta?[1,7,5]:[1,5,7]), r(tb?[4,3,7]:[4,7,3]), ta, tb));
}
cmp('seg', () => tf.unsortedSegmentSum(r([6,4]), tf.tensor1d([0,2,2,-1,5,0],'int32'), 4));
cmp('convbf', () => tf.grad((w: tf.Tensor) => tf.conv2d(r([2,9,8,3]) as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').sum())(r([3,3,3,5])));
cmp('convbf valid', () => tf.grad((w: tf.Tensor) => tf.conv2d(r([2,9,8,3]) as tf.Tensor4D, w as tf.Tensor4D, [1,2], 'valid').sum())(r([2,3,3,5])));
cmp('einsum', () => tf.einsum('bij,bjk->bik', r([2,3,4]), r([2,4,5])));
cmp('einsum2', () => tf.einsum('ij,jk->ki', r([3,4]), r([4,5])));
cmp('einsum3', () => tf.einsum('ij->ji', r([3,4])));
cmp('einsum4', () => tf.einsum('ij,k->ik', r([3,4]), r([5])));
cmp('einsum5', () => tf.einsum('ij->j', r([3,4])));
// timing
const t = (name: string, f: () => tf.Tensor, flops: number) => {
  for (let i = 0; i < 2; i++) tf.tidy(() => f().dataSync());
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); tf.tidy(() => f().dataSync()); ms.push(performance.now() - t0); }
  ms.sort((a,b)=>a-b); console.log(name, (flops / ms[2] / 1e6).toFixed(1), 'GFLOP/s', ms[2].toFixed(1), 'ms');
};
const a512 = r([512,512]), a1024 = r([1024,1024]), ba = r([8,128,256]), bb = r([8,256,256]);
t('512', () => tf.matMul(a512, a512), 2*512**3);
t('1024', () => tf.matMul(a1024, a1024), 2*1024**3);
t('batched', () => tf.matMul(ba, bb), 2*8*128*256*256);
t('batched tB', () => tf.matMul(ba, bb, false, true), 2*8*128*256*256);
t('1024 tA', () => tf.matMul(a1024, a1024, true, false), 2*1024**3);
