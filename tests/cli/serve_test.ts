import assert from "node:assert/strict";
import { spawnNetlab } from "../server/_spawn.ts";
import { HAS_IPV6 } from "../_ipv6.ts";
import { netlab, netlabCommand } from "../_netlab.ts";

Deno.test("netlab serve --help lists every flag with examples", async () => {
  const { code, stdout } = await netlab(["serve", "--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--host",
      "--port",
      "--root",
      "--quiet",
      "--log-format",
      "--list",
      "--dotfiles",
      "--cors",
      "--no-compress",
      "--cert",
      "--key",
      "--demo-routes",
    ]
  ) {
    assert.match(stdout, new RegExp(flag), flag);
  }
  assert.match(stdout, /Examples:\n {2}netlab serve/);
});

for (
  const [label, args, pattern] of [
    ["an unknown flag", ["--frobnicate"], /unknown option '--frobnicate'/],
    ["a bad port", ["--port", "99999"], /--port/],
    ["a bad log format", ["--log-format", "xml"], /--log-format/],
    ["--cert without --key", ["--cert", "c.pem"], /--cert and --key go together/],
  ] as const
) {
  Deno.test(`netlab serve with ${label} is a usage error (exit 2, one line and a hint)`, async () => {
    const { code, stderr } = await netlab(["serve", ...args]);
    assert.equal(code, 2, stderr);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 2, stderr);
    assert.match(lines[0]!, /^netlab serve: /);
    assert.match(lines[0]!, pattern);
    assert.match(lines[1]!, /netlab serve --help/);
  });
}

Deno.test("netlab serve --host that does not resolve exits 1 with one line", async () => {
  const { code, stdout, stderr } = await netlab([
    "serve",
    "--host",
    "nosuch.invalid",
    "--port",
    "0",
  ]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    'netlab serve: Cannot listen on nosuch.invalid:0: cannot resolve host "nosuch.invalid"\n',
  );
});

Deno.test("netlab serve on a busy port exits 1 with one line", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const { code, stderr } = await netlab(["serve", "--port", String(port)]);
  assert.equal(code, 1);
  assert.equal(
    stderr,
    `netlab serve: Cannot listen on 127.0.0.1:${port}: address already in use\n`,
  );
});

Deno.test("netlab serve with a missing root exits 1 with one line", async () => {
  const { code, stderr } = await netlab(["serve", "--root", "/no/such/netlab/dir", "--port", "0"]);
  assert.equal(code, 1);
  assert.equal(stderr, `netlab serve: Cannot serve "/no/such/netlab/dir": no such directory\n`);
});

Deno.test("netlab serve with a missing certificate exits 1 with one line", async () => {
  const { code, stderr } = await netlab([
    "serve",
    "--port",
    "0",
    "--cert",
    "/no/cert.pem",
    "--key",
    "/no/key.pem",
  ]);
  assert.equal(code, 1);
  assert.equal(stderr, `netlab serve: Cannot read certificate "/no/cert.pem": no such file\n`);
});

Deno.test("netlab serve --port 0 logs its real port and serves from any working directory", async () => {
  const cwd = Deno.cwd();
  await using proc = await spawnNetlab(["serve", "--port", "0"]);
  assert.equal(Deno.cwd(), cwd);
  assert.match(proc.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*\/$/);
  const res = await fetch(new URL("page.html", proc.url));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  proc.child.kill("SIGTERM");
  assert.equal((await proc.status).code, 0);
  assert.match(proc.stderr(), /\[INF\] netlab\.access: 127\.0\.0\.1:\d+ GET \/page\.html 200 \d+/);
});

Deno.test("netlab serve --log-format json writes JSON lines", async () => {
  await using proc = await spawnNetlab(["serve", "--port", "0", "--log-format", "json"]);
  await (await fetch(new URL("page.html", proc.url))).body?.cancel();
  proc.child.kill("SIGTERM");
  assert.equal((await proc.status).code, 0);
  const records = proc.stderr().trim().split("\n").map((l) => JSON.parse(l));
  const access = records.find((r) => r.logger === "netlab.access");
  assert.equal(access.properties.path, "/page.html");
  assert.equal(access.properties.status, 200);
});

Deno.test("netlab serve --quiet logs no access lines but still the listening line", async () => {
  await using proc = await spawnNetlab(["serve", "--port", "0", "--quiet"]);
  await (await fetch(new URL("page.html", proc.url))).body?.cancel();
  proc.child.kill("SIGTERM");
  assert.equal((await proc.status).code, 0);
  assert.equal(proc.stderr(), `netlab serve: listening on ${proc.url}\n`);
});

Deno.test({
  name: "netlab serve --host ::1 listens on IPv6 loopback (needs IPv6 loopback)",
  ignore: !HAS_IPV6,
  async fn() {
    await using proc = await spawnNetlab(["serve", "--host", "::1", "--port", "0", "--quiet"]);
    assert.match(proc.url, /^http:\/\/\[::1\]:\d+\/$/);
    const res = await fetch(new URL("page.html", proc.url));
    assert.equal(res.status, 200);
    await res.body?.cancel();
    proc.child.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
  },
});

Deno.test("netlab serve --quiet --log-format json prints the listening line as JSON", async () => {
  await using proc = await spawnNetlab([
    "serve",
    "--port",
    "0",
    "--quiet",
    "--log-format",
    "json",
  ]);
  proc.child.kill("SIGTERM");
  assert.equal((await proc.status).code, 0);
  const record = JSON.parse(proc.stderr());
  assert.equal(record.message, `listening on ${proc.url}`);
  assert.equal(record.properties.url, proc.url);
});

for (const command of ["serve", "pool"]) {
  Deno.test(`netlab ${command} DIR serves DIR, as --root DIR does`, async () => {
    const root = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${root}/hello.txt`, "hello from the argument\n");
      const extra = command === "pool" ? ["--workers", "1"] : [];
      await using proc = await spawnNetlab([command, root, "--port", "0", "--quiet", ...extra]);
      const res = await fetch(new URL("hello.txt", proc.url));
      assert.equal(await res.text(), "hello from the argument\n");
      proc.child.kill("SIGTERM");
      assert.equal((await proc.status).code, 0);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });

  Deno.test(`netlab ${command} with a directory both as argument and --root is a usage error`, async () => {
    const { code, stderr } = await netlab([command, "./a", "--root", "./b"]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`^netlab ${command}: Give the directory once`));
  });
}

Deno.test("netlab serve stops quietly (exit 141) when the reader of its log has gone", async () => {
  const child = netlabCommand({
    args: ["serve", "--port", "0"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  let text = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before listening: ${text}`);
    text += new TextDecoder().decode(value);
    url = /listening on (http:\/\/\S+\/)/.exec(text)?.[1];
  }
  await reader.cancel(); // `| head -1` has read its line and gone
  // The access-log line for this request meets the closed pipe.
  await fetch(new URL("page.html", url)).then((r) => r.body?.cancel(), () => {});
  assert.equal((await child.status).code, 141);
});
