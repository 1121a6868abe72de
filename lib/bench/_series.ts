/**
 * One timing of a bench run: exact sums (mean, sd, min, max) and an HdrHistogram (pure JS build)
 * for the median and percentiles. A series can be copied into plain data and added to another, so
 * threads each record their own and the run adds them up at the end (histograms encoded as
 * autocannon does, with hdr-histogram-js's compressed base64).
 *
 * @module
 */
import * as hdr from "hdr-histogram-js";
import type { TimingStats } from "./result.ts";

/** Latencies up to an hour, in microseconds. */
const HIGHEST = 3_600_000_000;

/**
 * Latencies up to an hour at 3 significant digits, in microseconds; "packed" (a sparse array,
 * a little slower to record) for the many small series of a many-requests run.
 */
function histogram(packed = false): hdr.Histogram {
  return hdr.build({
    bitBucketSize: packed ? "packed" : 32,
    autoResize: false,
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST,
    numberOfSignificantValueDigits: 3,
  });
}

/** A series as plain data, to cross a worker boundary. */
export interface SeriesState {
  n: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
  /** The histogram, compressed and base64-encoded ("" when empty). */
  hist: string;
}

/** One timing: exact sums and a histogram, in microseconds. */
export class Series {
  readonly hist: hdr.Histogram;
  n = 0;
  sum = 0;
  sumSq = 0;
  min = Infinity;
  max = 0;

  /** `packed`: a sparse histogram, for the many series of a many-requests run. */
  constructor(packed = false) {
    this.hist = histogram(packed);
  }

  add(us: number): void {
    const v = us < 0 ? 0 : us;
    this.n++;
    this.sum += v;
    this.sumSq += v * v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.hist.recordValue(Math.min(Math.round(v), HIGHEST));
  }

  /** Copies the series into plain data. */
  state(): SeriesState {
    const { n, sum, sumSq, min, max } = this;
    return {
      n,
      sum,
      sumSq,
      min,
      max,
      hist: n === 0 ? "" : hdr.encodeIntoCompressedBase64(this.hist),
    };
  }

  /** Adds another thread's series to this one. */
  absorb(other: SeriesState): void {
    if (other.n === 0) return;
    this.n += other.n;
    this.sum += other.sum;
    this.sumSq += other.sumSq;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.hist.add(hdr.decodeFromCompressedBase64(other.hist, 32, false));
  }

  stats(): TimingStats {
    const n = this.n;
    const mean = this.sum / n;
    const variance = n > 1 ? Math.max(0, (this.sumSq - n * mean * mean) / (n - 1)) : 0;
    return {
      min: this.min / 1000,
      mean: mean / 1000,
      sd: Math.sqrt(variance) / 1000,
      median: this.hist.getValueAtPercentile(50) / 1000,
      max: this.max / 1000,
    };
  }
}

/** An empty latency histogram of the kind every series keeps. */
export function emptyHistogram(): hdr.Histogram {
  return histogram();
}

/** Decodes a histogram encoded by `Series.state()` ("" is an empty one). */
export function decodeHistogram(encoded: string): hdr.Histogram {
  const h = histogram();
  if (encoded !== "") h.add(hdr.decodeFromCompressedBase64(encoded, 32, false));
  return h;
}

/** Encodes a histogram as `Series.state()` does ("" when empty). */
export function encodeHistogram(h: hdr.Histogram): string {
  return h.totalCount === 0 ? "" : hdr.encodeIntoCompressedBase64(h);
}

/** The recorded (value µs, count) buckets of an encoded histogram, ascending. */
export function histogramBuckets(encoded: string): Array<[number, number]> {
  const h = decodeHistogram(encoded) as unknown as {
    recordedValuesIterator: {
      reset(): void;
      hasNext(): boolean;
      next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
    };
  };
  const it = h.recordedValuesIterator;
  it.reset();
  const out: Array<[number, number]> = [];
  while (it.hasNext()) {
    const v = it.next();
    out.push([v.valueIteratedTo, v.countAtValueIteratedTo]);
  }
  return out;
}
