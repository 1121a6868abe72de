/**
 * The code that runs inside each pool worker. `main.ts` calls {@link runPoolWorker} when it finds
 * itself loaded as a worker named {@link POOL_WORKER_NAME} (so `deno compile` binaries and bundles
 * can start workers from their own entry module); library users can point the pool at this module,
 * which starts the loop by itself when loaded as a pool worker.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { buildHandler, type Handler } from "./_pool_handler.ts";
import { forwardLogs } from "./_pool_log.ts";
import { QueueResponder } from "./_pool_worker_queue.ts";
import {
  type FromWorker,
  POOL_WORKER_NAME,
  type ToWorker,
  WORKER_HEADER,
  type WorkerConfig,
} from "./pool_protocol.ts";

/** The parts of a dedicated worker's global scope the loop uses. */
interface WorkerScope {
  name: string;
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

/** True when this code runs inside a worker the pool started. */
export function isPoolWorkerScope(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
      "undefined" &&
    (globalThis as unknown as WorkerScope).name === POOL_WORKER_NAME;
}

/** How often a busy worker reports its running request count. */
const SERVED_REPORT_MS = 200;

/** One worker's state: its handler, its server (kernel dispatch) and its counters. */
class PoolWorkerRuntime {
  #scope: WorkerScope;
  #config!: WorkerConfig;
  #handler!: Handler;
  #server: Deno.HttpServer | undefined;
  #responder: QueueResponder | undefined;
  #served = 0;
  #reportTimer: ReturnType<typeof setTimeout> | undefined;
  #log = getLogger(["netlab", "pool"]);

  constructor(scope: WorkerScope) {
    this.#scope = scope;
  }

  post = (msg: FromWorker, transfer?: Transferable[]): void => {
    this.#scope.postMessage(msg, transfer);
  };

  onMessage = (msg: ToWorker): void => {
    switch (msg.type) {
      case "init":
        this.#init(msg.config).catch((err) => this.#fail(err));
        break;
      case "request":
        this.#responder?.handle(msg);
        break;
      case "pull":
        this.#responder?.pull(msg.id);
        break;
      case "cancel":
        this.#responder?.cancel(msg.id);
        break;
      case "drain":
        this.#drain();
        break;
      case "crash":
        // A real uncaught error, exactly what the supervisor must survive.
        setTimeout(() => {
          throw new Error(msg.reason);
        });
        break;
    }
  };

  async #init(config: WorkerConfig): Promise<void> {
    this.#config = config;
    await forwardLogs(config.logLevel, this.post);
    this.#handler = this.#safe(buildHandler(config.handler));
    if (config.dispatch === "queue") {
      this.#responder = new QueueResponder(this.#handler, this.post, this.#answered, [[
        WORKER_HEADER,
        String(config.id),
      ]]);
      this.post({ type: "ready", port: 0 });
      return;
    }
    const tls = config.cert !== undefined && config.key !== undefined
      ? { cert: config.cert, key: config.key }
      : {};
    this.#server = Deno.serve({
      hostname: config.hostname,
      port: config.port,
      reusePort: true,
      ...tls,
      onListen: ({ port }) => this.post({ type: "ready", port }),
    }, this.#kernelHandler);
  }

  #kernelHandler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const startedAt = performance.now();
    let res = await this.#handler(req, info);
    try {
      res.headers.set(WORKER_HEADER, String(this.#config.id));
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      // Immutable headers (e.g. Response.redirect): copy them into a fresh response.
      res = new Response(res.body, res);
      res.headers.set(WORKER_HEADER, String(this.#config.id));
    }
    this.#answered(req, res.status, startedAt);
    return res;
  };

  /** One place that turns an unexpected error into a 500. */
  #safe(handler: Handler): Handler {
    return async (req, info) => {
      try {
        return await handler(req, info);
      } catch (err) {
        this.#log.error("{method} {url} failed: {error}", {
          method: req.method,
          url: req.url,
          error: err,
        });
        return new Response("Internal Server Error\n", { status: 500 });
      }
    };
  }

  #answered = (req: Request, status: number, startedAt: number): void => {
    this.#served++;
    this.#reportTimer ??= setTimeout(() => {
      this.#reportTimer = undefined;
      this.post({ type: "served", total: this.#served });
    }, SERVED_REPORT_MS);
    if (this.#log.isEnabledFor("info")) {
      const endedAt = performance.now();
      const path = req.url.slice(req.url.indexOf("/", req.url.indexOf("//") + 2));
      const durationMs = Math.round((endedAt - startedAt) * 10) / 10;
      // A literal message (braces escaped) with the fields as properties: the text log reads
      // naturally and the JSON log keeps when the request ran, on this worker's own clock.
      const line = `${req.method} ${path} ${status} ${durationMs} ms`.replace(/[{}]/g, "$&$&");
      this.#log.info(line, {
        method: req.method,
        path,
        status,
        durationMs,
        startedAt: performance.timeOrigin + startedAt,
        endedAt: performance.timeOrigin + endedAt,
      });
    }
  };

  async #drain(): Promise<void> {
    await this.#server?.shutdown();
    clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
    this.post({ type: "stopped", total: this.#served });
  }

  #fail(err: unknown): void {
    const name = err instanceof Error ? err.name : "Error";
    const message = err instanceof Error ? err.message : String(err);
    this.post({ type: "failed", name, message });
  }
}

/** Runs the pool worker loop in the current worker: waits for `init`, then serves. */
export function runPoolWorker(): void {
  const scope = globalThis as unknown as WorkerScope;
  const runtime = new PoolWorkerRuntime(scope);
  scope.onmessage = (event) => runtime.onMessage(event.data);
}

if (import.meta.main && isPoolWorkerScope()) runPoolWorker();
