/**
 * Response compression. Small cached files are compressed once with node:zlib (which has brotli,
 * unlike CompressionStream) and the result kept; streamed files go through CompressionStream.
 *
 * @module
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** A content coding netlab produces. */
export type Encoding = "br" | "gzip";

/** Files smaller than this gain nothing worth the Vary and CPU. */
export const MIN_COMPRESS_BYTES = 256;

/**
 * The coding to use for an Accept-Encoding value: brotli when accepted, then gzip, else none.
 * `q=0` refuses a coding.
 */
export function pickEncoding(acceptEncoding: string | null, allowBrotli = true): Encoding | null {
  if (acceptEncoding === null || acceptEncoding === "") return null;
  // undefined: not named; "*" stands only for codings the header does not name itself
  let br: boolean | undefined;
  let gzip: boolean | undefined;
  let star = false;
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [rawName, ...params] = part.split(";");
    const name = rawName!.trim();
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const ok = q === undefined || Number(q.slice(2)) !== 0;
    if (name === "br") br = ok;
    else if (name === "gzip" || name === "x-gzip") gzip = ok;
    else if (name === "*") star = ok;
  }
  if ((br ?? star) && allowBrotli) return "br";
  return (gzip ?? star) ? "gzip" : null;
}

/** Compresses a whole body; returns null when the result would not be meaningfully smaller. */
export function compressBody(
  body: Uint8Array,
  encoding: Encoding,
): Uint8Array<ArrayBuffer> | null {
  const out = encoding === "br"
    ? brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    })
    : gzipSync(body, { level: 6 });
  if (out.length >= body.length * 0.95) return null;
  return new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.length);
}

/** Gzips a stream (used for large files, which are never held whole in memory). */
export function gzipStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
}
