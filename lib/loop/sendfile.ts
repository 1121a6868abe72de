/**
 * Files sent with sendfile(2): opened read-only by path, checked to be the very file (device,
 * inode and size) someone else described, and copied to a socket by the kernel without passing
 * through JavaScript. `Deno.FsFile` has no descriptor to hand over, hence the second open.
 *
 * @module
 */
import { C } from "./_libc.ts";
import type { EventLoop } from "./loop.ts";

/** Which file, as `Deno.FileInfo` describes it (`dev`, `ino`, `size`). */
export interface FileIdentity {
  dev: number;
  ino: number | null;
  size: number;
}

/** Most bytes one sendfile(2) is asked for (Linux moves at most about 2 GiB per call anyway). */
const MAX_CALL = 0x4000_0000;
/** statx's fixed layout (the same on every architecture). */
const STATX_SIZE = 256;
const STX_INO = 32;
const STX_SIZE = 40;
const STX_DEV_MAJOR = 136;
const STX_DEV_MINOR = 140;

/** sendfile(2) and what it takes, for the sockets of one loop (one per thread). */
export class FileSender {
  #loop: EventLoop;
  #offset = new Uint8Array(8);
  #offsetView = new DataView(this.#offset.buffer);
  #stat = new Uint8Array(STATX_SIZE);
  #statView = new DataView(this.#stat.buffer);
  #empty = new Uint8Array(1);
  #enc = new TextEncoder();

  constructor(loop: EventLoop) {
    this.#loop = loop;
  }

  /**
   * Opens `path` read-only (O_CLOEXEC) if it is still the file `want` describes.
   *
   * @returns the descriptor, or -1 when it cannot be opened or is another file (or size) now
   */
  open(path: string, want: FileIdentity): number {
    const sym = this.#loop.libc.sym;
    if (sym.statx === null || path.includes("\0")) return -1;
    const fd = sym.open(this.#enc.encode(`${path}\0`), C.O_RDONLY | C.O_CLOEXEC);
    if (fd < 0) return -1;
    const ok = sym.statx(fd, this.#empty, C.AT_EMPTY_PATH, C.STATX_INO | C.STATX_SIZE, this.#stat);
    if (ok !== 0 || !this.#matches(want)) {
      sym.close(fd);
      return -1;
    }
    return fd;
  }

  #matches(want: FileIdentity): boolean {
    const v = this.#statView;
    const u64 = (at: number) => v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
    if (u64(STX_SIZE) !== want.size) return false;
    if (want.ino !== null && u64(STX_INO) !== want.ino) return false;
    // st_dev as glibc's makedev() packs it, which is what Deno reports
    const major = v.getUint32(STX_DEV_MAJOR, true);
    const minor = v.getUint32(STX_DEV_MINOR, true);
    const dev = (major & 0xfff) * 2 ** 8 + Math.floor(major / 0x1000) * 2 ** 44 +
      (minor & 0xff) + Math.floor(minor / 0x100) * 2 ** 20;
    return dev === want.dev;
  }

  /**
   * Copies up to `count` bytes of `file` from `offset` to the nonblocking socket `sock`.
   *
   * @returns the bytes the socket took, 0 when the file ended first, or the errno negated
   *   (-EAGAIN: the socket is full)
   */
  send(sock: number, file: number, offset: number, count: number): number {
    const v = this.#offsetView;
    v.setUint32(0, offset >>> 0, true);
    v.setUint32(4, Math.floor(offset / 2 ** 32), true);
    const libc = this.#loop.libc;
    const n = libc.sym.sendfile(sock, file, this.#offset, BigInt(Math.min(count, MAX_CALL)));
    return n >= 0 ? n : -libc.errno();
  }

  /** Closes a descriptor {@link open} gave. */
  close(file: number): void {
    this.#loop.libc.sym.close(file);
  }
}
