/**
 * Compression off the event loop's thread. Brotli at quality 9 takes tens of milliseconds per
 * 256 KiB file and gzip a few; a server's loop would stop for that long on the first request for
 * each file and after each change. Handed to a Worker, the loop goes on answering other requests
 * meanwhile. Each coding has its own Worker (a lane), so a gzip never queues behind a brotli. The
 * Workers' code is inline (a Blob URL), so bundles and compiled binaries need no second file; each
 * starts on first use.
 *
 * @module
 */
import { GzipStreamLane } from "./_gzip_lane.ts";
import { InlineWorker } from "../runtime/inline_worker.ts";

/** Compresses bodies somewhere else; `null` when compression does not pay. */
export interface Compressor {
  compress(body: Uint8Array, encoding: "br" | "gzip"): Promise<Uint8Array<ArrayBuffer> | null>;
  /** Gzips a large file's stream somewhere else; without it, it is gzipped on this thread. */
  gzipStream?(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
}

/**
 * Marks a Response as provisional: a better-compressed answer for the same request is being made,
 * so an engine that records answers to replay them (the epoll fast path) must not record this one.
 */
export const PROVISIONAL: unique symbol = Symbol("netlab.provisional");

/** Whether `res` was marked {@link PROVISIONAL}. */
export function isProvisional(res: Response): boolean {
  return (res as Response & { [PROVISIONAL]?: true })[PROVISIONAL] === true;
}

const WORKER_CODE = `
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
self.onmessage = ({ data }) => {
  const { id, body, encoding } = data;
  let out = null;
  try {
    const raw = encoding === "br"
      ? brotliCompressSync(body, { params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      } })
      : gzipSync(body, { level: 6 });
    // the same rule as compressBody(): under 95% of the original, or not worth a Vary
    if (raw.length < body.length * 0.95) out = new Uint8Array(raw).slice();
  } catch {
    out = null;
  }
  self.postMessage({ id, out }, out ? [out.buffer] : []);
};`;

type Done = (out: Uint8Array<ArrayBuffer> | null) => void;

/** One Worker and the jobs sent to it, answered in order. */
class Lane {
  #next = 1;
  #waiting = new Map<number, Done>();
  #worker = new InlineWorker<{ id: number; out: Uint8Array<ArrayBuffer> | null }>(
    WORKER_CODE,
    "netlab-compressor",
    {
      onReply: ({ id, out }) => {
        const resolve = this.#waiting.get(id);
        this.#waiting.delete(id);
        resolve?.(out);
      },
      // a failed compression only means no compressed variant
      onEnd: () => {
        for (const resolve of this.#waiting.values()) resolve(null);
        this.#waiting.clear();
      },
    },
  );

  compress(body: Uint8Array, encoding: "br" | "gzip"): Promise<Uint8Array<ArrayBuffer> | null> {
    const id = this.#next++;
    const { promise, resolve } = Promise.withResolvers<Uint8Array<ArrayBuffer> | null>();
    this.#waiting.set(id, resolve);
    this.#worker.post({ id, body: body.slice(), encoding });
    return promise;
  }

  close(): void {
    this.#worker.close();
  }
}

/**
 * A {@link Compressor} on one Worker per coding, and one more for streamed files (so a cached
 * file's gzip never queues behind a large file's); `close()` ends them.
 */
export class WorkerCompressor implements Compressor, Disposable {
  #lanes = { br: new Lane(), gzip: new Lane() };
  #streams = new GzipStreamLane();

  compress(body: Uint8Array, encoding: "br" | "gzip"): Promise<Uint8Array<ArrayBuffer> | null> {
    return this.#lanes[encoding].compress(body, encoding);
  }

  gzipStream(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    return this.#streams.gzip(source);
  }

  /** Stops the Workers; pending compressions resolve to null and streams under way fail. */
  close(): void {
    this.#lanes.br.close();
    this.#lanes.gzip.close();
    this.#streams.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
