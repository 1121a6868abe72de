/**
 * `netlab serve`'s engine: the static handler on one event loop with `Deno.serve`, stopped by an
 * AbortSignal with a graceful drain.
 *
 * @module
 */
import { stopOnAbort } from "../runtime/abort.ts";
import { getLogger, type Logger } from "@logtape/logtape";
import { createStaticResponder, type Responder, type StaticOptions } from "../http/handler.ts";
import { WorkerCompressor } from "../http/compressor.ts";
import { withAccessLog } from "../http/access_log.ts";
import { formatAddress } from "../runtime/address.ts";
import { listen } from "./_listener.ts";

/** Options of {@link serve}: where to listen, what to serve and when to stop. */
export interface ServeOptions extends StaticOptions {
  /** Address to listen on. @default {"127.0.0.1"} */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default {8000} */
  port?: number;
  /** PEM certificate chain; with `key`, serves HTTPS (HTTP/2 negotiated by ALPN). */
  cert?: string;
  /** PEM private key for `cert`. */
  key?: string;
  /**
   * More certificates and keys (PEM), each picked when a client asks for a name it is valid for
   * (SNI); `cert` stays the default. The epoll engine only (`startHttp1`).
   */
  moreCerts?: Array<{ cert: string; key: string }>;
  /** Aborting it stops accepting connections and drains the ones in flight. */
  signal?: AbortSignal;
  /** Log one line per request on `netlab.access` at info level. @default {true} */
  accessLog?: boolean;
  /** Share the port with other listeners (Linux; needs --unstable-net). @default {false} */
  reusePort?: boolean;
  /** Serve with this handler instead of the static one built from the other options. */
  handler?: Responder;
  /** Logger for lifecycle and error records. @default {getLogger(["netlab", "server"])} */
  logger?: Logger;
}

/** A running server. Disposing it shuts it down gracefully. */
export interface RunningServer extends AsyncDisposable {
  /** The address actually bound (the real port when asked for port 0). */
  readonly addr: Deno.NetAddr;
  /** The base URL, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** The HTTP engine serving: `deno` (Deno.serve) or `epoll` (netlab's own HTTP/1.1 engine). */
  readonly engine: "deno" | "epoll";
  /** Resolves once the server has stopped and every in-flight request finished. */
  readonly finished: Promise<void>;
  /** Stops accepting connections and resolves once in-flight requests finished. */
  shutdown(): Promise<void>;
  /**
   * Cuts what a drain left running (responses still being sent), so their access-log lines are
   * written with the bytes that left; for after {@link shutdown} ran out of time.
   */
  close?(): Promise<void>;
}

/**
 * Starts serving and resolves once listening, after logging `listening on http://HOST:PORT/`.
 * Throws the `Deno.errors.*` error of a failed listen (e.g. `AddrInUse`) unchanged.
 *
 * @param options Where to listen (`host` @default "127.0.0.1", `port` @default 8000), what to
 * serve (every {@link StaticOptions} field), `cert`/`key` PEM text, `signal`, `accessLog`
 * @default true.
 * @returns The running server, with its bound address and URL, once it listens.
 *
 * @example Serve www/ on a free port, then stop
 * ```ts ignore
 * import { defaultRoot, serve } from "@netlab/netlab/server";
 *
 * const controller = new AbortController();
 * const server = await serve({ root: await defaultRoot(), port: 0, signal: controller.signal });
 * console.log((await fetch(new URL("page.html", server.url))).status); // 200
 * controller.abort();
 * await server.finished;
 * ```
 */
export function serve(options: ServeOptions): Promise<RunningServer> {
  try {
    return Promise.resolve(start(options));
  } catch (err) {
    return Promise.reject(err);
  }
}

function start(options: ServeOptions): RunningServer {
  const logger = options.logger ?? getLogger(["netlab", "server"]);
  const host = options.host ?? "127.0.0.1";
  // compression off the loop's thread: a request never waits behind another file's compression
  const compressor = new WorkerCompressor();
  let handler = options.handler ?? createStaticResponder({ ...options, compressor });
  // bodies still streaming: cut by close(), which logs what each had sent
  const streaming = new Set<() => void>();
  if (options.accessLog ?? true) {
    handler = withAccessLog(handler, getLogger(["netlab", "access"]), streaming);
  }
  const tls = options.cert !== undefined && options.key !== undefined
    ? { cert: options.cert, key: options.key }
    : {};
  // out of descriptors, the listener is opened again rather than the server lost
  const server = listen(
    {
      hostname: host,
      port: options.port ?? 8000,
      reusePort: options.reusePort ?? false,
      ...tls,
      onError: (err) => {
        logger.error("Unexpected error: {error}", { error: err });
        return new Response("500 Internal Server Error\n", { status: 500 });
      },
    },
    handler,
    logger,
  );
  const addr = server.addr;
  const url = `${"cert" in tls ? "https" : "http"}://${formatAddress(addr.hostname, addr.port)}/`;
  const finished = server.finished.finally(() => compressor.close());
  const shutdown = async (): Promise<void> => {
    await server.shutdown();
    await finished;
  };
  stopOnAbort(options.signal, shutdown, finished);
  logger.info(`listening on ${url} (engine deno)`, {
    url,
    host: addr.hostname,
    port: addr.port,
    engine: "deno",
  });
  return {
    addr,
    url,
    engine: "deno",
    finished,
    shutdown,
    close(): Promise<void> {
      for (const cut of [...streaming]) cut();
      return Promise.resolve();
    },
    async [Symbol.asyncDispose]() {
      await shutdown();
    },
  };
}
