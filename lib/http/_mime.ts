/**
 * Content types from file extensions (via the `mime-types` package, which tracks mime-db rather
 * than a hand-kept table) and whether a type is worth compressing.
 *
 * @module
 */
import mime from "mime-types";

const FALLBACK = "application/octet-stream";

/** The Content-Type for a file path, with a charset for text types. */
export function contentTypeFor(path: string): string {
  // the extension of the file name only: "/srv/.site/LICENSE" has none
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return FALLBACK;
  return mime.contentType(name.slice(dot)) || FALLBACK;
}

const COMPRESSIBLE =
  /^(text\/|application\/(json|javascript|xml|wasm|manifest\+json)|image\/(svg\+xml|x-icon|vnd\.microsoft\.icon|bmp)|[^;]*\+(xml|json))/;

/** True for types that gzip/brotli shrink; JPEG, PNG and friends are already compressed. */
export function isCompressible(contentType: string): boolean {
  return COMPRESSIBLE.test(contentType);
}
