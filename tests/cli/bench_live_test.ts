/**
 * `netlab bench --live` as a person sees it: in a real terminal (tmux), captured mid-run and at the
 * end. Counts what is on screen; never times anything.
 */
import assert from "node:assert/strict";
import { MAIN, netlab } from "../_netlab.ts";
import { needs } from "../_tools.ts";
import { redraw } from "../../lib/cli/bench_live.ts";
import { renderLive, sparkline } from "../../lib/bench/render/live.ts";

/** A tmux server of its own, so tests never touch anyone's sessions. */
function tmux(socket: string, ...args: string[]) {
  const out = new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** Waits (polling, up to `rounds` × 100 ms) until `check` holds for the pane's text. */
async function until(capture: () => string, check: (text: string) => boolean, rounds = 600) {
  let text = "";
  for (let i = 0; i < rounds; i++) {
    text = capture();
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the pane never showed what was expected:\n${text}`);
}

Deno.test("renderLive() draws progress, req/s with a sparkline, latency, status codes and errors", () => {
  const lines = renderLive({
    title: "http://h/ · c=5",
    done: 500,
    failed: 2,
    total: 1000,
    elapsedSeconds: 1.5,
    limitSeconds: null,
    rpsHistory: [100, 200, 400],
    rpsMean: 333,
    snapshot: {
      complete: 498,
      failed: 2,
      percentiles: { "50": 0.5, "90": 1.25, "99": 12.5, "99.9": 150, "100": 151 },
      statusCodes: [[200, 490], [404, 8]],
      errors: [["connection reset", 2]],
      buckets: [0, 0, 3, 5],
    },
    threads: 2,
    columns: 200,
  });
  assert.equal(lines[0], "netlab bench · http://h/ · c=5");
  assert.match(lines[1]!, /^Progress {2}█{12}·{12} {2}50% {2}500\/1,000 {2}1\.5 s$/);
  assert.match(lines[2]!, /^Req\/s +400 now +333 mean {2}▂▄█$/);
  assert.equal(
    lines[3],
    "Latency   p50 0.500  p90 1.250  p99 12.5  p99.9 150  max 151 ms (thread 1 of 2)",
  );
  assert.match(lines[4]!, /one bar per doubling/);
  assert.equal(lines[5], "Status    200: 490  404: 8");
  assert.equal(lines[6], "Errors    2 (connection reset: 2)");
  assert.equal(sparkline([0, 0]), "▁▁");
});

Deno.test("redraw() rewrites a frame line by line in place", () => {
  assert.equal(redraw(0, ["a", "b"]), "\x1b[2Ka\n\x1b[2Kb\n");
  assert.equal(redraw(2, ["c"]), "\x1b[2A\r\x1b[2Kc\n\x1b[2K\n\x1b[1A");
});

Deno.test(
  ...needs(
    ["tmux"],
    "netlab bench in a terminal: the live view redrawn in place, the report below",
  ),
  async () => {
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("live\n"),
    );
    const socket = `netlab-live-${Deno.pid}`;
    const command = [Deno.execPath(), "run", "-A", MAIN, "bench", "-k", "-c", "2", "-t", "6"]
      .concat(`http://127.0.0.1:${server.addr.port}/`, ";", "echo", "EXITED", ";", "sleep", "120")
      .join(" ");
    tmux(socket, "new-session", "-d", "-s", "live", "-x", "100", "-y", "40", command);
    const pane = () => tmux(socket, "capture-pane", "-p", "-t", "live");
    const all = () => tmux(socket, "capture-pane", "-p", "-S", "-", "-t", "live");
    try {
      // mid-run: one frame, with every part of the view
      const mid = await until(pane, (t) => /^Status +200: /m.test(t) && !t.includes("EXITED"));
      assert.match(mid, /^netlab bench · http:\/\/127\.0\.0\.1:\d+\/ · c=2$/m);
      assert.match(mid, /^Progress {2}[█▏▎▍▌▋▊▉·]{24} +\d+% {2}[\d,]+ done {2}[\d.]+\/6 s$/m);
      assert.match(mid, /^Req\/s +[\d,]+ now +[\d,]+ mean {2}[▁▂▃▄▅▆▇█]+$/m);
      assert.match(
        mid,
        /^Latency {3}p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}p99\.9 [\d.]+ {2}max [\d.]+ ms$/m,
      );
      assert.match(mid, /^Errors {4}none$/m);
      assert.equal(mid.match(/^Progress/gm)?.length, 1, mid);
      // at the end: the last frame at 100%, the report below it, and no frame left in the
      // scrollback (each was redrawn in place)
      const end = await until(all, (t) => t.includes("EXITED"));
      assert.equal(end.match(/^Progress/gm)?.length, 1, end);
      assert.match(end, /^Progress {2}█{24} 100%/m);
      const frame = end.indexOf("netlab bench ·");
      const report = end.indexOf("This is netlab bench");
      assert.ok(frame >= 0 && report > frame, end);
      assert.match(end.slice(report), /^Complete requests: +\d+$/m);
    } finally {
      tmux(socket, "kill-server");
    }
  },
);

Deno.test("netlab bench draws no live view when stdout is not a terminal, or with --no-live", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("x"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const piped = await netlab(["bench", "-k", "-t", "3.5", url]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(!piped.stdout.includes("\x1b["), "no escape codes in a pipe");
  assert.ok(!piped.stdout.includes("Progress"));
  // --live forces it, even into a pipe
  const forced = await netlab(["bench", "-k", "-n", "50", "--live", url]);
  assert.ok(forced.stdout.startsWith("\x1b[2Knetlab bench · "), forced.stdout);
});
