/**
 * The CPU route under contention: two busy loops take both cores while a server answers
 * `/_netlab/work?ms=N`, and the server's process must still have burned the CPU time it claims.
 * Only CPU time is asserted (the route's own report and the process's from /proc), never wall
 * time, which depends on the machine's other load.
 */
import assert from "node:assert/strict";
import { MAIN } from "../_netlab.ts";
import { spawnNetlab } from "../server/_spawn.ts";

/** Clock ticks per second of /proc's utime and stime (`getconf CLK_TCK`; 100 on Linux). */
const CLK_TCK = 100;

/** User plus system CPU time of a process, ms (resolution one tick: 10 ms). */
function processCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces: utime is the 14th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK;
}

/** `count` processes spinning on a core each for at most 60 s, killed on dispose. */
async function busyLoops(count: number): Promise<AsyncDisposable> {
  const children = Array.from({ length: count }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", "const end = Date.now() + 60_000; while (Date.now() < end);"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn());
  const dispose = async () => {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    await Promise.all(children.map((c) => c.status));
  };
  // Synchronisation, not a timing: wait until each loop has really started spinning.
  try {
    for (let i = 0; i < 600 && children.some((c) => processCpuMs(c.pid) < 100); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { [Symbol.asyncDispose]: dispose };
}

const WORK_MS = 200;
const REQUESTS = 4;

async function loadCpuRoute(url: string): Promise<{ clocks: string[]; cpuMs: number[] }> {
  const answers = [];
  for (let i = 0; i < REQUESTS; i++) {
    const res = await fetch(`${url}_netlab/work?ms=${WORK_MS}`);
    assert.equal(res.status, 200);
    answers.push(await res.json());
  }
  return { clocks: answers.map((a) => a.clock), cpuMs: answers.map((a) => a.cpuMs) };
}

const linux = Deno.build.os === "linux";

for (const command of [["serve"], ["pool", "--workers", "2"]]) {
  Deno.test({
    name:
      `GET /_netlab/work on netlab ${
        command.join(" ")
      } burns the CPU time it claims while busy loops take both cores` +
      (linux ? "" : " (skipped: needs Linux's /proc)"),
    ignore: !linux,
    fn: () => burnsWhatItClaims(command),
  });
}

async function burnsWhatItClaims(command: string[]): Promise<void> {
  await using server = await spawnNetlab([...command, "--port", "0", "--quiet", "--demo-routes"]);
  await using _busy = await busyLoops(2);
  const before = processCpuMs(server.child.pid);
  const { clocks, cpuMs } = await loadCpuRoute(server.url);
  const spent = processCpuMs(server.child.pid) - before;
  assert.deepEqual(clocks, Array(REQUESTS).fill("thread-cpu"));
  for (const ms of cpuMs) assert.ok(ms >= WORK_MS, `the route reports ${ms} ms of CPU`);
  // The whole process, so at least the work asked for, less two ticks of /proc's rounding.
  assert.ok(spent >= REQUESTS * WORK_MS - 20, `the server used ${spent} ms of CPU`);
}

Deno.test({
  name:
    "GET /_netlab/work without FFI does calibrated work, most of its claim while cores are busy" +
    (linux ? "" : " (skipped: needs Linux's /proc)"),
  ignore: !linux,
  async fn() {
    await using _busy = await busyLoops(2);
    // Every permission netlab serve needs, but not --allow-ffi.
    const perms = ["--allow-net", "--allow-read", "--allow-env", "--unstable-net"];
    await using server = await spawnNetlab(["serve", "--port", "0", "--quiet", "--demo-routes"], {
      command: [Deno.execPath(), "run", ...perms, MAIN],
    });
    const before = processCpuMs(server.child.pid);
    const { clocks, cpuMs } = await loadCpuRoute(server.url);
    const spent = processCpuMs(server.child.pid) - before;
    assert.deepEqual(clocks, Array(REQUESTS).fill("calibrated"));
    for (const ms of cpuMs) assert.ok(ms >= WORK_MS, `the route reports ${ms} ms of CPU`);
    // Calibration is an estimate (timed at start-up, under the same busy loops): ask for 3/4.
    assert.ok(spent >= 0.75 * REQUESTS * WORK_MS, `the server used ${spent} ms of CPU`);
  },
});
