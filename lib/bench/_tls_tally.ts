/**
 * The TLS handshakes of a bench run, counted apart from the requests that made them: how many,
 * how many resumed a session, how long they took (inside ab's Connect time, which is TCP and
 * TLS together, as ab's is) and what they agreed. One per recorder; threads' tallies add up.
 *
 * @module
 */
import type { Sample } from "./engine.ts";
import type { TlsResult } from "./result.ts";

/** A tally's counters as plain data, to cross a worker boundary. */
export interface TlsTallyState {
  handshakes: number;
  /** Handshakes whose resumption the engine could see. */
  seen: number;
  resumed: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
  protocol: string;
  cipher: string;
}

/** Counts the handshakes of recorded samples. */
export class TlsTally {
  #s: TlsTallyState = {
    handshakes: 0,
    seen: 0,
    resumed: 0,
    sumMs: 0,
    minMs: Infinity,
    maxMs: 0,
    protocol: "",
    cipher: "",
  };

  /** Counts the handshake of `s`, if it made one. */
  record(s: Sample): void {
    const ms = s.handshakeMs;
    if (ms < 0) return;
    const t = this.#s;
    t.handshakes++;
    t.sumMs += ms;
    if (ms < t.minMs) t.minMs = ms;
    if (ms > t.maxMs) t.maxMs = ms;
    if (s.resumed >= 0) {
      t.seen++;
      t.resumed += s.resumed;
    }
    if (t.protocol === "" && s.protocol !== "") {
      t.protocol = s.protocol;
      t.cipher = s.cipher;
    }
  }

  state(): TlsTallyState {
    return { ...this.#s };
  }

  /** Adds another thread's tally. */
  absorb(o: TlsTallyState): void {
    const t = this.#s;
    t.handshakes += o.handshakes;
    t.seen += o.seen;
    t.resumed += o.resumed;
    t.sumMs += o.sumMs;
    t.minMs = Math.min(t.minMs, o.minMs);
    t.maxMs = Math.max(t.maxMs, o.maxMs);
    if (t.protocol === "") {
      t.protocol = o.protocol;
      t.cipher = o.cipher;
    }
  }

  /** The result's `tls` field, or null when no handshake was seen. */
  result(): TlsResult | null {
    const t = this.#s;
    if (t.handshakes === 0) return null;
    return {
      handshakes: t.handshakes,
      resumed: t.seen === t.handshakes ? t.resumed : null,
      handshakeMs: { min: t.minMs, mean: t.sumMs / t.handshakes, max: t.maxMs },
      protocol: t.protocol || null,
      cipher: t.cipher || null,
    };
  }
}

/** The `tls` fields of several shards of one run, added up (undefined when none has one). */
export function mergeTls(parts: readonly (TlsResult | undefined)[]): TlsResult | undefined {
  const seen = parts.filter((p): p is TlsResult => p !== undefined);
  if (seen.length === 0) return undefined;
  const handshakes = seen.reduce((n, p) => n + p.handshakes, 0);
  const first = seen.find((p) => p.protocol !== null);
  return {
    handshakes,
    resumed: seen.every((p) => p.resumed !== null)
      ? seen.reduce((n, p) => n + p.resumed!, 0)
      : null,
    handshakeMs: {
      min: Math.min(...seen.map((p) => p.handshakeMs.min)),
      mean: seen.reduce((n, p) => n + p.handshakeMs.mean * p.handshakes, 0) / handshakes,
      max: Math.max(...seen.map((p) => p.handshakeMs.max)),
    },
    protocol: first?.protocol ?? null,
    cipher: first?.cipher ?? null,
  };
}
