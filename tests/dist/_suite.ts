/**
 * The checks every built netlab must pass, registered once for the bundle and once for the binary:
 * each command run as a user would, from a temporary folder outside the source tree.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../lib/version.ts";
import { ROOT, run, type Runner, start, tempDir } from "./_runner.ts";

const WWW = join(ROOT, "www");

/**
 * Registers one test per command for `runner`.
 *
 * @param runner the built netlab
 */
export function registerSuite(runner: Runner): void {
  const test = (cmd: string, name: string, fn: (cwd: string) => Promise<void>) => {
    Deno.test(`${runner.kind}: ${name}`, async () => {
      await using dir = await tempDir(`netlab-${runner.kind}-${cmd}-`);
      await fn(dir.path);
    });
  };

  Deno.test(`${runner.kind}: netlab --version prints the version from any folder`, async () => {
    await using dir = await tempDir(`netlab-${runner.kind}-`);
    const { code, stdout } = await run(runner, ["--version"], { cwd: dir.path });
    assert.equal(code, 0);
    assert.equal(stdout.trim(), VERSION);
  });

  test(
    "serve",
    "netlab serve answers page.html and an image from its embedded www/",
    async (cwd) => {
      const env = { XDG_CACHE_HOME: join(cwd, "cache") };
      await using server = await start(runner, ["serve", "--port", "0"], { cwd, env });
      const page = await get(new URL("page.html", server.url));
      assert.equal(page.status, 200);
      assert.match(page.type, /^text\/html/);
      assert.deepEqual(page.body, await Deno.readFile(join(WWW, "page.html")));
      await assertSameImage(server.url);
      if (runner.kind === "bundle") {
        // The bundle must have written its own copy, not found the source tree's www/.
        const entries = await Array.fromAsync(Deno.readDir(join(cwd, "cache", "netlab")));
        assert.ok(
          entries.some((e) => e.name.startsWith(`www-${VERSION}-`)),
          "no materialized www/",
        );
      }
    },
  );

  test("pool", "netlab pool answers from its workers", async (cwd) => {
    const env = { XDG_CACHE_HOME: join(cwd, "cache") };
    const args = ["pool", "--port", "0", "--workers", "2"];
    await using server = await start(runner, args, { cwd, env });
    for (let i = 0; i < 4; i++) {
      assert.equal((await get(new URL("page.html", server.url))).status, 200);
    }
    await assertSameImage(server.url);
  });

  test("balance", "netlab balance forwards to a backend", async (cwd) => {
    const env = { XDG_CACHE_HOME: join(cwd, "cache") };
    await using backend = await start(runner, ["serve", "--port", "0"], { cwd, env });
    const target = new URL(backend.url).host;
    const args = ["balance", "--port", "0", "--backend", target];
    await using balancer = await start(runner, args, { cwd, env });
    await assertSameImage(balancer.url);
  });

  test("bench", "netlab bench on 2 threads prints one report", async (cwd) => {
    const env = { XDG_CACHE_HOME: join(cwd, "cache") };
    await using server = await start(runner, ["serve", "--port", "0"], { cwd, env });
    const url = new URL("page.html", server.url).href;
    // The second thread is a worker started from the bundle or executable itself.
    const args = ["bench", "-n", "20", "-c", "2", "--threads", "2", url];
    const { code, stdout, stderr } = await run(runner, args, { cwd, env });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Requests per second/);
    assert.match(stdout, /Complete requests:\s+20\b/);
  });

  test(
    "lab",
    "netlab lab runs a quick lab with its children and writes the report",
    async (cwd) => {
      const env = { XDG_CACHE_HOME: join(cwd, "cache") };
      const out = join(cwd, "report");
      const args = [
        "lab",
        ...["-n", "20", "--concurrency-levels", "1,2", "--workers", "1", "--out", out, "--quiet"],
        // fetch runs c=2 on two threads: the lab's bench workers must start from the build itself.
        ...["--engine", "fetch", "--repeat", "1"],
        ...["--backend-ports", "0,0,0,0", "--balancer-port", "0", "--async-port", "0"],
        ...["--pool-port", "0"],
      ];
      const { code, stdout, stderr } = await run(runner, args, { cwd, env });
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      for (const file of ["report.md", "results.json", "report.html"]) {
        assert.ok((await Deno.stat(join(out, "latest", file))).size > 0, `${file} is empty`);
      }
      // The installed references serve the build's own www/ (a binary's is copied out for nginx).
      const result = JSON.parse(await Deno.readTextFile(join(out, "latest", "results.json")));
      const cells: { model: string; url: string; summary: { non2xx: number } }[] = result.cells;
      for (const c of cells) {
        assert.equal(c.summary.non2xx, 0, `${c.model}: ${JSON.stringify(c.summary)}`);
      }
    },
  );
}

/** GETs research_center.jpg and checks the bytes are the source tree's. */
async function assertSameImage(base: string): Promise<void> {
  const res = await get(new URL("research_center.jpg", base));
  assert.equal(res.status, 200);
  assert.equal(res.type, "image/jpeg");
  assert.deepEqual(res.body, await Deno.readFile(join(WWW, "research_center.jpg")));
}

/**
 * One GET on its own connection, closed afterwards: an idle keep-alive connection left in fetch's
 * pool would make the server under test wait for it when asked to stop.
 */
async function get(url: URL): Promise<{ status: number; type: string; body: Uint8Array }> {
  using client = Deno.createHttpClient({});
  const res = await fetch(url, { client });
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get("content-type") ?? "", body };
}
