/**
 * Per-backend request counters of the http mode: requests, status classes, bytes and a
 * histogram of response times (Prometheus buckets), and their `/metrics` text. Counting costs a
 * few array stores per request; nothing is allocated.
 *
 * @module
 */

/** Upper bounds of the response-time buckets, in seconds (as Prometheus names them). */
export const BUCKETS_S: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** One backend's request counters. */
export class RequestMetrics {
  /** Responses by class: index 0 for 1xx ... 4 for 5xx. */
  readonly classes: number[] = [0, 0, 0, 0, 0];
  requests = 0;
  /** Request bytes sent to the backend (heads as rewritten, bodies as framed). */
  bytesUp = 0;
  /** Response bytes sent to clients (heads as rewritten, bodies as framed). */
  bytesDown = 0;
  /** Cumulative bucket counts; the last is +Inf. */
  readonly buckets: number[] = new Array(BUCKETS_S.length + 1).fill(0);
  /** Sum of response times in seconds. */
  seconds = 0;

  /** Counts one answered request. */
  note(status: number, ms: number): void {
    this.requests++;
    const c = Math.floor(status / 100) - 1;
    if (c >= 0 && c < 5) this.classes[c]!++;
    const s = ms / 1000;
    this.seconds += s;
    let i = 0;
    while (i < BUCKETS_S.length && s > BUCKETS_S[i]!) i++;
    this.buckets[i]!++;
  }

  /** A plain copy, for `/stats`. */
  snapshot(): RequestStats {
    return {
      requests: this.requests,
      "1xx": this.classes[0]!,
      "2xx": this.classes[1]!,
      "3xx": this.classes[2]!,
      "4xx": this.classes[3]!,
      "5xx": this.classes[4]!,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      responseSeconds: this.seconds,
      buckets: [...this.buckets],
    };
  }
}

/** One backend's request counters as `/stats` gives them. */
export interface RequestStats {
  requests: number;
  "1xx": number;
  "2xx": number;
  "3xx": number;
  "4xx": number;
  "5xx": number;
  bytesUp: number;
  bytesDown: number;
  responseSeconds: number;
  /** Response times per bucket of {@link BUCKETS_S} (not cumulative), the last one +Inf. */
  buckets: number[];
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

/** The Prometheus text of every backend's request counters (http mode). */
export function renderRequestMetrics(rows: readonly [string, RequestStats][]): string[] {
  const out: string[] = [];
  out.push(
    "# HELP netlab_backend_http_requests_total Requests answered, by backend and status class.",
    "# TYPE netlab_backend_http_requests_total counter",
  );
  const classes = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
  for (const [address, m] of rows) {
    for (const c of classes) {
      out.push(`netlab_backend_http_requests_total{backend="${esc(address)}",code="${c}"} ${m[c]}`);
    }
  }
  out.push(
    "# HELP netlab_backend_http_response_seconds From a request's head to its response's end.",
    "# TYPE netlab_backend_http_response_seconds histogram",
  );
  for (const [address, m] of rows) {
    const b = `backend="${esc(address)}"`;
    let cumulative = 0;
    for (let i = 0; i < BUCKETS_S.length; i++) {
      cumulative += m.buckets[i]!;
      out.push(
        `netlab_backend_http_response_seconds_bucket{${b},le="${BUCKETS_S[i]}"} ${cumulative}`,
      );
    }
    cumulative += m.buckets[BUCKETS_S.length]!;
    out.push(`netlab_backend_http_response_seconds_bucket{${b},le="+Inf"} ${cumulative}`);
    out.push(`netlab_backend_http_response_seconds_sum{${b}} ${m.responseSeconds}`);
    out.push(`netlab_backend_http_response_seconds_count{${b}} ${cumulative}`);
  }
  return out;
}
