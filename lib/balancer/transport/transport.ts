/**
 * The socket layer under the balancer: one interface, two engines. `deno` uses Deno.listen and
 * Deno.connect; `epoll` (Linux) drives nonblocking libc sockets over FFI, which costs far less
 * CPU per connection. The session and proxy logic above it is the same for both.
 *
 * @module
 */

/** A connected TCP socket, the part of `Deno.TcpConn` the balancer uses. */
export interface TransportConn {
  /** Where the other end is. */
  readonly remoteAddr: Deno.NetAddr;
  /** Reads into `buf`: the byte count, or null at end of stream (the peer's FIN). */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes some of `buf` (at least one byte), waiting while the socket buffer is full. */
  write(buf: Uint8Array): Promise<number>;
  /** Sends a FIN (shutdown of the write side); throws `Deno.errors.NotConnected` when gone. */
  closeWrite(): Promise<void>;
  /** Closes the socket; a pending read or write rejects with `Deno.errors.BadResource`. */
  close(): void;
  /** Sets TCP_NODELAY. */
  setNoDelay(noDelay?: boolean): void;
}

/** A listening TCP socket. */
export interface TransportListener {
  /** The bound address (port 0 resolved). */
  readonly addr: Deno.NetAddr;
  /** The next client; rejects with `Deno.errors.BadResource` once the listener is closed. */
  accept(): Promise<TransportConn>;
  /** Stops listening; a pending accept rejects. */
  close(): void;
}

/** Which socket layer a balancer runs on. */
export type EngineName = "epoll" | "deno";

/** The socket layer a balancer runs on. */
export interface Transport {
  /** `epoll` or `deno`. */
  readonly name: EngineName;
  /** Listens on host:port (errors as `Deno.listen` throws them). */
  listen(host: string, port: number): TransportListener;
  /**
   * Connects to host:port within `timeoutMs`; an unreachable backend (refused, timed out, reset,
   * unknown host) rejects with `BackendConnectError`, anything else with its own error.
   */
  connect(host: string, port: number, timeoutMs: number): Promise<TransportConn>;
  /** Releases the engine once every socket it made is closed. */
  close(): Promise<void>;
}
