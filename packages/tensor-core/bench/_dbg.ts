import { tf } from '../src/index.js';
import { wasmAndCpu, randomValues, maxAbsDiff } from '../src/kernels/cross_backend.js';
const [N,H,W,C,O,KH,KW,SH,SW,PT,PL] = [2,6,5,3,4,3,3,2,2,1,1];
const x = randomValues(N*H*W*C, 11);
const info = tf.backend_util.computeConv2DInfo([N,H,W,C], [KH,KW,C,O], [SH,SW], 1, [[0, 0], [1, 1], [1, 0], [0, 0]] as any);
console.log(info.outShape, info.padInfo);
const [_, OH, OW] = info.outShape;
const dy = randomValues(N*OH*OW*O, 12);
const ref = new Float32Array(KH*KW*C*O);
for (let n=0;n<N;n++) for (let oh=0;oh<OH;oh++) for (let ow=0;ow<OW;ow++) for (let fy=0;fy<KH;fy++) for (let fx=0;fx<KW;fx++) {
  const ih = oh*SH - PT + fy, iw = ow*SW - PL + fx; if (ih<0||ih>=H||iw<0||iw>=W) continue;
  for (let c=0;c<C;c++) for (let o=0;o<O;o++) ref[((fy*KW+fx)*C+c)*O+o] += x[((n*H+ih)*W+iw)*C+c]*dy[((n*OH+oh)*OW+ow)*O+o];
}
const attrs = { strides: [2, 2], pad: [[0, 0], [1, 1], [1, 0], [0, 0]], dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] } as any;
const r = await wasmAndCpu(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, [2, 6, 5, 3]), dy: tf.tensor(dy, info.outShape) }, attrs) as tf.Tensor);
console.log('wasm vs ref', maxAbsDiff(r.wasm.values, ref), 'cpu vs ref', maxAbsDiff(r.cpu.values, ref));
