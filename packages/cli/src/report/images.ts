import type { RawImage } from '@healthgpt/tensor-core/base';
import { encodePng } from '@healthgpt/vl-health';

/** An image as a `data:image/png;base64,…` URI, so the report needs no other file. */
export async function pngDataUri(img: RawImage): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(img)).toString('base64')}`;
}
