/**
 * What both epoll frontends (tcp and http mode) start with: their own event loop, and a listener
 * on it, the loop stopped again when the address cannot be taken.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { EventLoop, type ListenerHandlers, TcpListener } from "../../loop/mod.ts";

/** A frontend's loop and its listener on host:port; throws what listening throws. */
export function listenOnLoop(
  log: Logger,
  host: string,
  port: number,
  handlers: ListenerHandlers,
): { loop: EventLoop; listener: TcpListener } {
  const loop = new EventLoop({
    onError: (err) => log.error(`internal error: ${(err as Error)?.stack ?? err}`),
  });
  try {
    return { loop, listener: new TcpListener(loop, { host, port }, handlers) };
  } catch (err) {
    void loop.stop();
    throw err;
  }
}
