/**
 * Images a model takes (the runner sends them as image parts), by file
 * extension: an upload's declared type is only the client's word, and the
 * workspace keeps no trusted one.
 */
export const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** Largest single image, and all images of one message together (what one model request carries). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_IMAGES_BYTES = 20 * 1024 * 1024;
