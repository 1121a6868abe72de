import assert from "node:assert/strict";
import { readLines } from "../../lib/lab/_lines.ts";
import type { LabResult } from "../../lib/lab/types.ts";
import { selfCommand } from "../../lib/runtime/self.ts";
import { netlab } from "../_netlab.ts";
import { needs } from "../_tools.ts";

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

Deno.test("netlab lab runs every cell --repeat times in turns, writes its files and leaves no process behind", async () => {
  const out = await Deno.makeTempDir({ prefix: "netlab-lab-" });
  try {
    const args = ["lab", "-n", "40", "--concurrency-levels", "1,4", "--workers", "2", "--out", out];
    const { code, stdout, stderr } = await netlab([
      ...args,
      ...["--repeat", "2", "--warmup", "10", "--anchors", "none"],
      ...FREE_PORTS,
    ]);
    assert.equal(code, 0, stderr);
    // Three tables in the lab's columns, a row per level.
    const tables = stdout.split(LAB_HEADER).slice(1).map((t) => t.split("\n## ")[0]!);
    assert.equal(tables.length, 3, stdout);
    for (const t of tables) {
      const rows = t.split("\n").filter((l) => /^\| \d/.test(l));
      assert.deepEqual(rows.map((r) => r.split("|")[2]!.trim()), ["1", "4"]);
      for (const r of rows) assert.match(r, /^\| \d \| \d \| [\d.]+ \| 40 \| 0 \| \d+ \|/);
    }
    assert.match(stdout, /## Runs and their spread: \/page\.html/);
    assert.match(stdout, /## Comparison/);
    // Interleaved: at each level every target in turn, the order rotated by one each repeat.
    const order = stderr.split("\n").flatMap((l) => /^\[\s*\d+\/\d+\] (\S+)/.exec(l)?.[1] ?? []);
    assert.deepEqual(order, [
      ...["async", "pool", "balancer", "async", "pool", "balancer"],
      ...["pool", "balancer", "async", "pool", "balancer", "async"],
    ]);
    // Only the lab speaks on stderr: no library warning slips in between its lines.
    const unexpected = stderr.trimEnd().split("\n").filter((l) =>
      !/^(started the .* \(pid \d+\)|\[ ?\d+\/12\] .*|stopped every server|wrote .*)$/.test(l)
    );
    assert.deepEqual(unexpected, []);
    // Its own timestamped folder, and `latest` pointing at it.
    const folders = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.equal(folders.length, 2, `${folders}`);
    assert.match(folders[0]!, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    assert.equal(folders[1], "latest");
    assert.equal(Deno.readLinkSync(`${out}/latest`), folders[0]);
    assert.equal(await Deno.readTextFile(`${out}/latest/report.md`), stdout);
    const html = await Deno.readTextFile(`${out}/latest/report.html`);
    // throughput and latency, then one latency distribution per concurrency level
    assert.equal(html.match(/<figure class="chart"/g)?.length, 4);
    assert.equal(html.match(/<figure class="chart" id="spectrum-page-html-c\d"/g)?.length, 2);
    const result: LabResult = JSON.parse(await Deno.readTextFile(`${out}/latest/results.json`));
    assert.equal(result.interrupted, null);
    assert.deepEqual(
      result.cells.map((c) => `${c.name} c=${c.concurrency} ${c.runs.length}`),
      [
        ...["async /page.html c=1 2", "async /page.html c=4 2", "pool /page.html c=1 2"],
        ...["pool /page.html c=4 2", "balancer /page.html c=1 2", "balancer /page.html c=4 2"],
      ],
    );
    for (const c of result.cells) {
      const { median, min, max } = c.summary.requestsPerSecond;
      assert.ok(min <= median && median <= max, JSON.stringify(c.summary));
      assert.equal(c.summary.complete, 80);
      assert.ok(c.client.cpuPercent > 0);
    }
    assert.equal(result.environment.loadAverageStart.length, 3);
    // bench compare reads a lab's results.json: compared with itself, nothing differs.
    const json = `${out}/latest/results.json`;
    const compared = await netlab(["bench", "compare", json, json]);
    assert.equal(compared.code, 0, compared.stderr);
    assert.match(compared.stdout, /^async \/page\.html c=1$/m);
    assert.match(compared.stdout, /6 cells: 0 faster, 0 slower, 6 no significant difference/);
    assert.equal(result.environment.poolDispatch, "kernel");
    // Round-robin made visible: every backend got its share of the balancer's connections.
    const counts = result.connections.map((c) => c.connections);
    assert.equal(counts.length, 4);
    assert.ok(counts.reduce((a, b) => a + b) >= 160, `connections: ${counts}`);
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

Deno.test(
  ...needs(
    ["nginx", "haproxy"],
    "netlab lab measures nginx and HAProxy beside its own servers and stops them",
  ),
  async () => {
    const out = await Deno.makeTempDir({ prefix: "netlab-lab-" });
    try {
      const { code, stdout, stderr } = await netlab([
        ...["lab", "-n", "20", "--concurrency-levels", "2", "--workers", "2", "--out", out],
        ...["--repeat", "1", "--warmup", "5", "--anchors", "nginx,haproxy"],
        ...FREE_PORTS,
      ]);
      assert.equal(code, 0, stderr);
      const result: LabResult = JSON.parse(await Deno.readTextFile(`${out}/latest/results.json`));
      assert.deepEqual(
        result.cells.map((c) => `${c.model}${c.reference ? " (ref)" : ""}`),
        ["async", "nginx (ref)", "pool", "nginx-pool (ref)", "balancer", "haproxy (ref)"],
      );
      // nginx serves the same www/: the same page, byte for byte.
      const bodies = new Set(result.cells.map((c) => c.runs[0]!.htmlTransferred));
      assert.equal(bodies.size, 1, JSON.stringify([...bodies]));
      for (const c of result.cells) assert.equal(c.summary.failed, 0, c.model);
      assert.deepEqual(result.anchors.map((a) => `${a.name} ${a.status}`), [
        "nginx used",
        "haproxy used",
      ]);
      assert.match(stdout, /\| nginx \(ref\) \| 2 \|/);
      assert.match(stdout, /## HAProxy in front of the async servers \(reference\)/);
      const refs = result.servers.filter((s) =>
        s.role !== "backend" && /nginx|HAProxy/.test(s.name)
      );
      assert.equal(refs.length, 3, JSON.stringify(result.servers));
      for (const s of result.servers) {
        assert.ok(!alive(s.pid), `the ${s.name} (pid ${s.pid}) is still running`);
        assert.ok(portFree(s.address), `${s.address} of the ${s.name} is still taken`);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
);

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

/** How {@link interruptLab} runs the lab and when it sends the signal. */
interface Interrupt {
  /** netlab lab arguments besides the free ports and --out. */
  args?: string[];
  /** Servers that start (7, plus 3 with both references). */
  servers?: number;
  /** True for the stderr line after which to send the signal (default: all servers started). */
  after?: (line: string) => boolean;
  /** The process to signal (default: the lab). */
  target?: (lab: Deno.ChildProcess, started: Started[]) => number;
}

/**
 * Starts a lab that would run for hours, sends `signal` once all its servers have started (or as
 * `o` says), and returns them with the lab's stderr lines, exit status and report folder.
 */
async function interruptLab(signal: Deno.Signal, o: Interrupt = {}) {
  const out = await Deno.makeTempDir({ prefix: "netlab-lab-" });
  const servers = o.servers ?? 7;
  const { cmd, args } = selfCommand([
    "lab",
    ...(o.args ?? ["-n", "1000000", "--concurrency-levels", "1", "--anchors", "none"]),
    ...["--workers", "1", "--out", out],
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
  let sent = false;
  // stderr ends when the lab has exited.
  for await (const line of readLines(child.stderr)) {
    lines.push(line);
    const m = /^started the .* on (\S+) \(pid (\d+)\)$/.exec(line);
    if (m) started.push({ address: m[1]!, pid: Number(m[2]) });
    const now = o.after ? o.after(line) : m !== null && started.length === servers;
    if (now && !sent) {
      sent = true;
      Deno.kill(o.target?.(child, started) ?? child.pid, signal);
    }
  }
  return { started, lines, status: await child.status, out };
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`netlab lab stops every server on ${signal} and exits ${code}`, async () => {
    const { started, lines, status, out } = await interruptLab(signal);
    try {
      assert.equal(status.code, code, lines.join("\n"));
      assert.match(lines.at(-1)!, /interrupted; every server was stopped/);
      for (const s of started) {
        assert.ok(!alive(s.pid), `pid ${s.pid} is still running`);
        assert.ok(portFree(s.address), `${s.address} is still taken`);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}

Deno.test("netlab lab interrupted by Ctrl-C writes the report of the runs that finished", async () => {
  const { lines, status, out } = await interruptLab("SIGINT", {
    args: ["-n", "20", "--concurrency-levels", "1,2", "--repeat", "1000", "--anchors", "none"],
    after: (line) => /^\[\s*5\//.test(line),
  });
  try {
    assert.equal(status.code, 130, lines.join("\n"));
    assert.match(
      lines.at(-1)!,
      /interrupted; every server was stopped; the report holds the \d+ runs/,
    );
    const result: LabResult = JSON.parse(await Deno.readTextFile(`${out}/latest/results.json`));
    assert.equal(result.interrupted, "stopped by Ctrl-C or a stop signal");
    const runs = result.cells.reduce((n, c) => n + c.runs.length, 0);
    assert.ok(runs >= 5, `${runs} runs kept`);
    // Only whole runs: the one Ctrl-C cut short is not among them.
    for (const c of result.cells) {
      assert.ok(c.interrupted);
      for (const r of c.runs) assert.equal(r.complete, 20);
    }
    assert.match(await Deno.readTextFile(`${out}/latest/report.md`), /\*\*Interrupted:\*\*/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("netlab lab with a server that dies writes what finished, names it, and exits 1", async () => {
  const { lines, status, out } = await interruptLab("SIGKILL", {
    args: ["-n", "20", "--concurrency-levels", "1,2", "--repeat", "1000", "--anchors", "none"],
    after: (line) => /^\[\s*5\//.test(line),
    // The standalone async server: the first started.
    target: (_, started) => started[0]!.pid,
  });
  try {
    assert.equal(status.code, 1, lines.join("\n"));
    assert.match(
      lines.at(-1)!,
      /^netlab lab: The async server stopped during the lab \(exit SIGKILL\); the report holds the \d+ runs/,
    );
    const result: LabResult = JSON.parse(await Deno.readTextFile(`${out}/latest/results.json`));
    assert.match(result.interrupted ?? "", /The async server stopped/);
    assert.ok(result.cells.length > 0);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test(
  ...needs(
    ["nginx", "haproxy"],
    "netlab lab's references stop too when the lab is killed outright",
  ),
  async () => {
    const { started, lines, status, out } = await interruptLab("SIGKILL", {
      args: ["-n", "1000000", "--concurrency-levels", "1", "--anchors", "nginx,haproxy"],
      servers: 9,
    });
    try {
      assert.equal(status.signal, "SIGKILL");
      assert.equal(started.length, 9, lines.join("\n"));
      const refs = started.slice(7);
      for (let i = 0; i < 1200 && refs.some((s) => !portFree(s.address)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const s of refs) assert.ok(portFree(s.address), `${s.address} is still taken`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
);

Deno.test("netlab lab's servers stop by themselves when the lab is killed outright", async () => {
  // SIGKILL: the lab gets no chance to stop anyone; its servers must notice on their own.
  const { started, lines, status, out } = await interruptLab("SIGKILL");
  try {
    assert.equal(status.signal, "SIGKILL");
    assert.equal(started.length, 7, lines.join("\n"));
    // Each server drains and exits once its stdin pipe from the lab closes; a bound, not a timing.
    for (let i = 0; i < 1200 && started.some((s) => alive(s.pid)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(started.filter((s) => alive(s.pid)), [], "servers outlived the lab");
    for (const s of started) assert.ok(portFree(s.address), `${s.address} is still taken`);
  } finally {
    for (const s of started) if (alive(s.pid)) Deno.kill(s.pid, "SIGKILL");
    await Deno.remove(out, { recursive: true });
  }
});
