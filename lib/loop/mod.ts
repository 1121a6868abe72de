/**
 * netlab's event loop: nonblocking TCP sockets over libc (Linux, through `Deno.dlopen`), one
 * edge-triggered epoll set, callbacks instead of promises, and one coarse timer for every
 * deadline. The balancer's epoll engine and the HTTP engine run on it.
 *
 * How a socket owner uses it:
 *
 * - Make one {@linkcode EventLoop} per thread (a Worker can have its own; two loops on one
 *   thread would hold each other up). It runs by itself while any socket is registered, and
 *   `stop()` ends it once every socket is closed.
 * - Get sockets from {@linkcode TcpListener} (`onAccept(fd, peer)`: the fd is yours, not yet
 *   registered) or {@linkcode connectSocket} (registered; `onWritable` means connected,
 *   `onHangup` means it failed and `loop.socketError(fd)` says why). Register an accepted fd
 *   once with `loop.watch(fd, owner)`: edge-triggered for reading, writing and the peer's FIN.
 * - The owner implements {@linkcode SocketHandler}. `onReadable(rdhup)`: recv into one shared
 *   buffer until recv returns less than asked for (then the socket is drained: no extra recv
 *   for EAGAIN), 0 (the peer's FIN) or a negative errno. `onWritable()`: send what is pending.
 *   `onHangup()`: a reset, a failed connect, or both directions done. `loop.recv`/`loop.send`
 *   return a byte count or the errno negated, never throw, and allocate nothing.
 * - When a send is short, copy the rest to a buffer of its own and wait for `onWritable`; stop
 *   reading the other side until it drains (that is the backpressure).
 * - Deadlines (connect, idle, header, half-close timeouts) are `loop.setDeadline(owner, at)`
 *   with `at = loop.now + ms`: no timer object per connection. The owner implements
 *   {@linkcode Timed} (`timerSlot = -1`, `onDeadline(now)`); moving a deadline on every read or
 *   write costs one array store. They fire at most `tickMs` (100 ms) late.
 * - Close with `loop.close(fd)`: events already fetched for that fd are dropped, even when the fd
 *   number is reused at once (each registration carries a generation tag).
 * - Better, own each descriptor through one {@linkcode Handle}: fd, closed state, deadline slot
 *   and the close sequence (`close()`, or `reset()` for an abortive close), so a protocol object
 *   keeps only its protocol.
 * - Callers that want promises instead (not hot ones) use {@linkcode AsyncSocket}: `connect`
 *   with an AbortSignal, `read`, `write`, `close` as on a `Deno.Conn`, on a loop made with
 *   {@linkcode ASYNC_LOOP_OPTIONS}. netlab bench's raw engine connects this way.
 * - Callbacks run on the loop's thread between other JavaScript; they must not block. While
 *   sockets are busy the loop waits for them synchronously and hands the thread to other work
 *   (timers, a stats server, logs, signals) every 20 ms at most; when idle it waits
 *   off-thread and uses no CPU.
 * - An owner that awaits what only the JavaScript event loop finishes (a handler's promise, a
 *   body fed by a Worker, a Deno op) brackets that with `loop.hold()` and `loop.release()`:
 *   while anything is held, the loop hands the thread over once per round of events, so each
 *   await costs a round, not 20 ms. Waiting for the loop's own sockets needs no hold.
 *
 * @example Echo every connection back to its sender
 * ```ts ignore
 * import { EventLoop, LINUX, type SocketHandler, TcpListener } from "./lib/loop/mod.ts";
 *
 * const loop = new EventLoop();
 * const buf = new Uint8Array(16384);
 * new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
 *   onAccept(fd) {
 *     const echo: SocketHandler = {
 *       onReadable() {
 *         let n;
 *         while ((n = loop.recv(fd, buf, buf.length)) > 0) loop.send(fd, buf, n);
 *         if (n !== -LINUX.EAGAIN) loop.close(fd); // the peer's FIN, or an error
 *       },
 *       onWritable() {},
 *       onHangup: () => loop.close(fd),
 *     };
 *     loop.watch(fd, echo);
 *   },
 * });
 * ```
 *
 * @module
 */
export {
  EventLoop,
  type EventLoopOptions,
  MAX_DELAY_MS,
  type SocketHandler,
  type Timed,
} from "./loop.ts";
export { type DeadlineOwner, Handle } from "./handle.ts";
export { FdWire, type HasFd, type Wire } from "./wire.ts";
export { ASYNC_LOOP_OPTIONS, type AsyncConnectOptions, AsyncSocket } from "./async_socket.ts";
export { type ListenerHandlers, type ListenerOptions, TcpListener } from "./listener.ts";
export { connectSocket, type ListenOptions, listenSocket, localAddr, peerAddr } from "./socket.ts";
export {
  decodeSockAddr,
  encodeSockAddr,
  isIpLiteral,
  type SockAddr,
  SOCKADDR_MAX,
} from "./sockaddr.ts";
export { closedError, errnoError, isConnectFailure } from "./errno.ts";
export { type FdLimit, raiseFdLimit } from "./fd_limit.ts";
export { currentThreadId, reapLoop, reapWhenGone, threadAlive, threadsWaitingOn } from "./reap.ts";
export { C as LINUX, type Libc } from "./_libc.ts";
