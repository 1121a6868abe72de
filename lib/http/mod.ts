/**
 * The request handler that `netlab serve` and `netlab pool` share: a plain
 * `(Request) => Promise<Response>` function over a directory, with ETags, conditional requests,
 * ranges, compression and an in-memory cache. Importing it loads neither the servers nor the
 * lab's charts.
 *
 * @example Answer a request without a socket
 * ```ts
 * import { createStaticHandler, defaultRoot } from "@netlab/netlab/http";
 *
 * const handler = createStaticHandler({ root: await defaultRoot() });
 * const res = await handler(new Request("http://localhost/page.html"));
 * console.log(res.status); // 200
 * await res.body?.cancel();
 * ```
 *
 * @module
 */

export { createStaticHandler } from "./handler.ts";
export type { Credential, Handler, HeaderField, StaticOptions } from "./handler.ts";
export { createStaticResponder } from "./handler.ts";
export type { Responder } from "./handler.ts";
export { DEFAULT_CACHE_MAX_FILE_BYTES } from "./handler.ts";
export { createCpuBurner, DEMO_PATH, MAX_WORK_MS } from "./demo.ts";
export type { Burn, CpuBurner, CpuClockKind, WorkAnswer } from "./demo.ts";
export { defaultRoot } from "../runtime/assets.ts";
