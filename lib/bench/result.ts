/**
 * What a bench run produces: the result every engine, thread count and report shares. The
 * recorder that builds it is in recorder.ts.
 *
 * @module
 */

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
  /** Why that engine: "auto: ..." or "asked for with --engine raw" (absent in older files). */
  engineReason?: string;
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
  /**
   * ab's first "Time per request", in ms: concurrency × time / complete in the closed model; in the
   * open model (`rate`), where that formula says nothing, the real mean of the total times.
   */
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
  /**
   * The total-time HdrHistogram in microseconds, compressed and base64-encoded ("" when no request
   * completed), so that runs can be merged and compared later.
   */
  latencyHistogram?: string;
  /**
   * The HdrHistograms of ab's other Connection Times, encoded as `latencyHistogram` ("" where the
   * engine cannot see one or nothing completed), so that `bench merge` gives their exact medians.
   */
  timingHistograms?: TimingHistograms;
  /** With many requests (`--urls-file`): each line counted apart, in the file's order. */
  perUrl?: PerUrlResult[];
  /** Per second (per longer slot past 1200 s): req/s, p50, p99 and errors. */
  timeline?: TimelinePoint[];
  /** The TLS handshakes of an https run (raw engine; fetch cannot see them). */
  tls?: TlsResult;
}

/** The TLS handshakes of a run: each is part of the Connect time of the request that made it. */
export interface TlsResult {
  /** Handshakes completed. */
  handshakes: number;
  /** Of those, resumed from a session of an earlier connection (null: Deno's TLS cannot say). */
  resumed: number | null;
  /** Handshake time after the TCP connect, ms. */
  handshakeMs: { min: number; mean: number; max: number };
  /** Protocol version, e.g. `TLSv1.3` (null: Deno's TLS cannot say). */
  protocol: string | null;
  /** Cipher suite, e.g. `TLS_AES_256_GCM_SHA384` (null: Deno's TLS cannot say). */
  cipher: string | null;
}

/** One slot (a second, longer on long runs) of a run's time series. */
export interface TimelinePoint {
  /** Start of the slot, seconds from the start of the run. */
  second: number;
  /** Complete responses per second in the slot. */
  requestsPerSecond: number;
  /** Complete responses that ended in the slot. */
  complete: number;
  /** Failed requests that ended in the slot. */
  errors: number;
  /** Median total time of the slot's complete responses, ms (about 4% precise). */
  p50?: number;
  /** 99th percentile of the same, ms. */
  p99?: number;
}

/** One request line of a many-requests run (`--urls-file`), counted apart. */
export interface PerUrlResult {
  /** "GET /path" (the URL in full when on another origin than the first line's). */
  label: string;
  /** Method sent. */
  method: string;
  /** The URL. */
  url: string;
  /** Complete responses (any status). */
  complete: number;
  /** Failed requests (length failures included). */
  failed: number;
  /** Complete responses outside 200-299. */
  non2xx: number;
  /** Complete responses per second of the run's time. */
  requestsPerSecond: number;
  /** Mean total time, ms. */
  meanMs: number;
  /** Total-time percentiles in ms, keys as `BenchResult.percentiles`. */
  percentiles: Record<string, number>;
  /** Responses per status code. */
  statusCodes: Record<string, number>;
  /** Total-time HdrHistogram, encoded as `latencyHistogram`. */
  latencyHistogram: string;
}

/** Encoded HdrHistograms (µs) of the connect, processing and waiting times of a run. */
export interface TimingHistograms {
  /** Connect times ("" with the fetch engine). */
  connect: string;
  /** Processing times ("" with the fetch engine). */
  processing: string;
  /** Waiting times (to the first response byte). */
  waiting: string;
}

/** The percentiles the reports show: ab's nine plus two ab lacks. */
export const PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100] as const;
