/**
 * `deno task soak:tls`: many TLS connections of every kind (full and resumed handshakes, clients
 * that abort mid-handshake, garbage instead of a ClientHello, truncated records, resets into a
 * response; see `_soak_client.ts`) through each TLS server netlab has, in this process: `serve
 * --cert` (`startHttp1({ tls })`), and `balance --cert --key` in tcp and in http mode
 * (`startBalancer({ tls })`, what the CLI runs) in front of a plain serve. The client runs as its
 * own process; afterwards the server's TCP sockets and OpenSSL objects must be back at their
 * starting counts. One summary line per target; exit 1 when a check fails.
 *
 * Usage: deno run -A tests/tls/_soak_targets.ts [COUNT=10000] [CONCURRENCY=16] [TARGET...]
 * (TARGET: serve, tcp, http; all three by default). Loopback only; the client is killed, and the
 * run fails, when it takes longer than 60 s + 50 ms per connection.
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { startBalancer } from "../../lib/balancer/balancer.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import type { TlsCounters } from "../../lib/tls/counters.ts";
import { makePki, openTcpSockets, type TestPki } from "./_certs.ts";
import type { SoakReport } from "./_soak_client.ts";

const TARGETS = ["serve", "tcp", "http"] as const;
type Target = (typeof TARGETS)[number];

/** A TLS server under soak. */
interface Under extends AsyncDisposable {
  port: number;
  counters: TlsCounters;
  /** Client connections still open. */
  active(): number;
}

async function open(target: Target, pki: TestPki): Promise<Under> {
  const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
  const tls = { identities: [{ cert: leaf.cert, key: leaf.key }] };
  const root = await defaultRoot();
  if (target === "serve") {
    const s = startHttp1({ root, port: 0, accessLog: false, tls });
    return {
      port: s.addr.port,
      counters: s.tls!,
      active: () => s.tls!.connections,
      [Symbol.asyncDispose]: () => s.shutdown(),
    };
  }
  const backend = startHttp1({ root, port: 0, accessLog: false });
  const lb = await startBalancer({
    backends: [{ host: "127.0.0.1", port: backend.addr.port, weight: 1 }],
    port: 0,
    mode: target,
    engine: "epoll",
    healthIntervalMs: 0,
    backendConns: 1, // http mode: one pooled backend connection, so sockets count exactly
    tls,
  });
  return {
    port: lb.addr.port,
    counters: lb.tlsCounters!,
    active: () => lb.stats().active,
    async [Symbol.asyncDispose]() {
      await lb.stop(0);
      await backend.shutdown();
    },
  };
}

/** Runs the client process: what it saw. */
async function client(port: number, ca: string, count: number, concurrency: number) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_soak_client.ts", import.meta.url).pathname,
      ...[String(port), ca, String(count), String(concurrency)],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000 + 50 * count),
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `the client failed (code ${out.code}, signal ${out.signal}): ${err}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as SoakReport;
}

/** Waits, bounded in rounds (not a timed assertion), until `ok()` holds. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), what);
}

const descriptors = () => Array.from(Deno.readDirSync("/proc/self/fd")).length;

/** Soaks one target: its summary line. */
export async function soakTarget(
  target: Target,
  count: number,
  concurrency: number,
): Promise<string> {
  await using pki = await makePki();
  const started = performance.now();
  let line: string;
  let tls: TlsCounters;
  {
    await using s = await open(target, pki);
    tls = s.counters;
    // warm: the loop, the backend pool, lazily opened libraries
    await client(s.port, pki.caFile, 20, 4);
    await until("the warm-up's connections closed", () => s.active() === 0);
    const sockets = openTcpSockets();
    const fds = descriptors();
    const base = { ...tls };
    const seen = await client(s.port, pki.caFile, count, concurrency);
    await until("every connection closed", () => s.active() === 0 && tls.connections === 0);
    await until(`TCP sockets back to ${sockets}`, () => openTcpSockets() <= sockets);
    const made = tls.made - base.made;
    assert.equal(tls.freed, tls.made, "every SSL freed");
    const failed = Object.entries(seen.failed).filter(([, n]) => n > 0);
    assert.deepEqual(failed, [], `client failures: ${seen.errors.join("; ")}`);
    assert.ok(made >= count, `${made} SSL objects for ${count} connections`);
    line = `${label(target)}: ${count} connections (${kinds(seen)}; ${seen.resumed} resumed as ` +
      `the client saw it); server: ${tls.handshakes - base.handshakes} handshakes ` +
      `(${tls.resumed - base.resumed} resumed), ` +
      `${tls.failed - base.failed} failed; SSL made ${made}, freed ${tls.freed - base.freed}, ` +
      `alive ${tls.connections}; TCP sockets ${sockets} -> ${openTcpSockets()}, ` +
      `descriptors ${fds} -> ${descriptors()}`;
  }
  assert.equal(tls.contexts, 0, "every SSL_CTX freed");
  assert.equal(tls.callbacks, 0, "every callback closed");
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `${line}; SSL_CTX and callbacks 0 after stop (${seconds} s)`;
}

function label(target: Target): string {
  return target === "serve" ? "serve --cert" : `balance --cert (${target} mode)`;
}

function kinds(seen: SoakReport): string {
  return Object.entries(seen.ran).map(([k, n]) => `${n} ${k}`).join(", ");
}

if (import.meta.main) {
  const count = Number(Deno.args[0] ?? 10_000);
  const concurrency = Number(Deno.args[1] ?? 16);
  const chosen = Deno.args.slice(2) as Target[];
  let ok = true;
  for (const target of chosen.length > 0 ? chosen : TARGETS) {
    try {
      // deno-lint-ignore no-console
      console.log(await soakTarget(target, count, concurrency));
    } catch (err) {
      ok = false;
      // deno-lint-ignore no-console
      console.log(`${label(target)}: FAILED: ${err instanceof Error ? err.message : err}`);
    }
  }
  if (!ok) Deno.exit(1);
}
