/**
 * The code that runs inside each pool worker. `main.ts` calls {@link runPoolWorker} when it finds
 * itself loaded as a worker named {@link POOL_WORKER_NAME} (so `deno compile` binaries and bundles
 * can start workers from their own entry module); library users can point the pool at this module,
 * which starts the loop by itself when loaded as a pool worker.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { listen } from "./_listener.ts";
import { currentThreadId } from "../loop/reap.ts";
import { getLogger } from "@logtape/logtape";
import { buildHandler, type Responder } from "./_pool_handler.ts";
import { WorkerCompressor } from "../http/compressor.ts";
import { forwardLogs } from "./_pool_log.ts";
import { Outbox } from "./_pool_outbox.ts";
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
  onmessage: ((event: MessageEvent<ToWorker[]>) => void) | null;
}

/**
 * Tells whether this code runs inside a worker the pool started.
 *
 * @returns true in a Web Worker named {@link POOL_WORKER_NAME}
 * @example
 * ```ts
 * import { isPoolWorkerScope } from "@netlab/netlab";
 * console.log(isPoolWorkerScope()); // false on the main thread
 * ```
 */
export function isPoolWorkerScope(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
      "undefined" &&
    (globalThis as unknown as WorkerScope).name === POOL_WORKER_NAME;
}

/** A message that kept the thread this long lets its answer leave before the next one runs. */
const YIELD_AFTER_MS = 1;

/** How often a busy worker reports its running request count. */
const SERVED_REPORT_MS = 200;

/** One worker's state: its handler, its server (kernel dispatch) and its counters. */
class PoolWorkerRuntime {
  #scope: WorkerScope;
  #config!: WorkerConfig;
  #handler!: Responder;
  #server: { readonly addr: Deno.NetAddr; shutdown(): Promise<void> } | undefined;
  /** Compression off this worker's loop, whichever engine and dispatch it runs. */
  #compressor = new WorkerCompressor();
  #responder: QueueResponder | undefined;
  #served = 0;
  #reportTimer: ReturnType<typeof setTimeout> | undefined;
  #log = getLogger(["netlab", "pool"]);

  #outbox: Outbox<FromWorker>;
  #batches: Promise<void> = Promise.resolve();

  constructor(scope: WorkerScope) {
    this.#scope = scope;
    this.#outbox = new Outbox((batch, transfer) => this.#scope.postMessage(batch, transfer));
  }

  post = (msg: FromWorker, transfer?: Transferable[]): void => {
    this.#outbox.push(msg, transfer);
  };

  /** Handles a batch in order; batches that arrive while one is paused wait their turn. */
  onBatch(batch: ToWorker[]): void {
    this.#batches = this.#batches.then(() => this.#runBatch(batch));
  }

