/**
 * The recorder that builds a bench result: exact counters plus HdrHistograms (pure JS build) for
 * the four ab timings, so memory stays flat however many requests run. With several threads each
 * has its own recorder; their states are added into one at the end.
 *
 * @module
 */
import { Outcome, type Sample } from "./engine.ts";
import { Series, type SeriesState } from "./_series.ts";
import { type LineState, PerLine } from "./_per_line.ts";
import { type RunInfo, targetOf } from "./_run_info.ts";

export type { RunInfo };
import { Timeline, type TimelineState } from "./_timeline.ts";
import { TlsTally, type TlsTallyState } from "./_tls_tally.ts";
import { type BenchResult, type FailureCounts, PERCENTILES } from "./result.ts";

/**
 * Decides the run's Document Length: given a complete response's body length, returns the length
 * every response is compared with (the first one's). Threads share one so that "the first response"
 * means the first of the whole run.
 */
export type DocumentLengthClaim = (bodyBytes: number) => number;

/** The run so far, for the live view. */
export interface LiveSnapshot {
  complete: number;
  failed: number;
  /** ms at "50", "90", "99", "99.9" and "100" (max); empty before the first response. */
  percentiles: Record<string, number>;
  statusCodes: Array<[number, number]>;
  errors: Array<[string, number]>;
  /** Latency counts in log buckets (BUCKETS_PER_DOUBLING per doubling of µs). */
  buckets: number[];
}

/** A recorder's counters as plain data, to cross a worker boundary. */
export interface RecorderState {
  complete: number;
  failures: FailureCounts;
  non2xx: number;
  keepAlive: number;
  wire: number;
  body: number;
  sent: number;
  documentLength: number | null;
  serverSoftware: string | null;
  /** performance.timeOrigin + lastEnd: comparable across threads. */
  lastEndEpoch: number;
  status: Array<[number, number]>;
  errors: Array<[string, number]>;
  connect: SeriesState;
  processing: SeriesState;
  waiting: SeriesState;
  total: SeriesState;
  perLine?: LineState[];
  timeline: TimelineState;
  tls: TlsTallyState;
}

/** Accumulates samples; cheap per request, memory independent of the request count. */
export class Recorder {
  complete = 0;
  failures: FailureCounts = { connect: 0, receive: 0, length: 0, exceptions: 0 };
  non2xx = 0;
  keepAlive = 0;
  wire = 0;
  body = 0;
  sent = 0;
  documentLength: number | null = null;
  serverSoftware: string | null = null;
  lastEnd = 0;
  #status = new Map<number, number>();
  #errors = new Map<string, number>();
  #connect = new Series();
  #processing = new Series();
  #waiting = new Series();
  #total = new Series();
  #info: RunInfo;
  #claim: DocumentLengthClaim | null;
  #perLine: PerLine | null;
  readonly timeline: Timeline = new Timeline();
  readonly tls: TlsTally = new TlsTally();
  /** With many requests, each line's Document Length (its first response's), -1 until known. */
  #lineLengths: number[];

  constructor(info: RunInfo, claimDocumentLength?: DocumentLengthClaim) {
    this.#info = info;
    this.#claim = claimDocumentLength ?? null;
    const lines = info.lines ?? null;
    this.#perLine = lines === null ? null : new PerLine(lines);
    this.#lineLengths = lines === null ? [] : lines.map(() => -1);
  }

  /** Failed requests so far. */
  get failed(): number {
    const f = this.failures;
    return f.connect + f.receive + f.length + f.exceptions;
  }

