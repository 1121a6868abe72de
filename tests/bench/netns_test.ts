/**
 * Shards for real: a server in one network namespace, three bench shards in three others, each
 * with its own address, started together with --start-at and merged. The namespaces, their veth
 * pairs and their private addresses (10.213.x.y) exist only inside this test and are always
 * deleted at its end.
 */
import assert from "node:assert/strict";
import type { BenchCell } from "../../lib/bench/cell.ts";
import { MAIN, netlab } from "../_netlab.ts";
import { percentilesOfAll } from "./_histograms.ts";

const TAG = `nl${Deno.pid % 100000}`;
const SERVER_NS = `${TAG}-srv`;
const SHARDS = 3;
const shardNs = (i: number) => `${TAG}-s${i}`;
const SERVER_IP = "10.213.0.1";
const PORT = 8000;
const REQUESTS = 600;
const CONCURRENCY = 9;

function ip(args: string[]): Deno.CommandOutput {
  return new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
}

/** Why the test cannot run here, or null when it can (root, `ip`, and namespaces allowed). */
function cannotRun(): string | null {
  if (Deno.build.os !== "linux") return "network namespaces are Linux's";
  if (Deno.uid() !== 0) return "ip netns needs root";
  try {
    const probe = `${TAG}-probe`;
    if (!ip(["netns", "add", probe]).success) return "this machine refuses ip netns add";
    ip(["netns", "del", probe]);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "needs ip (Debian package iproute2)";
    throw err;
  }
  return null;
}

const why = cannotRun();

/** Runs `ip`, failing the test with its message when it fails. */
function must(args: string[]): void {
  const out = ip(args);
  assert.ok(out.success, `ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * The server's namespace holds 10.213.0.1 on its loopback and one veth per shard; shard i's
 * namespace holds 10.213.(i+1).2, routed to the server through its veth.
 */
function buildNetwork(created: string[]): void {
  for (const ns of [SERVER_NS, ...Array.from({ length: SHARDS }, (_, i) => shardNs(i))]) {
    must(["netns", "add", ns]);
    created.push(ns);
    must(["-n", ns, "link", "set", "lo", "up"]);
  }
  must(["-n", SERVER_NS, "addr", "add", `${SERVER_IP}/32`, "dev", "lo"]);
  for (let i = 0; i < SHARDS; i++) {
    const [here, there, net] = [`${TAG}a${i}`, `${TAG}b${i}`, `10.213.${i + 1}`];
    must([
      "-n",
      SERVER_NS,
      "link",
      "add",
      here,
      "type",
      "veth",
      "peer",
      "name",
      there,
      "netns",
      shardNs(i),
    ]);
    must(["-n", SERVER_NS, "addr", "add", `${net}.1/24`, "dev", here]);
    must(["-n", SERVER_NS, "link", "set", here, "up"]);
    must(["-n", shardNs(i), "addr", "add", `${net}.2/24`, "dev", there]);
    must(["-n", shardNs(i), "link", "set", there, "up"]);
    must(["-n", shardNs(i), "route", "add", "default", "via", `${net}.1`]);
  }
}

/** `netlab ...args` inside namespace `ns`. */
function inNamespace(ns: string, args: string[], options: Deno.CommandOptions = {}): Deno.Command {
  return new Deno.Command("ip", {
    args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", "--unstable-net", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...options,
  });
}

/** Reads lines of a stream until one matches, returning it (null at the end of the stream). */
async function lineMatching(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<string | null> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      text += value;
      const line = text.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) return line;
    }
  } finally {
    reader.releaseLock();
  }
}

Deno.test({
  name: why === null
    ? "bench shards in three network namespaces merge to exactly the whole run"
    : `bench shards in three network namespaces merge to exactly the whole run (skipped: ${why})`,
  ignore: why !== null,
  async fn() {
    const created: string[] = [];
    const dir = await Deno.makeTempDir({ prefix: "netlab-netns-" });
    let server: Deno.ChildProcess | null = null;
    try {
      buildNetwork(created);
      server = inNamespace(SERVER_NS, [
        "serve",
        ...["--host", "0.0.0.0", "--port", String(PORT), "--quiet"],
      ], { stdout: "null" }).spawn();
      const listening = await lineMatching(server.stderr, /listening on/);
      assert.ok(listening !== null, "netlab serve started in the server's namespace");

      const url = `http://${SERVER_IP}:${PORT}/page.html`;
      // far enough ahead for three processes to start on a busy machine
      const startAt = String(Date.now() + 10_000);
      const shards = await Promise.all(
        Array.from({ length: SHARDS }, (_, i) =>
          inNamespace(shardNs(i), [
            "bench",
            ...["-n", String(REQUESTS), "-c", String(CONCURRENCY), "-k", "--engine", "raw"],
            ...["-t", "60", "-s", "10", "-q", "--format", "json"],
            ...["--shard", `${i}/${SHARDS}`, "--start-at", startAt],
            ...["--out", `${dir}/shard-${i}.json`],
            url,
          ]).output()),
      );
      for (const s of shards) assert.equal(s.code, 0, new TextDecoder().decode(s.stderr));
      const cells: BenchCell[] = await Promise.all(
        Array.from(
          { length: SHARDS },
          async (_, i) =>
            (JSON.parse(await Deno.readTextFile(`${dir}/shard-${i}.json`)) as BenchCell[])[0]!,
        ),
      );
      const runs = cells.map((c) => c.runs[0]!);
      assert.deepEqual(runs.map((r) => r.complete), [200, 200, 200]);
      for (const r of runs) assert.ok(Date.parse(r.startedAt) >= Number(startAt));

      const merged = await netlab([
        "bench",
        "merge",
        "--format",
        "json",
        ...cells.map((_, i) => `${dir}/shard-${i}.json`),
      ]);
      assert.equal(merged.code, 0, merged.stderr);
      const [m]: BenchCell[] = JSON.parse(merged.stdout);
      assert.equal(m!.summary.complete, REQUESTS, "Complete is the requested total");
      assert.equal(m!.summary.failed, 0);
      assert.equal(m!.concurrency, CONCURRENCY);
      assert.deepEqual(m!.merged?.shards, [0, 1, 2]);
      assert.deepEqual(
        m!.summary.percentiles,
        percentilesOfAll(
          runs.map((r) => r.latencyHistogram),
          runs.map((r) => r.percentiles["100"]!),
        ),
        "percentiles of one histogram fed every shard's samples",
      );
    } finally {
      if (server !== null) {
        server.kill("SIGTERM");
        await server.status;
        await server.stderr.cancel().catch(() => {});
      }
      for (const ns of created.reverse()) ip(["netns", "del", ns]);
      await Deno.remove(dir, { recursive: true });
    }
    const left = new TextDecoder().decode(ip(["netns", "list"]).stdout);
    assert.doesNotMatch(left, new RegExp(TAG), "every namespace is gone");
  },
});
