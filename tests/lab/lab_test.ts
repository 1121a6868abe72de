import assert from "node:assert/strict";
import { readLines } from "../../lib/lab/_lines.ts";
import type { LabResult } from "../../lib/lab/types.ts";
import { selfCommand } from "../../lib/runtime/self.ts";
import { netlab } from "../_netlab.ts";

const LAB_HEADER =
  "| No test | Concurrency level | Time taken for test (seconds) | Complete request | Failed request | Total transferred (bytes) | Request per second | Time per request (ms) | Transfer rate (Kbytes/sec) |";
const FREE_PORTS = [
  "--backend-ports",
  "0,0,0,0",
  "--balancer-port",
  "0",
  "--async-port",
  "0",
  "--pool-port",
  "0",
];

function alive(pid: number): boolean {
  try {
    // A zombie (state Z) has exited; only its parent has not collected it yet.
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function portFree(address: string): boolean {
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return false;
    throw err;
  }
}

Deno.test("netlab lab runs the matrix, writes its files and leaves no process behind", async () => {
  const out = await Deno.makeTempDir({ prefix: "netlab-lab-" });
  try {
    const args = ["lab", "-n", "40", "--concurrency-levels", "1,4", "--workers", "2", "--out", out];
    const { code, stdout, stderr } = await netlab([...args, ...FREE_PORTS]);
    assert.equal(code, 0, stderr);
    // Three tables in the lab's columns, a row per level.
    const tables = stdout.split(LAB_HEADER).slice(1).map((t) => t.split("\n## ")[0]!);
    assert.equal(tables.length, 3, stdout);
    for (const t of tables) {
      const rows = t.split("\n").filter((l) => /^\| \d/.test(l));
      assert.deepEqual(rows.map((r) => r.split("|")[2]!.trim()), ["1", "4"]);
      for (const r of rows) assert.match(r, /^\| \d \| \d \| [\d.]+ \| 40 \| 0 \| \d+ \|/);
    }
    assert.match(stdout, /## Comparison/);
    assert.match(stderr, /\[6\/6\] balancer/);
    // Only the lab speaks on stderr: no library warning slips in between its lines.
    const unexpected = stderr.trimEnd().split("\n").filter((l) =>
      !/^(started the .* \(pid \d+\)|\[\d\/6\] .*|stopped every server|wrote .*)$/.test(l)
    );
    assert.deepEqual(unexpected, []);
    // The files, and what results.json says about the run.
    assert.equal(await Deno.readTextFile(`${out}/report.md`), stdout);
    const html = await Deno.readTextFile(`${out}/report.html`);
    assert.equal(html.match(/<figure class="chart"/g)?.length, 2);
    const result: LabResult = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
    assert.equal(result.runs.length, 6);
    assert.deepEqual(result.runs.map((r) => r.model), [
      "async",
      "async",
      "pool",
      "pool",
      "balancer",
      "balancer",
    ]);
    // Round-robin made visible: every backend got its share of the balancer's connections.
    const counts = result.connections.map((c) => c.connections);
    assert.equal(counts.length, 4);
    assert.ok(counts.reduce((a, b) => a + b) >= 80, `connections: ${counts}`);
    // Exactly even unless a retry or health check moved a connection on a loaded machine.
    const sum = counts.reduce((a, b) => a + b);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= Math.max(1, sum / 10), `${counts}`);
    // Nothing survives the lab.
    assert.equal(result.servers.length, 7);
    for (const s of result.servers) {
      assert.ok(!alive(s.pid), `the ${s.name} (pid ${s.pid}) is still running`);
      assert.ok(portFree(s.address), `${s.address} of the ${s.name} is still taken`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("netlab lab with a busy port fails in one line naming it and the flag", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const { code, stdout, stderr } = await netlab([
    "lab",
    ...FREE_PORTS,
    "--pool-port",
    String(port),
  ]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    `netlab lab: Cannot listen on 127.0.0.1:${port}: address already in use (needed by the worker pool; change it with --pool-port)\n`,
  );
});

Deno.test("netlab lab rejects a concurrency level above -n (exit 2)", async () => {
  const { code, stderr } = await netlab(["lab", "-n", "10", "--concurrency-levels", "5,20"]);
  assert.equal(code, 2);
  assert.match(stderr, /^netlab lab: Concurrency level 20 is not from 1 to -n 10\n.*--help/);
});

interface Started {
  pid: number;
  address: string;
}

/**
 * Starts a lab that would run for hours, sends it `signal` once all seven servers have started,
 * and returns them with the lab's stderr lines and exit status.
 */
async function interruptLab(signal: Deno.Signal) {
  const { cmd, args } = selfCommand([
    "lab",
    "-n",
    "1000000",
    "--concurrency-levels",
    "1",
    "--workers",
    "1",
    ...FREE_PORTS,
  ]);
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const started: Started[] = [];
  const lines: string[] = [];
  // stderr ends when the lab has exited.
  for await (const line of readLines(child.stderr)) {
    lines.push(line);
    const m = /^started the .* on (\S+) \(pid (\d+)\)$/.exec(line);
    if (m) started.push({ address: m[1]!, pid: Number(m[2]) });
    if (m && started.length === 7) child.kill(signal);
  }
  return { started, lines, status: await child.status };
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`netlab lab stops every server on ${signal} and exits ${code}`, async () => {
    const { started, lines, status } = await interruptLab(signal);
    assert.equal(status.code, code, lines.join("\n"));
    assert.match(lines.at(-1)!, /interrupted; every server was stopped/);
    for (const s of started) {
      assert.ok(!alive(s.pid), `pid ${s.pid} is still running`);
      assert.ok(portFree(s.address), `${s.address} is still taken`);
    }
  });
}

Deno.test("netlab lab's servers stop by themselves when the lab is killed outright", async () => {
  // SIGKILL: the lab gets no chance to stop anyone; its servers must notice on their own.
  const { started, lines, status } = await interruptLab("SIGKILL");
  try {
    assert.equal(status.signal, "SIGKILL");
    assert.equal(started.length, 7, lines.join("\n"));
    // Each server drains and exits once its stdin pipe from the lab closes; a bound, not a timing.
    for (let i = 0; i < 300 && started.some((s) => alive(s.pid)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(started.filter((s) => alive(s.pid)), [], "servers outlived the lab");
    for (const s of started) assert.ok(portFree(s.address), `${s.address} is still taken`);
  } finally {
    for (const s of started) if (alive(s.pid)) Deno.kill(s.pid, "SIGKILL");
  }
});
