/**
 * How the CPU route measures the CPU time it burns: the calling thread's own CPU clock
 * (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)` through FFI), or, where FFI is not allowed, work
 * calibrated once against the wall clock. Wall-clock spinning is neither: on a busy machine the
 * thread is descheduled mid-spin and burns far less CPU than it claims.
 *
 * @module
 */

/** Which way a {@link CpuBurner} measures: a real per-thread clock, or calibrated work. */
export type CpuClockKind = "thread-cpu" | "calibrated";

/** What one burn did. */
export interface Burn {
  /** CPU time the thread spent, ms (estimated from the calibration when `clock` is "calibrated"). */
  cpuMs: number;
  /** Wall-clock time the burn took, ms. */
  wallMs: number;
}

/** Burns CPU time on the calling thread. One per thread: a thread clock reads its own thread. */
export interface CpuBurner {
  readonly clock: CpuClockKind;
  /** Spends `ms` of this thread's CPU time and says what it spent. */
  burn(ms: number): Burn;
}

/** `CLOCK_THREAD_CPUTIME_ID` and where libc lives, per OS. */
const LIBC: Partial<Record<typeof Deno.build.os, { path: string; clockId: number }>> = {
  linux: { path: "libc.so.6", clockId: 3 },
  darwin: { path: "/usr/lib/libSystem.B.dylib", clockId: 16 },
};

/** Reads the thread's CPU clock through libc, or undefined where FFI is not allowed or missing. */
function threadClock(): (() => number) | undefined {
  const libc = LIBC[Deno.build.os];
  if (!libc) return undefined;
  let lib;
  try {
    lib = Deno.dlopen(
      libc.path,
      {
        clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
      } as const,
    );
  } catch {
    // No --allow-ffi (NotCapable), or no such library (a plain Error): calibrated work instead.
    return undefined;
  }
  const ts = new BigInt64Array(2); // struct timespec on 64-bit systems: tv_sec, tv_nsec
  const gettime = lib.symbols.clock_gettime;
  const now = () => {
    gettime(libc.clockId, ts);
    return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6;
  };
  // A clock that fails (a 32-bit timespec, an unknown clock id) reads 0 and would spin forever.
  return gettime(libc.clockId, ts) === 0 && now() > 0 ? now : undefined;
}

/** One unit of work: integer arithmetic V8 cannot fold away, since its result is kept. */
function work(seed: number, rounds: number): number {
  let x = seed | 1;
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

const CHUNK_ROUNDS = 20_000;
/** Rounds of work between two reads of the thread clock: a few microseconds. */
const CLOCK_ROUNDS = 2_000;

/**
 * Milliseconds of CPU one chunk of work takes: the fastest of many timed chunks, since a chunk the
 * scheduler interrupted only looks slower, never faster, than its CPU time.
 */
function calibrate(): { msPerChunk: number; sink: number } {
  let sink = 0;
  for (let i = 0; i < 20; i++) sink ^= work(i, CHUNK_ROUNDS); // let the JIT optimise it first
  let best = Infinity;
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    sink ^= work(i, CHUNK_ROUNDS);
    best = Math.min(best, performance.now() - start);
  }
  // performance.now() has microsecond resolution here; never divide by zero on a coarser one.
  return { msPerChunk: Math.max(best, 0.001), sink };
}

/**
 * A burner for the calling thread: its CPU clock where FFI is allowed, calibrated work otherwise.
 *
 * @param prefer "calibrated" to skip the clock (tests compare both)
 * @returns a burner to keep for the thread's lifetime
 */
export function createCpuBurner(prefer?: CpuClockKind): CpuBurner {
  const clock = prefer === "calibrated" ? undefined : threadClock();
  let sink = 0;
  if (clock) {
    return {
      clock: "thread-cpu",
      burn(ms) {
        const wall = performance.now();
        const start = clock();
        let now = start;
        // Reading a thread's CPU clock is a system call (no vDSO shortcut): work a few
        // microseconds between reads so the time burned is the program's, not the kernel's.
        while (now - start < ms) {
          sink ^= work(sink, CLOCK_ROUNDS);
          now = clock();
        }
        return { cpuMs: now - start, wallMs: performance.now() - wall };
      },
    };
  }
  const { msPerChunk } = calibrate();
  return {
    clock: "calibrated",
    burn(ms) {
      const wall = performance.now();
      const chunks = Math.ceil(ms / msPerChunk);
      for (let i = 0; i < chunks; i++) sink ^= work(i + sink, CHUNK_ROUNDS);
      return { cpuMs: chunks * msPerChunk, wallMs: performance.now() - wall };
    },
  };
}
