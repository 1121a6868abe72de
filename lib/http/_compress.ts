/**
 * Response compression. Small cached files are compressed once with node:zlib (which has brotli,
 * unlike CompressionStream) and the result kept; streamed files go through CompressionStream. The
 * servers do both on Workers (`compressor.ts`); these are what runs without one.
 *
 * @module
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** A content coding netlab produces. */
export type Encoding = "br" | "gzip";

/** Files smaller than this gain nothing worth the Vary and CPU. */
export const MIN_COMPRESS_BYTES = 256;

/**
 * The coding to use for an Accept-Encoding value (RFC 9110 section 12.5.3): the acceptable coding
 * with the highest q-value, brotli on a tie; `q=0` refuses a coding and `*` stands for the codings
 * the header does not name. A malformed q-value makes its element count as not sent.
 */
export function pickEncoding(
  acceptEncoding: string | null,
  allowBrotli = true,
  allowGzip = true,
): Encoding | null {
  if (acceptEncoding === null || acceptEncoding === "") return null;
  // undefined: not named
  let br: number | undefined;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [rawName, ...params] = part.split(";");
    const name = rawName!.trim();
    const q = qvalue(params);
    if (q === null) continue;
    if (name === "br") br = q;
    else if (name === "gzip" || name === "x-gzip") gzip = q;
    else if (name === "*") star = q;
  }
  const brQ = allowBrotli ? (br ?? star ?? 0) : 0;
  const gzipQ = allowGzip ? (gzip ?? star ?? 0) : 0;
  if (brQ === 0 && gzipQ === 0) return null;
  return brQ >= gzipQ ? "br" : "gzip";
}

/** `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** The q parameter's weight (1 when absent), or null when it is malformed. */
function qvalue(params: string[]): number | null {
  for (const p of params) {
    const [key, value] = p.split("=").map((x) => x.trim());
    if (key !== "q") continue;
    return value !== undefined && QVALUE.test(value) ? Number(value) : null;
  }
  return 1;
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
