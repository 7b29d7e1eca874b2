import { tf, type Tensor } from '../tf.js';
import { checkRank } from '../errors.js';

/**
 * Nearest-neighbour ×2 upsampling of NCHW images, out[y][x] = in[⌊y/2⌋][⌊x/2⌋] (PyTorch's
 * `F.interpolate(scale_factor=2, mode='nearest')`), built from tiles and reshapes so its gradient
 * exists on every backend. [B, C, H, W] → [B, C, 2H, 2W]
 */
export function upsampleNearest2x(x: Tensor): Tensor {
  checkRank(x.shape, 4, 'x', 'upsampleNearest2x');
  const [b, c, h, w] = x.shape;
  return tf.tidy(() => {
    const cols = tf.tile(x.reshape([b * c, h, w, 1]), [1, 1, 1, 2]).reshape([b * c, h, 1, 2 * w]); // [BC, H, 1, 2W]
    return tf.tile(cols, [1, 1, 2, 1]).reshape([b, c, 2 * h, 2 * w]); // [BC, H, 2, 2W] → [B, C, 2H, 2W]
  });
}
