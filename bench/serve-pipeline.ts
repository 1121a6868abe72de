/**
 * `deno task perf serve-pipeline`: what a client that pipelines many GETs for a cached file and
 * never reads its answers costs a server. It writes 2,000 GETs for a 256 KiB file (cached: the
 * fast path) in one go and then only holds the connection; meanwhile another client asks for a
 * small file every 50 ms for 3 s. Figures: the server's resident-set growth during the stall, the
 * other client's slowest answer and how many of its requests were answered, and whether the
 * server then stops on SIGTERM (within 5 s). nginx (one worker) takes the same turn as anchor.
 * `NETLAB_PIPELINE_REQUESTS` changes the count; `NETLAB_BEFORE=/other/checkout/main.ts` adds
 * that checkout's netlab as a third contender (before and after a change, in one run).
 * Goals (issue #20): under 2 MB of growth, the other client answered within 50 ms.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  freePort,
  loadAverage,
  type PerfRow,
  processTree,
  rss,
  startNetlab,
  startNginx,
} from "./_tools.ts";
import { PerfLock } from "./_lock.ts";

const REQUESTS = Number(Deno.env.get("NETLAB_PIPELINE_REQUESTS") ?? 2000);
const FILE_BYTES = 256 * 1024;
const PROBE_EVERY_MS = 50;
const PROBE_FOR_MS = 3000;
const PROBE_GUARD_MS = 2000;

/** One GET on a new connection; its latency in ms, or null when unanswered within the guard. */
async function probe(port: number): Promise<number | null> {
  const t0 = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), PROBE_GUARD_MS);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/small.txt`, {
      signal: ac.signal,
      headers: { connection: "close" },
    });
    await res.arrayBuffer();
    return res.ok ? performance.now() - t0 : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

interface Outcome {
  growth: number;
  worstMs: number;
  p90Ms: number;
  answered: number;
  probes: number;
}

async function stall(pid: number, port: number): Promise<Outcome> {
  // warm: the file cached (the fast path), code paths compiled
  for (let i = 0; i < 3; i++) {
    await (await fetch(`http://127.0.0.1:${port}/big.bin`)).arrayBuffer();
    await probe(port);
  }
  // and the stalled path once, briefly: what is measured is the stall, not code compiled for it
  const warm = await Deno.connect({ hostname: "127.0.0.1", port });
  await warm.write(new TextEncoder().encode("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".repeat(50)));
  // probes for as long again as the measurement: the heap they grow is grown before it starts
  const warmEnd = performance.now() + PROBE_FOR_MS;
  while (performance.now() < warmEnd) await probe(port);
  warm.close();
  await new Promise((r) => setTimeout(r, 300));
  const tree = processTree(pid);
  const before = rss(tree);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const req = new TextEncoder().encode("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".repeat(REQUESTS));
  // written in the background: a server that stops reading leaves it pending, which is the point
  const writing = (async () => {
    let off = 0;
    while (off < req.length) off += await conn.write(req.subarray(off));
  })().catch(() => {});
  let peak = before;
  const latencies: (number | null)[] = [];
  const end = performance.now() + PROBE_FOR_MS;
  while (performance.now() < end) {
    const started = performance.now();
    latencies.push(await probe(port));
    peak = Math.max(peak, rss(tree));
    await new Promise((r) =>
      setTimeout(r, Math.max(0, PROBE_EVERY_MS - (performance.now() - started)))
    );
  }
  peak = Math.max(peak, rss(tree));
  conn.close();
  await writing;
  const answered = latencies.filter((l): l is number => l !== null);
  return {
    growth: peak - before,
    worstMs: answered.length === latencies.length ? Math.max(...answered) : Infinity,
    p90Ms: answered.sort((a, b) => a - b)[Math.floor(answered.length * 0.9)] ?? Infinity,
    answered: answered.length,
    probes: latencies.length,
  };
}

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const root = await Deno.makeTempDir({ prefix: "netlab-pipeline-" });
  await Deno.chmod(root, 0o755); // nginx's worker runs as nobody
  await Deno.writeFile(`${root}/big.bin`, new Uint8Array(FILE_BYTES).map((_, i) => i & 0xff));
  await Deno.writeTextFile(`${root}/small.txt`, "small\n");
  const lock = new PerfLock();
  const before = Deno.env.get("NETLAB_BEFORE");
  const contenders: [string, (port: number) => ReturnType<typeof startNginx>][] = [
    [
      "netlab",
      (port) => startNetlab(["serve", "--quiet", "--root", root, "--port", String(port)], port),
    ],
    ["nginx", (port) => startNginx(root, port)],
  ];
  if (before !== undefined) {
    contenders.push([
      "netlab-before",
      (port) =>
        startNetlab(["serve", "--quiet", "--root", root, "--port", String(port)], port, before),
    ]);
  }
  const results = new Map<string, Outcome>();
  for (const [name, start] of contenders) {
    const port = freePort();
    const child = await start(port);
    const out = await lock.run(() => stall(child.process.pid, port));
    const t0 = performance.now();
    await child[Symbol.asyncDispose]();
    const stopMs = performance.now() - t0;
    results.set(name, out);
    console.error(
      `serve-pipeline ${name}: +${(out.growth / 2 ** 20).toFixed(1)} MB RSS, other client ` +
        `${out.answered}/${out.probes} answered, p90 ${out.p90Ms.toFixed(1)} ms, slowest ` +
        `${out.worstMs.toFixed(1)} ms; ` +
        `stopped ${stopMs < 5000 ? `in ${stopMs.toFixed(0)} ms` : "only by SIGKILL"}`,
    );
  }
  await Deno.remove(root, { recursive: true });
  console.error(
    `serve-pipeline: ${REQUESTS} pipelined GETs never read, load average ${loadAverage()}`,
  );
  const a = results.get("netlab")!;
  const b = results.get("nginx")!;
  return [{
    section: "serve-pipeline",
    what: `RSS growth, ${REQUESTS} pipelined GETs never read (nginx/netlab; goal < 2 MB)`,
    netlab: a.growth,
    anchor: b.growth,
    anchorName: "nginx",
    unit: "B",
    inverse: true,
  }, {
    section: "serve-pipeline",
    what: `other client's slowest answer meanwhile (netlab/nginx; goal < 50 ms)`,
    netlab: a.worstMs,
    anchor: b.worstMs,
    anchorName: "nginx",
    unit: "ms",
    note: `${a.answered}/${a.probes} answered (nginx ${b.answered}/${b.probes})`,
  }];
}
