/**
 * What a bench run produces, and the recorder that builds it: exact counters plus HdrHistograms
 * (pure JS build) for the four ab timings, so memory stays flat however many requests run. With
 * several threads each has its own recorder; their states are added into one at the end.
 *
 * @module
 */
import { Outcome, type Sample } from "./engine.ts";
import { Series, type SeriesState } from "./_series.ts";

/** min, mean, standard deviation (n-1, as ab), median and max of one timing, in milliseconds. */
export interface TimingStats {
  /** Fastest, ms. */
  min: number;
  /** Exact mean, ms. */
  mean: number;
  /** Sample standard deviation (n-1), ms. */
  sd: number;
  /** Median from the histogram (3 significant digits), ms. */
  median: number;
  /** Slowest, ms. */
  max: number;
}

/** ab's "Failed requests" breakdown. */
export interface FailureCounts {
  /** The connection could not be opened. */
  connect: number;
  /** Reading failed or the connection closed before the response was complete. */
  receive: number;
  /** Complete response whose body length differs from the first one's (ab's Document Length). */
  length: number;
  /** Anything else: timeouts (-s), malformed responses. */
  exceptions: number;
}

/** The result of one bench run; every field the renderers print. */
export interface BenchResult {
  /** The URL loaded. */
  url: string;
  /** Host as in the URL, without brackets. */
  hostname: string;
  /** Port, the scheme's default when the URL has none. */
  port: number;
  /** Path and query. */
  path: string;
  /** HTTP method sent. */
  method: string;
  /** Engine that made the requests. */
  engine: "fetch" | "raw";
  /** Clients (connections) running at once. */
  concurrency: number;
  /** Threads that shared the clients (1: the calling thread alone). */
  threads: number;
  /** Whether keep-alive was asked for (ab -k). */
  keepAliveRequested: boolean;
  /** Requests per second asked with `rate` (open model), or null (closed model). */
  rate: number | null;
  /** The `Server` header of the first response ("" when absent or none arrived). */
  serverSoftware: string;
  /** Body length of the first complete response (null: none arrived, or `variableLength`). */
  documentLength: number | null;
  /** Seconds from the start to the last finished request (ab's "Time taken for tests"). */
  timeTakenSeconds: number;
  /** Responses fully received, any status (length failures included, as ab counts them). */
  complete: number;
  /** Failed requests: the sum of `failures`. */
  failed: number;
  /** ab's breakdown of the failed requests. */
  failures: FailureCounts;
  /** Complete responses with a status outside 200-299 (not failures, as in ab). */
  non2xx: number;
  /** Responses after which the server kept the connection open (only counted with keep-alive). */
  keepAliveRequests: number;
  /** Response bytes, headers included. */
  totalTransferred: number;
  /** False with the fetch engine: header bytes are reconstructed, not counted on the wire. */
  totalTransferredExact: boolean;
  /** Response body bytes. */
  htmlTransferred: number;
  /**
   * ab's "Total body sent": whole requests, head and body, as written (0 without a body). The
   * fetch engine cannot see request heads, so there it counts bodies only.
   */
  totalBodySent: number;
  /** Complete requests per second of `timeTakenSeconds`. */
  requestsPerSecond: number;
  /** concurrency × time / complete, in ms (ab's first "Time per request"). */
  timePerRequestMs: number;
  /** time / complete, in ms (ab's "across all concurrent requests"). */
  timePerRequestAllMs: number;
  /** Received kilobytes (1024) per second. */
  transferRateKBps: number;
  /** ab's Connection Times (ms); connect and processing are null when the engine cannot see them. */
  connectionTimes: {
    connect: TimingStats | null;
    processing: TimingStats | null;
    waiting: TimingStats;
    total: TimingStats;
  } | null;
  /** Total time percentiles in ms: "50", "66", ..., "99", "99.9", "99.99", "100". */
  percentiles: Record<string, number>;
  /** Responses per status code. */
  statusCodes: Record<string, number>;
  /** Failures grouped by cause. */
  errors: Record<string, number>;
  /** Stopped early by the caller's signal (Ctrl-C). */
  interrupted: boolean;
  /** A request hit the timeout (-s), which ends the run. */
  timedOut: boolean;
}

/** The percentiles the reports show: ab's nine plus two ab lacks. */
export const PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100] as const;

