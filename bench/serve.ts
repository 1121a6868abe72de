/**
 * Perf section "serve": `netlab serve --quiet` against nginx (one worker, access log off) on the
 * same www/page.html, with wrk (keep-alive, 50 connections) and ab (no keep-alive, concurrency 10).
 * The servers are loaded in turn, three rounds with the order swapped each round, and each keeps
 * its best round, so a burst of load from elsewhere on a shared machine does not decide the ratio.
 *
 * @module
 */
import {
  ab,
  freePort,
  type PerfRow,
  startNetlab,
  startNginx,
  waitForPort,
  wrk,
  WWW,
} from "./_tools.ts";

const ROUNDS = 3;

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const netlabPort = freePort();
  const nginxPort = freePort();
  await using _netlab = await startNetlab(
    ["serve", "--quiet", "--root", WWW, "--port", String(netlabPort)],
    netlabPort,
  );
  await using _nginx = await startNginx(WWW, nginxPort);
  await waitForPort(netlabPort);
  const targets = {
    netlab: `http://127.0.0.1:${netlabPort}/page.html`,
    nginx: `http://127.0.0.1:${nginxPort}/page.html`,
  };
  // warm caches and JIT before measuring
  for (const url of Object.values(targets)) await wrk(url, { connections: 10, seconds: 1 });

  const best = { wrk: { netlab: 0, nginx: 0 }, ab: { netlab: 0, nginx: 0 } };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["netlab", "nginx"] as const : ["nginx", "netlab"] as const;
    for (const name of order) {
      const rps = await wrk(targets[name], { connections: 50, seconds: 4 });
      best.wrk[name] = Math.max(best.wrk[name], rps);
    }
    for (const name of order) {
      const rps = await ab(targets[name], { requests: 5000, concurrency: 10 });
      best.ab[name] = Math.max(best.ab[name], rps);
    }
  }
  return [
    {
      section: "serve",
      what: "page.html, wrk keep-alive c50",
      netlab: best.wrk.netlab,
      anchor: best.wrk.nginx,
      anchorName: "nginx",
      unit: "req/s",
      goal: 0.9,
    },
    {
      section: "serve",
      what: "page.html, ab no keep-alive c10",
      netlab: best.ab.netlab,
      anchor: best.ab.nginx,
      anchorName: "nginx",
      unit: "req/s",
      goal: 0.9,
    },
  ];
}