  /** Counts one finished request (Aborted samples must not be recorded). */
  record(s: Sample): void {
    this.wire += s.wireBytes;
    this.body += s.bodyBytes;
    this.tls.record(s);
    if (s.end > this.lastEnd) this.lastEnd = s.end;
    if (s.outcome !== Outcome.Complete) {
      if (s.outcome === Outcome.Connect) this.failures.connect++;
      else if (s.outcome === Outcome.Receive) this.failures.receive++;
      else this.failures.exceptions++;
      this.#errors.set(s.cause, (this.#errors.get(s.cause) ?? 0) + 1);
      this.#perLine?.record(s, 0);
      this.timeline.failed(s.end);
      return;
    }
    if (this.#info.sentBytes > 0) this.sent += s.sentBytes || this.#info.sentBytes;
    this.complete++;
    if (this.serverSoftware === null && s.server !== null) this.serverSoftware = s.server;
    if (this.documentLength === null) {
      this.documentLength = this.#claim === null ? s.bodyBytes : this.#claim(s.bodyBytes);
    }
    let expected = this.documentLength;
    if (this.#perLine !== null) {
      if (this.#lineLengths[s.line] === -1) this.#lineLengths[s.line] = s.bodyBytes;
      expected = this.#lineLengths[s.line]!;
    }
    if (s.bodyBytes !== expected && !this.#info.variableLength) {
      this.#perLine?.lengthFailure(s.line);
      this.failures.length++;
      const cause = "body length differs from the first response";
      this.#errors.set(cause, (this.#errors.get(cause) ?? 0) + 1);
    }
    if (s.status < 200 || s.status > 299) this.non2xx++;
    if (s.keepAlive && this.#info.keepAlive) this.keepAlive++;
    this.#status.set(s.status, (this.#status.get(s.status) ?? 0) + 1);
    const totalUs = (s.end - s.intended) * 1000;
    this.#total.add(totalUs);
    this.timeline.complete(s.end, totalUs);
    if (this.#info.connectTimes) {
      const connectUs = s.connectMs * 1000;
      this.#connect.add(connectUs);
      this.#processing.add(totalUs - connectUs);
      this.#waiting.add((s.firstByte - s.writeDone) * 1000);
    } else {
      this.#waiting.add((s.firstByte - s.start) * 1000);
    }
    this.#perLine?.record(s, totalUs);
  }

  /** What the live view shows of the run so far (a few times a second: not per request). */
  live(): LiveSnapshot {
    const percentiles: Record<string, number> = {};
    if (this.complete > 0) {
      for (const p of [50, 90, 99, 99.9]) {
        percentiles[String(p)] = this.#total.hist.getValueAtPercentile(p) / 1000;
      }
      percentiles["100"] = this.#total.max / 1000;
    }
    return {
      complete: this.complete,
      failed: this.failed,
      percentiles,
      statusCodes: [...this.#status].sort((a, b) => a[0] - b[0]),
      errors: [...this.#errors].sort((a, b) => b[1] - a[1]),
      buckets: Array.from(this.timeline.all),
    };
  }

  /** Copies the counters into plain data. */
  state(): RecorderState {
    return {
      complete: this.complete,
      failures: { ...this.failures },
      non2xx: this.non2xx,
      keepAlive: this.keepAlive,
      wire: this.wire,
      body: this.body,
      sent: this.sent,
      documentLength: this.documentLength,
      serverSoftware: this.serverSoftware,
      lastEndEpoch: this.lastEnd === 0 ? 0 : performance.timeOrigin + this.lastEnd,
      status: [...this.#status],
      errors: [...this.#errors],
      connect: this.#connect.state(),
      processing: this.#processing.state(),
      waiting: this.#waiting.state(),
      total: this.#total.state(),
      ...(this.#perLine !== null ? { perLine: this.#perLine.state() } : {}),
      timeline: this.timeline.state(),
      tls: this.tls.state(),
    };
  }

  /** Adds another thread's counters to this recorder's. */
  absorb(o: RecorderState): void {
    this.complete += o.complete;
    for (const k of ["connect", "receive", "length", "exceptions"] as const) {
      this.failures[k] += o.failures[k];
    }
    this.non2xx += o.non2xx;
    this.keepAlive += o.keepAlive;
    this.wire += o.wire;
    this.body += o.body;
    this.sent += o.sent;
    this.documentLength ??= o.documentLength;
    this.serverSoftware ??= o.serverSoftware;
    const lastEnd = o.lastEndEpoch === 0 ? 0 : o.lastEndEpoch - performance.timeOrigin;
    if (lastEnd > this.lastEnd) this.lastEnd = lastEnd;
    for (const [k, v] of o.status) this.#status.set(k, (this.#status.get(k) ?? 0) + v);
    for (const [k, v] of o.errors) this.#errors.set(k, (this.#errors.get(k) ?? 0) + v);
    this.#connect.absorb(o.connect);
    this.#processing.absorb(o.processing);
    this.#waiting.absorb(o.waiting);
    this.#total.absorb(o.total);
    if (o.perLine !== undefined) this.#perLine?.absorb(o.perLine);
    this.timeline.absorb(o.timeline);
    this.tls.absorb(o.tls);
  }

  /** Builds the result; `startedAt` is performance.now() at the start of the run. */
  result(startedAt: number, flags: { interrupted: boolean; timedOut: boolean }): BenchResult {
    const info = this.#info;
    const end = this.lastEnd > startedAt ? this.lastEnd : performance.now();
    const seconds = (end - startedAt) / 1000;
    const done = this.complete;
    const tls = this.tls.result();
    return {
      ...targetOf(info),
      serverSoftware: this.serverSoftware ?? "",
      documentLength: info.variableLength ? null : this.documentLength,
      timeTakenSeconds: seconds,
      complete: done,
      failed: this.failed,
      failures: { ...this.failures },
      non2xx: this.non2xx,
      keepAliveRequests: this.keepAlive,
      totalTransferred: this.wire,
      totalTransferredExact: info.exactWireBytes,
      htmlTransferred: this.body,
      totalBodySent: this.sent,
      ...this.#rates(seconds),
      ...this.#timings(),
      statusCodes: Object.fromEntries([...this.#status].sort((a, b) => a[0] - b[0])),
      errors: Object.fromEntries([...this.#errors].sort((a, b) => b[1] - a[1])),
      interrupted: flags.interrupted,
      timedOut: flags.timedOut,
      latencyHistogram: this.#total.state().hist,
      timingHistograms: {
        connect: info.connectTimes ? this.#connect.state().hist : "",
        processing: info.connectTimes ? this.#processing.state().hist : "",
        waiting: this.#waiting.state().hist,
      },
      ...(this.#perLine !== null ? { perUrl: this.#perLine.result(seconds) } : {}),
      timeline: this.timeline.points(seconds * 1000),
      ...(tls !== null ? { tls } : {}),
    };
  }

  /** ab's rates over `seconds` (0 when nothing completed). */
  #rates(seconds: number): Pick<
    BenchResult,
    "requestsPerSecond" | "timePerRequestMs" | "timePerRequestAllMs" | "transferRateKBps"
  > {
    const info = this.#info;
    const done = this.complete;
    const rate = (x: number) => (seconds > 0 && done > 0 ? x : 0);
    return {
      requestsPerSecond: rate(done / seconds),
      timePerRequestMs: rate(
        info.rate === null
          ? (info.concurrency * seconds * 1000) / done
          : this.#total.sum / done / 1000,
      ),
      timePerRequestAllMs: rate((seconds * 1000) / done),
      transferRateKBps: rate(this.wire / 1024 / seconds),
    };
  }

  /** ab's connection times table and the latency percentiles (none before a response). */
  #timings(): Pick<BenchResult, "connectionTimes" | "percentiles"> {
    const info = this.#info;
    const percentiles: Record<string, number> = {};
    if (this.complete === 0) return { connectionTimes: null, percentiles };
    for (const p of PERCENTILES) {
      percentiles[String(p)] = p === 100
        ? this.#total.max / 1000
        : this.#total.hist.getValueAtPercentile(p) / 1000;
    }
    return {
      connectionTimes: {
        connect: info.connectTimes ? this.#connect.stats() : null,
        processing: info.connectTimes ? this.#processing.stats() : null,
        waiting: this.#waiting.stats(),
        total: this.#total.stats(),
      },
      percentiles,
    };
  }
}
