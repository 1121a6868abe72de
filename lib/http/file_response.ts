/**
 * A `Response` whose body is a stretch of one file on disk. It is an ordinary `Response` (its
 * body streams the file, so `Deno.serve` and any caller read it as usual); an engine that can do
 * better, such as the epoll engine with sendfile(2), reads {@link FileResponse.file} instead and
 * cancels the stream. The handler stays a plain `(Request) => Response` function.
 *
 * @module
 */
/** Which bytes of which file a {@link FileResponse}'s body is. */
export interface FileBody {
  /** The file's path, as the handler opened it. */
  path: string;
  /** The file the handler opened, as its `Deno.FileInfo` gave it: another file at `path` is not it. */
  dev: number;
  ino: number | null;
  /** Its size then (what the headers describe). */
  size: number;
  /** First byte sent. */
  start: number;
  /** Bytes sent (the Content-Length). */
  length: number;
}

/** A response whose body streams `file` and says so. */
export class FileResponse extends Response {
  /** The body's bytes, for an engine that sends files itself. */
  readonly file: FileBody;

  constructor(body: ReadableStream<Uint8Array>, init: ResponseInit, file: FileBody) {
    super(body, init);
    this.file = file;
  }
}
