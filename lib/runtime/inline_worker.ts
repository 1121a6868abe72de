/**
 * A Worker whose module code is a string (a Blob URL), so bundles and compiled binaries need no
 * second file. It starts on the first message; an uncaught error in it ends it (the next message
 * starts a new one), and so does {@link InlineWorker.close}: either way `onEnd` runs, for the
 * owner to fail whatever it was waiting for.
 *
 * @module
 */

/** What an {@link InlineWorker} calls back. */
export interface InlineWorkerHandlers<Reply> {
  /** Each message the Worker posts. */
  onReply(reply: Reply): void;
  /** The Worker ended (closed, or died of an error): nothing sent before will be answered. */
  onEnd(): void;
}

/** One Worker from inline code, started on first use. */
export class InlineWorker<Reply> {
  readonly #code: string;
  readonly #name: string;
  readonly #handlers: InlineWorkerHandlers<Reply>;
  #worker: Worker | undefined;
  #url: string | undefined;

  /**
   * @param code the Worker's module source
   * @param name the Worker's name (in stack traces and debuggers)
   */
  constructor(code: string, name: string, handlers: InlineWorkerHandlers<Reply>) {
    this.#code = code;
    this.#name = name;
    this.#handlers = handlers;
  }

  /** Sends `msg` (transferring `transfer`), starting the Worker if it is not running. */
  post(msg: unknown, transfer: Transferable[] = []): void {
    this.#start().postMessage(msg, transfer);
  }

  /** Sends `msg` only if the Worker is running (to what it is already doing). */
  postIfRunning(msg: unknown): void {
    this.#worker?.postMessage(msg);
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    this.#url = URL.createObjectURL(new Blob([this.#code], { type: "text/javascript" }));
    const worker = new Worker(this.#url, { type: "module", name: this.#name });
    worker.onmessage = (e: MessageEvent<Reply>) => this.#handlers.onReply(e.data);
    worker.onerror = (e) => {
      e.preventDefault(); // what was under way fails; the next message starts a new Worker
      this.close();
    };
    this.#worker = worker;
    return worker;
  }

  /** Stops the Worker (if it runs) and calls `onEnd`. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    if (this.#url !== undefined) URL.revokeObjectURL(this.#url);
    this.#url = undefined;
    this.#handlers.onEnd();
  }
}
