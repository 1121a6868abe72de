import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
const exports = config.exports as Record<string, string>;

/** The module specifiers `deno info` finds in the graph of `path` (fails if one cannot resolve). */
async function graph(path: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", path],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return info.modules.map((m: { specifier: string }) => m.specifier);
}

Deno.test("deno.json exports ./http, ./server, ./balancer, ./bench and ./lab", () => {
  for (const area of ["http", "server", "balancer", "bench", "lab"]) {
    assert.equal(exports[`./${area}`], `./lib/${area}/mod.ts`, area);
  }
});

for (const area of ["http", "server", "balancer", "bench"]) {
  Deno.test(`importing @netlab/netlab/${area} loads neither vega nor the lab`, async () => {
    const modules = await graph(exports[`./${area}`]!);
    assert.deepEqual(modules.filter((m) => /vega|\/lib\/lab\//.test(m)), []);
  });
}

Deno.test("another project imports netlab's areas through deno.json links, as docs/library.md says", async () => {
  const dir = await Deno.makeTempDir({ prefix: "netlab-user-" });
  try {
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        links: [ROOT.pathname],
        imports: { "@netlab/netlab": "jsr:@netlab/netlab@^0.1.0" },
      }),
    );
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { createStaticHandler, defaultRoot } from "@netlab/netlab/http";
const res = await createStaticHandler({ root: await defaultRoot() })(new Request("http://x/page.html"));
console.log(res.status);
await res.body?.cancel();
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), "200\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
