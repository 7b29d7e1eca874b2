import { tf, initBackend } from '@healthgpt/tensor-core';
await initBackend({ backend: 'wasm' });
const a = tf.randomNormal([3, 4]); const b = tf.randomNormal([4, 5]);
try { console.log('plain', tf.matMul(a, b).shape); } catch (e) { console.log('plain fail', (e as Error).message); }
try { console.log('transB', tf.matMul(a, b.transpose(), false, true).shape); } catch (e) { console.log('transB fail', (e as Error).message); }
try { console.log('transpose', tf.transpose(a).shape); } catch (e) { console.log('tr fail', (e as Error).message); }
try { console.log('batched', tf.matMul(tf.randomNormal([2,3,4]), tf.randomNormal([2,4,5])).shape); } catch (e) { console.log('batched fail', (e as Error).message); }