/** Static facts about a run that the counters do not know. */
export interface RunInfo {
  url: URL;
  method: string;
  engine: "fetch" | "raw";
  concurrency: number;
  threads: number;
  keepAlive: boolean;
  rate: number | null;
  /** Bytes sent per request, counted as ab's "Total body sent" (0: none to count). */
  sentBytes: number;
  variableLength: boolean;
  exactWireBytes: boolean;
  connectTimes: boolean;
}

/**
 * Decides the run's Document Length: given a complete response's body length, returns the length
 * every response is compared with (the first one's). Threads share one so that "the first response"
 * means the first of the whole run.
 */
export type DocumentLengthClaim = (bodyBytes: number) => number;

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

  constructor(info: RunInfo, claimDocumentLength?: DocumentLengthClaim) {
    this.#info = info;
    this.#claim = claimDocumentLength ?? null;
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
    if (s.end > this.lastEnd) this.lastEnd = s.end;
    if (s.outcome !== Outcome.Complete) {
      if (s.outcome === Outcome.Connect) this.failures.connect++;
      else if (s.outcome === Outcome.Receive) this.failures.receive++;
      else this.failures.exceptions++;
      this.#errors.set(s.cause, (this.#errors.get(s.cause) ?? 0) + 1);
      return;
    }
    this.sent += this.#info.sentBytes;
    this.complete++;
    if (this.serverSoftware === null && s.server !== null) this.serverSoftware = s.server;
    if (this.documentLength === null) {
      this.documentLength = this.#claim === null ? s.bodyBytes : this.#claim(s.bodyBytes);
    }
    if (s.bodyBytes !== this.documentLength && !this.#info.variableLength) {
      this.failures.length++;
      const cause = "body length differs from the first response";
      this.#errors.set(cause, (this.#errors.get(cause) ?? 0) + 1);
    }
    if (s.status < 200 || s.status > 299) this.non2xx++;
    if (s.keepAlive && this.#info.keepAlive) this.keepAlive++;
    this.#status.set(s.status, (this.#status.get(s.status) ?? 0) + 1);
    const totalUs = (s.end - s.intended) * 1000;
    this.#total.add(totalUs);
    if (this.#info.connectTimes) {
      const connectUs = s.connectMs * 1000;
      this.#connect.add(connectUs);
      this.#processing.add(totalUs - connectUs);
      this.#waiting.add((s.firstByte - s.writeDone) * 1000);
    } else {
      this.#waiting.add((s.firstByte - s.start) * 1000);
    }
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
  }

  /** Builds the result; `startedAt` is performance.now() at the start of the run. */
  result(startedAt: number, flags: { interrupted: boolean; timedOut: boolean }): BenchResult {
    const info = this.#info;
    const end = this.lastEnd > startedAt ? this.lastEnd : performance.now();
    const seconds = (end - startedAt) / 1000;
    const done = this.complete;
    const rate = (x: number) => (seconds > 0 && done > 0 ? x : 0);
    const percentiles: Record<string, number> = {};
    if (done > 0) {
      for (const p of PERCENTILES) {
        percentiles[String(p)] = p === 100
          ? this.#total.max / 1000
          : this.#total.hist.getValueAtPercentile(p) / 1000;
      }
    }
    const u = info.url;
    const tls = u.protocol === "https:";
    return {
      url: u.href,
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port) || (tls ? 443 : 80),
      path: `${u.pathname}${u.search}`,
      method: info.method,
      engine: info.engine,
      concurrency: info.concurrency,
      threads: info.threads,
      keepAliveRequested: info.keepAlive,
      rate: info.rate,
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
      requestsPerSecond: rate(done / seconds),
      timePerRequestMs: rate((info.concurrency * seconds * 1000) / done),
      timePerRequestAllMs: rate((seconds * 1000) / done),
      transferRateKBps: rate(this.wire / 1024 / seconds),
      connectionTimes: done === 0 ? null : {
        connect: info.connectTimes ? this.#connect.stats() : null,
        processing: info.connectTimes ? this.#processing.stats() : null,
        waiting: this.#waiting.stats(),
        total: this.#total.stats(),
      },
      percentiles,
      statusCodes: Object.fromEntries([...this.#status].sort((a, b) => a[0] - b[0])),
      errors: Object.fromEntries([...this.#errors].sort((a, b) => b[1] - a[1])),
      interrupted: flags.interrupted,
      timedOut: flags.timedOut,
    };
  }
}
