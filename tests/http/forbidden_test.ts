import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { DeniedLog } from "../../lib/http/_denied_log.ts";
import { collectLogs } from "../balancer/_helpers.ts";
import { spawnNetlab } from "../server/_spawn.ts";
import { unprivilegedNetlab } from "../_unprivileged.ts";

Deno.test("DeniedLog.note() says each cause at most once a second and counts the rest", async () => {
  await using logs = await collectLogs();
  let now = 1_000_000;
  const log = new DeniedLog(getLogger(["netlab", "test"]), () => now);
  for (let i = 0; i < 5; i++) log.note("GET", "/a", "/w/a", "permission denied");
  log.note("GET", "/b", "/w/b", "permission denied");
  now += 999;
  log.note("GET", "/a", "/w/a", "permission denied");
  now += 1;
  log.note("GET", "/a", "/w/a", "permission denied");
  assert.deepEqual(logs.lines, [
    '403 for GET /a: cannot read "/w/a" (permission denied)',
    '403 for GET /b: cannot read "/w/b" (permission denied)',
    '403 for GET /a: cannot read "/w/a" (permission denied); 5 more like it since the last such line',
  ]);
});

const who = unprivilegedNetlab();

/** A root with a file, a folder and a large (streamed) file no one may read, and a readable one. */
async function closedRoot(): Promise<string> {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/secret.txt`, "secret\n");
  await Deno.mkdir(`${root}/private`);
  await Deno.writeTextFile(`${root}/private/index.html`, "<p>private</p>\n");
  await Deno.writeFile(`${root}/big.bin`, new Uint8Array(512 * 1024));
  await Deno.writeTextFile(`${root}/ok.txt`, "ok\n");
  for (const p of ["secret.txt", "private", "big.bin"]) await Deno.chmod(`${root}/${p}`, 0o000);
  return root;
}

async function statusOf(url: string): Promise<number> {
  const res = await fetch(url);
  await res.body?.cancel();
  return res.status;
}

const MODES: [string, string[]][] = [
  ["serve (epoll engine)", ["serve", "--engine", "epoll"]],
  ["serve (deno engine)", ["serve", "--engine", "deno"]],
  ["pool", ["pool", "--workers", "1"]],
];

for (const [name, args] of MODES) {
  Deno.test({
    name: `netlab ${name} answers 403 for what it may not read, and says why` +
      (who.skip === null ? "" : ` (skipped: ${who.skip})`),
    ignore: who.skip !== null,
    async fn() {
      const root = await closedRoot();
      try {
        const opts = who.command === undefined ? {} : { command: who.command };
        await using server = await spawnNetlab([...args, root, "--port", "0"], opts);
        const asked = ["secret.txt", "private/", "private/index.html", "big.bin", "ok.txt", "none"];
        const got: Record<string, number> = {};
        for (const path of asked) got[path] = await statusOf(`${server.url}${path}`);
        assert.deepEqual(got, {
          "secret.txt": 403,
          "private/": 403,
          "private/index.html": 403,
          "big.bin": 403,
          "ok.txt": 200,
          "none": 404,
        });
        server.child.kill("SIGTERM");
        assert.equal((await server.status).code, 0);
        const log = server.stderr();
        assert.match(
          log,
          new RegExp(
            `403 for GET /secret\\.txt: cannot read "${root}/secret\\.txt" \\(permission denied\\)`,
          ),
        );
        assert.match(
          log,
          /403 for GET \/big\.bin: cannot read ".*\/big\.bin" \(permission denied\)/,
        );
        assert.match(log, /403 for GET \/private\/: cannot read ".*\/private\/index\.html"/);
        assert.doesNotMatch(log, /Cannot read the root/);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "netlab serve says at start when it may not read its root" +
    (who.skip === null ? "" : ` (skipped: ${who.skip})`),
  ignore: who.skip !== null,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${root}/page.html`, "<p>hi</p>\n");
      await Deno.chmod(root, 0o000);
      const opts = who.command === undefined ? {} : { command: who.command };
      await using server = await spawnNetlab(["serve", root, "--port", "0"], opts);
      assert.equal(await statusOf(`${server.url}page.html`), 403);
      server.child.kill("SIGTERM");
      await server.status;
      assert.match(
        server.stderr(),
        new RegExp(`Cannot read the root "${root}" \\(permission denied\\): requests under it`),
      );
    } finally {
      await Deno.chmod(root, 0o700);
      await Deno.remove(root, { recursive: true });
    }
  },
});
