/**
 * A run's time series: per slot of time (a second, or more on long runs) the requests completed
 * and failed, and their latencies in log buckets (16 per doubling, about 4% wide) for p50 and p99.
 * Bounded: past MAX_SLOTS slots, neighbours merge and a slot covers twice the time. Threads share
 * one origin (the run's start), so their timelines add slot by slot.
 *
 * @module
 */
import type { TimelinePoint } from "./result.ts";

/** Most slots kept; beyond, slots double in length (a 24-day run still fits). */
export const MAX_SLOTS = 1200;
const PER_DOUBLING = 16;
/** Buckets up to 2^32 µs (71 minutes). */
const BUCKETS = 32 * PER_DOUBLING + 1;

/** A timeline as plain data, to cross a worker boundary. */
export interface TimelineState {
  /** Slot length, ms. */
  slotMs: number;
  complete: number[];
  failed: number[];
  /** Per slot, the non-empty latency buckets as [bucket, count] pairs. */
  latency: Array<Array<[number, number]>>;
}

function bucketOf(us: number): number {
  if (us < 1) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(us) * PER_DOUBLING));
}

/** Buckets per doubling of latency. */
export const BUCKETS_PER_DOUBLING = PER_DOUBLING;

/** The middle of a bucket, µs. */
export function valueOf(bucket: number): number {
  if (bucket === 0) return 0.5;
  return 2 ** ((bucket - 1 + 0.5) / PER_DOUBLING);
}

interface Slot {
  complete: number;
  failed: number;
  latency: Uint32Array | null;
}

const newSlot = (): Slot => ({ complete: 0, failed: 0, latency: null });

/** Per-slot counters of one thread's share of a run. */
export class Timeline {
  #origin = 0;
  #slotMs = 1000;
  #slots: Slot[] = [];
  /** Every complete request's latency bucket, for the live view's histogram. */
  readonly all: Uint32Array = new Uint32Array(BUCKETS);

  /** Sets the run's start (performance.now() on this thread). */
  start(origin: number): void {
    this.#origin = origin;
  }

  #slot(at: number): Slot {
    let k = Math.floor((at - this.#origin) / this.#slotMs);
    if (k < 0) k = 0;
    while (k >= MAX_SLOTS) {
      this.#coarsen();
      k = Math.floor((at - this.#origin) / this.#slotMs);
    }
    while (this.#slots.length <= k) this.#slots.push(newSlot());
    return this.#slots[k]!;
  }

  #coarsen(): void {
    const next: Slot[] = [];
    for (let k = 0; k < this.#slots.length; k += 2) {
      const a = this.#slots[k]!;
      const b = this.#slots[k + 1];
      if (b !== undefined) addSlot(a, b);
      next.push(a);
    }
    this.#slots = next;
    this.#slotMs *= 2;
  }

  /** Counts a complete request that ended at `end` after `us` microseconds. */
  complete(end: number, us: number): void {
    const s = this.#slot(end);
    s.complete++;
    const b = bucketOf(us);
    (s.latency ??= new Uint32Array(BUCKETS))[b]!++;
    this.all[b]!++;
  }

  /** Counts a failed request that ended at `end`. */
  failed(end: number): void {
    this.#slot(end).failed++;
  }

  state(): TimelineState {
    return {
      slotMs: this.#slotMs,
      complete: this.#slots.map((s) => s.complete),
      failed: this.#slots.map((s) => s.failed),
      latency: this.#slots.map((s) => {
        const pairs: Array<[number, number]> = [];
        s.latency?.forEach((n, b) => n > 0 && pairs.push([b, n]));
        return pairs;
      }),
    };
  }

  /** Adds another thread's timeline (same origin). */
  absorb(o: TimelineState): void {
    while (this.#slotMs < o.slotMs) this.#coarsen();
    const ratio = this.#slotMs / o.slotMs;
    o.complete.forEach((n, k) => {
      const at = this.#origin + k * o.slotMs;
      const s = this.#slot(at + 0.5 * o.slotMs / ratio);
      s.complete += n;
      s.failed += o.failed[k] ?? 0;
      const lat = o.latency[k] ?? [];
      if (lat.length > 0) s.latency ??= new Uint32Array(BUCKETS);
      for (const [b, c] of lat) s.latency![b]! += c;
    });
  }

  /**
   * The points: per slot, its start (s), req/s, p50 and p99 (ms) and errors; `durationMs` is the
   * run's, so the last slot's rate counts only the time it covered.
   */
  points(durationMs: number): TimelinePoint[] {
    // A last slot of under 0.1 s (the run's final requests) would read as a sudden drop or spike.
    const slots = this.#slots.filter((_, k) =>
      k === 0 || durationMs - k * this.#slotMs >= Math.min(100, this.#slotMs / 2)
    );
    return slots.map((s, k) => {
      const covered = Math.min(this.#slotMs, durationMs - k * this.#slotMs);
      const seconds = (covered > 0 ? covered : this.#slotMs) / 1000;
      const point: TimelinePoint = {
        second: Number((k * this.#slotMs / 1000).toFixed(3)),
        requestsPerSecond: Number((s.complete / seconds).toFixed(2)),
        complete: s.complete,
        errors: s.failed,
      };
      if (s.latency !== null && s.complete > 0) {
        point.p50 = Number((quantile(s.latency, s.complete, 0.5) / 1000).toFixed(3));
        point.p99 = Number((quantile(s.latency, s.complete, 0.99) / 1000).toFixed(3));
      }
      return point;
    });
  }
}

function addSlot(into: Slot, from: Slot): void {
  into.complete += from.complete;
  into.failed += from.failed;
  if (from.latency === null) return;
  into.latency ??= new Uint32Array(BUCKETS);
  for (let b = 0; b < BUCKETS; b++) into.latency[b]! += from.latency[b]!;
}

function quantile(buckets: Uint32Array, total: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += buckets[b]!;
    if (seen >= rank) return valueOf(b);
  }
  return valueOf(BUCKETS - 1);
}

/**
 * Shards' timelines added second by second (shards start together with --start-at). The slots'
 * percentiles cannot be added, so the points carry none; undefined when no run had a timeline.
 */
export function addTimelines(
  lines: ReadonlyArray<readonly TimelinePoint[] | undefined>,
): TimelinePoint[] | undefined {
  const present = lines.filter((t) => t !== undefined);
  if (present.length === 0) return undefined;
  const out: TimelinePoint[] = [];
  for (const line of present) {
    line.forEach((p, k) => {
      const o = out[k] ??= { second: p.second, requestsPerSecond: 0, complete: 0, errors: 0 };
      o.requestsPerSecond = Number((o.requestsPerSecond + p.requestsPerSecond).toFixed(2));
      o.complete += p.complete;
      o.errors += p.errors;
    });
  }
  return out;
}
