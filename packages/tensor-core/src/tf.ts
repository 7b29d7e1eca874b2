/**
 * The one place that imports TensorFlow.js. `@tensorflow/tfjs` (not tfjs-core alone) registers the
 * gradients and chained ops; the wasm backend registers itself on import.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable,
  Rank,
  DataType,
  TensorLike,
  NamedTensorMap,
  TypedArray,
} from '@tensorflow/tfjs';
