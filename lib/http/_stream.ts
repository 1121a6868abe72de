/**
 * Streaming parts of files from disk, for files too large to keep in memory. Each stream closes
 * its file when it ends, fails, or when the client goes away.
 *
 * @module
 */
import type { ByteRange } from "./_range.ts";

const CHUNK = 64 * 1024;

async function* readRange(file: Deno.FsFile, range: ByteRange): AsyncGenerator<Uint8Array> {
  await file.seek(range.start, Deno.SeekMode.Start);
  let left = range.end - range.start + 1;
  while (left > 0) {
    const buf = new Uint8Array(Math.min(CHUNK, left));
    const n = await file.read(buf);
    if (n === null) throw new Error("File shrank while being sent");
    left -= n;
    yield n === buf.length ? buf : buf.subarray(0, n);
  }
}

/**
 * A stream of `chunks` that owns `file`: it is closed when the stream ends, fails or is
 * cancelled, even cancelled before its first read (a generator cancelled before it started never
 * runs its `finally`, so `using` inside it would leak the file).
 */
function owning(file: Deno.FsFile, chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      file.close();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) {
          close();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (err) {
        close();
        throw err;
      }
    },
    async cancel() {
      try {
        await chunks.return(undefined);
      } finally {
        close();
      }
    },
  }, { highWaterMark: 0 });
}

/** A stream of one byte range of an open file; the stream owns (and closes) the file. */
export function rangeStream(file: Deno.FsFile, range: ByteRange): ReadableStream<Uint8Array> {
  return owning(file, readRange(file, range));
}

/** One part of a multipart/byteranges body: its header block and its range. */
export interface Part {
  head: Uint8Array;
  range: ByteRange;
}

/** Streams a multipart/byteranges body from an open file; the stream owns the file. */
export function multipartStream(
  file: Deno.FsFile,
  parts: Part[],
  tail: Uint8Array,
): ReadableStream<Uint8Array> {
  return owning(
    file,
    (async function* () {
      for (const part of parts) {
        yield part.head;
        yield* readRange(file, part.range);
      }
      yield tail;
    })(),
  );
}
