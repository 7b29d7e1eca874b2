/**
 * An image as it travels between packages: row-major, interleaved channels (HWC).
 * 8-bit, 16-bit or float data; float images are expected in [0, 1].
 */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array | Uint16Array | Float32Array;
}