  async #runBatch(batch: ToWorker[]): Promise<void> {
    for (const msg of batch) {
      const started = performance.now();
      this.onMessage(msg);
      // A request that ran long synchronously (CPU work) gets one event-loop turn to send its
      // answer before the next starts; quick ones stay batched.
      if (performance.now() - started > YIELD_AFTER_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.#outbox.flush();
      }
    }
  }

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
        // A real uncaught error, exactly what the supervisor must survive. Deno prints a worker's
        // uncaught error whatever the supervisor does with it; without a stack that is one line,
        // not a trace that reads like a failure in a passing test run.
        setTimeout(() => {
          const err = new Error(msg.reason);
          err.stack = `Error: ${msg.reason}`;
          throw err;
        });
        break;
    }
  };

  async #init(config: WorkerConfig): Promise<void> {
    this.#config = config;
    // Log records leave at once: a record written just before a long synchronous burn must not wait
    // for the end of that turn.
    await forwardLogs(config.logLevel, (msg) => {
      this.#outbox.push(msg);
      this.#outbox.flush();
    });
    this.#handler = buildHandler(
      { ...config.handler, compressor: this.#compressor },
      config.logLevel,
    );
    if (config.dispatch === "queue") this.#startQueue(config);
    else if (config.engine === "epoll") await this.#startEpoll(config);
    else this.#startKernel(config);
  }

  /** Queue dispatch: the main thread accepts and hands this worker requests. */
  #startQueue(config: WorkerConfig): void {
    this.#responder = new QueueResponder(this.#handler, this.post, this.#answered, [[
      WORKER_HEADER,
      String(config.id),
    ]]);
    this.post({ type: "ready", port: 0 });
  }

  /** Kernel dispatch on the epoll engine: this worker's own loop on the shared port. */
  async #startEpoll(config: WorkerConfig): Promise<void> {
    const { startHttp1 } = await import("./epoll.ts");
    const server = startHttp1({
      root: config.handler.root,
      ...(config.handler.headers !== undefined ? { headers: config.handler.headers } : {}),
      // the engine wraps the access log itself, so the fast path logs too
      handler: this.#namedHandler(
        buildHandler({ ...config.handler, compressor: this.#compressor }, config.logLevel, false),
      ),
      accessLog: config.logLevel !== "warning",
      host: config.hostname,
      port: config.port,
      reusePort: true,
      ...(config.cert !== undefined && config.key !== undefined
        ? { tls: { identities: [{ cert: config.cert, key: config.key }] } }
        : {}),
      onAnswer: this.#answered,
      ...(config.headerTimeout !== undefined ? { headerTimeout: config.headerTimeout } : {}),
      ...(config.keepAliveTimeout !== undefined
        ? { keepAliveTimeout: config.keepAliveTimeout }
        : {}),
      ...(config.sendTimeout !== undefined ? { sendTimeout: config.sendTimeout } : {}),
      logger: getLogger(["netlab", "pool"]),
      listeningLevel: "debug",
    });
    this.#server = server;
    const thread = currentThreadId();
    this.post({
      type: "ready",
      port: server.addr.port,
      epollFd: server.loopFd,
      ...(thread !== undefined ? { thread } : {}),
    });
  }

  /** Kernel dispatch on Deno.serve, listening again rather than dying when out of descriptors. */
  #startKernel(config: WorkerConfig): void {
    const tls = config.cert !== undefined && config.key !== undefined
      ? { cert: config.cert, key: config.key }
      : {};
    this.#server = listen(
      {
        hostname: config.hostname,
        port: config.port,
        reusePort: true,
        ...tls,
        onError: (err) => {
          this.#log.error("Unexpected error: {error}", { error: err });
          return new Response("500 Internal Server Error\n", { status: 500 });
        },
      },
      this.#kernelHandler,
      this.#log,
    );
    this.post({ type: "ready", port: this.#server.addr.port });
  }

  #kernelHandler = (req: Request, info: Deno.ServeHandlerInfo): Response | Promise<Response> => {
    const res = this.#handler(req, info);
    return res instanceof Promise ? res.then(this.#named) : this.#named(res);
  };

  /** The handler with the worker's name on every answer; the epoll engine counts them itself. */
  #namedHandler = (handler: Responder): Responder => (req, info) => {
    const res = handler(req, info);
    return res instanceof Promise ? res.then(this.#withName) : this.#withName(res);
  };

  #withName = (res: Response): Response => {
    try {
      res.headers.set(WORKER_HEADER, String(this.#config.id));
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      // Immutable headers (e.g. Response.redirect): copy them into a fresh response.
      res = new Response(res.body, res);
      res.headers.set(WORKER_HEADER, String(this.#config.id));
    }
    return res;
  };

  /** Adds the worker's name to a kernel-dispatched response and counts it. */
  #named = (res: Response): Response => {
    this.#answered();
    return this.#withName(res);
  };

  #answered = (): void => {
    this.#served++;
    this.#reportTimer ??= setTimeout(() => {
      this.#reportTimer = undefined;
      this.post({ type: "served", total: this.#served });
    }, SERVED_REPORT_MS);
  };

  async #drain(): Promise<void> {
    await this.#server?.shutdown();
    this.#compressor.close();
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

/**
 * Runs the pool worker loop in the current worker: waits for the supervisor's `init`, then serves.
 * Call it first thing in your entry module when {@link isPoolWorkerScope} is true, and pass that
 * module's URL as `workerUrl`, so one file (or one compiled binary) is both program and worker.
 *
 * @example An entry module that doubles as the pool's worker (not run by `deno test --doc`:
 * its body must be a module's top level)
 * ```ts ignore
 * import { isPoolWorkerScope, runPoolWorker, WorkerPool } from "@netlab/netlab";
 *
 * if (isPoolWorkerScope()) {
 *   runPoolWorker();
 * } else {
 *   const pool = new WorkerPool({ handler: { root: "." }, workerUrl: import.meta.url, port: 0 });
 *   await pool.start();
 *   await pool.stop();
 * }
 * ```
 *
 * @returns `isPoolWorkerScope()`: true inside a worker named `POOL_WORKER_NAME`.
 */
export function runPoolWorker(): void {
  const scope = globalThis as unknown as WorkerScope;
  const runtime = new PoolWorkerRuntime(scope);
  scope.onmessage = (event) => runtime.onBatch(event.data);
}

if (import.meta.main && isPoolWorkerScope()) runPoolWorker();
