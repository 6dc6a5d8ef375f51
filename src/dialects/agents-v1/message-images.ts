import { extname } from 'node:path';
import type { Engine } from '../../engine/engine.js';
import { EngineError, clip } from '../../engine/errors.js';
import type { FileRef, Principal } from '../../engine/records.js';
import { IMAGE_TYPES, MAX_IMAGE_BYTES, MAX_IMAGES_BYTES } from '../model-images.js';
import { v1Error } from './errors.js';
import { UPLOAD_AREA, uploadPath } from './upload-paths.js';

/**
 * Checks a message's `images` (paths in the caller's upload folder) and
 * returns references to them, read when the model is called. Each path is resolved by the workspace exactly
 * like a file path of the file endpoints (escapes refused), must be a file
 * of a known image type and within the size limits. The endpoint documents
 * no 404, so a missing image is a 400 naming the path.
 */
export async function loadImages(engine: Engine, principal: Principal, paths: string[]): Promise<FileRef[]> {
  const refs: FileRef[] = [];
  let total = 0;
  for (const raw of paths) {
    const type = IMAGE_TYPES[extname(raw).toLowerCase()];
    if (!type) throw v1Error('invalid_argument', `不支持的图片类型: ${clip(raw)}（支持 ${Object.keys(IMAGE_TYPES).join(' ')}）`);
    const info = await engine.workspace.stat(principal, uploadPath(raw), UPLOAD_AREA).catch((err: unknown) => {
      if (err instanceof EngineError && err.code === 'not_found') throw v1Error('invalid_argument', `图片不存在: ${clip(raw)}`);
      throw err;
    });
    if (info.isDir) throw v1Error('invalid_argument', `图片路径是文件夹: ${clip(raw)}`);
    if (info.size > MAX_IMAGE_BYTES) throw v1Error('invalid_argument', `图片过大: ${clip(raw)}（单张上限 ${MAX_IMAGE_BYTES} 字节）`);
    total += info.size;
    if (total > MAX_IMAGES_BYTES) throw v1Error('invalid_argument', `图片总大小超过 ${MAX_IMAGES_BYTES} 字节`);
    // A reference: the bytes are read when the prompt is built, never copied into the task.
    refs.push({ area: UPLOAD_AREA, path: uploadPath(raw), mediaType: type });
  }
  return refs;
}
