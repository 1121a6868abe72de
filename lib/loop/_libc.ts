/**
 * The libc calls the event loop makes, opened once per loop with `Deno.dlopen`. Every call but
 * the nonblocking `epoll_wait` is a plain synchronous FFI call on the loop's thread, so `errno`
 * is read from that thread's `__errno_location()` right after it. Lengths (`usize`) are passed
 * as BigInts: Deno takes a plain number too, but only off V8's fast path, which costs more per
 * call (about 0.3 µs here) than making the BigInt.
 *
 * @module
 */

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // ssize_t results are read as i32: a call never moves more than the buffer (well under 2 GiB),
  // and an i32 stays a plain number on V8's fast path where an i64 could become a BigInt
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  // Deno ignores SIGPIPE (a Rust runtime), so a writev to a closed peer fails with EPIPE
  writev: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_poll: { name: "epoll_wait", parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  // the only blocking call: Deno runs it on a worker thread and resolves a promise, so the event
  // loop (timers, the stats server, logging) keeps running while the balancer waits for sockets
  // it writes into native memory (malloc), never into a JavaScript buffer: the call may still be
  // parked when the thread that made it is gone, and V8 would have freed its buffer
  epoll_wait: {
    parameters: ["i32", "pointer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  // files for sendfile(2); statx (glibc 2.28) is optional so an older libc still runs the loop
  open: { parameters: ["buffer", "i32"], result: "i32" },
  sendfile: { parameters: ["i32", "i32", "buffer", "usize"], result: "i32" },
  statx: {
    parameters: ["i32", "buffer", "i32", "u32", "buffer"],
    result: "i32",
    optional: true,
  },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library. */
export type LibcSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** libc, plus `errno()` for the calling (event-loop) thread. */
export interface Libc {
  readonly sym: LibcSymbols;
  /** The errno of the last failed call on this thread. */
  errno(): number;
  /** Unloads the library. */
  close(): void;
}

/** Linux constants (x86_64 and aarch64 agree on all of these). */
export const C = {
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_ERROR: 4,
  SO_LINGER: 13,
  SO_REUSEPORT: 15,
  IPPROTO_IPV6: 41,
  IPV6_V6ONLY: 26,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  SHUT_WR: 1,
  MSG_NOSIGNAL: 0x4000,
  MSG_PEEK: 0x2,
  EPOLL_CLOEXEC: 0o2000000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLLIN: 0x1,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLRDHUP: 0x2000,
  EPOLLET: 1 << 31,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
  EINTR: 4,
  EBADF: 9,
  ENFILE: 23,
  EMFILE: 24,
  ENOBUFS: 105,
  ENOMEM: 12,
  RLIMIT_NOFILE: 7,
  EAGAIN: 11,
  EINPROGRESS: 115,
  EALREADY: 114,
  EISCONN: 106,
  ECONNREFUSED: 111,
  O_RDONLY: 0,
  O_CLOEXEC: 0o2000000,
  AT_EMPTY_PATH: 0x1000,
  STATX_INO: 0x100,
  STATX_SIZE: 0x200,
} as const;

/** Candidate names of the C library, most specific first. */
const NAMES = ["libc.so.6", "libc.so"];

/**
 * Opens libc. Throws `Deno.errors.NotCapable` without `--allow-ffi`, and another error when this
 * is not a Linux with glibc (the caller then uses the Deno engine).
 */
export function openLibc(): Libc {
  if (Deno.build.os !== "linux") throw new Error("The epoll engine needs Linux");
  // asked first so a terminal never gets a permission prompt: no FFI simply means the other engine
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new Deno.errors.NotCapable("Requires ffi access");
  }
  let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
  let last: unknown;
  for (const name of NAMES) {
    try {
      lib = Deno.dlopen(name, SYMBOLS);
      break;
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) throw err;
      last = err;
    }
  }
  if (!lib) throw new Error("Cannot open the C library", { cause: last });
  const ptr = lib.symbols.__errno_location();
  if (ptr === null) throw new Error("Cannot locate errno");
  const view = new Deno.UnsafePointerView(ptr);
  const opened = lib;
  return {
    sym: opened.symbols,
    errno: () => view.getInt32(0),
    close: () => opened.close(),
  };
}
