/**
 * Every site flag (`--precompressed` by default, `--spa`, `--header`, `--cache-control`,
 * `--auth`, `--auth-file`, `--list` views) on real servers, checked with curl: `netlab serve` on
 * both engines and `netlab pool` in each dispatch mode and engine. The run must say it used the
 * engine asked for, so a quiet fallback fails.
 */
import assert from "node:assert/strict";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { needs } from "../_tools.ts";
import { netlab } from "../_netlab.ts";
import { spawnNetlab } from "./_spawn.ts";

const JS = "export const answer = 42;\n".repeat(60);
const HASHED = "/assets/index-BXg2h4Kf.js";
const BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8";

/** A built app: index.html, a hashed bundle with .gz and .br siblings, a folder to list. */
async function app(): Promise<{ root: string; users: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-flags-" });
  await Deno.writeTextFile(`${root}/index.html`, "<!doctype html><div id=app></div>\n");
  await Deno.mkdir(`${root}/assets`);
  await Deno.writeTextFile(`${root}${HASHED}`, JS);
  await Deno.writeFile(`${root}${HASHED}.gz`, gzipSync(JS));
  await Deno.writeFile(`${root}${HASHED}.br`, brotliCompressSync(JS));
  await Deno.mkdir(`${root}/files`);
  await Deno.writeTextFile(`${root}/files/small.txt`, "s\n");
  await Deno.writeTextFile(`${root}/files/large.txt`, "l".repeat(5000));
  await Deno.writeTextFile(`${root}/files/index.txt`, "i\n".repeat(100));
  const users = `${root}.htpasswd`;
  const made = (args: string[]) =>
    new TextDecoder().decode(new Deno.Command("htpasswd", { args }).outputSync().stdout);
  await Deno.writeTextFile(
    users,
    made(["-nbB", "ann", "pw-ann"]) + made(["-nbs", "bob", "pw-bob"]),
  );
  return {
    root,
    users,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(users);
    },
  };
}

interface Curl {
  status: number;
  headers: Headers;
  body: string;
}

/** One request with curl: `-u`, `-H` and the rest as given. */
async function curl(url: string, args: string[]): Promise<Curl> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "-D", "-", "--max-time", "20", ...args, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.success, true, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  const split = text.indexOf("\r\n\r\n");
  const lines = text.slice(0, split).split("\r\n");
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return { status: Number(lines[0]!.split(" ")[1]), headers, body: text.slice(split + 4) };
}

/** Sends `head` on a new connection and reads until the server closes it. */
async function raw(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(head));
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of conn.readable) text += decoder.decode(chunk, { stream: true });
  return text;
}

const SETUPS: [string, string[], RegExp][] = [
  ["serve, epoll engine", ["serve", "--engine", "epoll"], /\(engine epoll\)/],
  ["serve, deno engine", ["serve", "--engine", "deno"], /\(engine deno\)/],
  [
    "pool, kernel dispatch, epoll engine",
    ["pool", "--workers", "2", "--dispatch", "kernel", "--engine", "epoll"],
    /kernel dispatch, engine epoll/,
  ],
  [
    "pool, kernel dispatch, deno engine",
    ["pool", "--workers", "2", "--dispatch", "kernel", "--engine", "deno"],
    /kernel dispatch, engine deno/,
  ],
  ["pool, queue dispatch", ["pool", "--workers", "2", "--dispatch", "queue"], /queue dispatch/],
];

for (const [name, command, engine] of SETUPS) {
  Deno.test(
    ...needs(["curl", "htpasswd"], `netlab ${name} answers every site flag as documented`),
    async () => {
      await using site = await app();
      await using server = await spawnNetlab([
        ...command,
        site.root,
        "--port",
        "0",
        "--list",
        "--spa",
        "--header",
        "X-Frame-Options: DENY",
        "--header",
        "Server: edge",
        "--cache-control",
        "immutable-hashed",
        "--auth-file",
        site.users,
        "--auth",
        "cy:pw-cy",
      ]);
      assert.match(server.stderr(), engine);
      const url = (path: string) => new URL(path, server.url).href;
      const ann = ["-u", "ann:pw-ann"];

      const denied = await curl(url(HASHED), []);
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get("www-authenticate"), 'Basic realm="netlab"');
      assert.equal(denied.headers.get("x-frame-options"), "DENY");
      assert.equal((await curl(url(HASHED), ["-u", "ann:wrong"])).status, 401);
      if (name.includes("epoll engine")) {
        // the engine's own refusal, before the handler sees anything, carries the site's fields
        const refused = await raw(server.url, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
        assert.match(refused, /^HTTP\/1\.1 400 .*\r\nx-frame-options: DENY\r\n/s);
        assert.match(refused, /\r\nserver: edge\r\n/);
      }

      const gz = await curl(url(HASHED), [...ann, "-H", "Accept-Encoding: gzip"]);
      assert.equal(gz.status, 200);
      assert.equal(gz.headers.get("content-encoding"), "gzip");
      assert.equal(gz.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.equal(gz.headers.get("content-length"), String(gzipSync(JS).length));
      assert.equal(gz.headers.get("vary"), "Accept-Encoding");
      assert.equal(gz.headers.get("cache-control"), "private, max-age=31536000, immutable");
      assert.equal(gz.headers.get("x-frame-options"), "DENY");
      for (const user of [["-u", "bob:pw-bob"], ["-u", "cy:pw-cy"]]) {
        const br = await curl(url(HASHED), [...user, "--compressed", "-H", "Accept-Encoding: br"]);
        assert.equal(br.headers.get("content-encoding"), "br", user.join(" "));
        assert.equal(br.body, JS, "curl decodes it to the original");
      }
      const range = await curl(url(HASHED), [...ann, "-H", "Accept-Encoding: gzip", "-r", "0-1"]);
      assert.equal(range.status, 206);
      assert.equal(range.headers.get("content-encoding"), "gzip");
      assert.equal(range.body, "\x1f\ufffd", "the first two bytes of the .gz (0x1f 0x8b)");

      const deep = await curl(url("/users/42"), [...ann, "-H", `Accept: ${BROWSER}`]);
      assert.equal(deep.status, 200);
      assert.equal(deep.body, "<!doctype html><div id=app></div>\n");
      assert.equal(deep.headers.get("cache-control"), "no-cache");
      assert.equal((await curl(url("/users/42"), ann)).status, 404, "curl's */* is no navigation");
      assert.equal((await curl(url("/app.js"), [...ann, "-H", `Accept: ${BROWSER}`])).status, 404);

      const json = await curl(url("/files/?format=json&sort=size&order=desc"), ann);
      assert.equal(json.headers.get("content-type"), "application/json");
      const listed = JSON.parse(json.body) as { entries: { name: string; size: number }[] };
      assert.deepEqual(listed.entries.map((e) => [e.name, e.size]), [
        ["large.txt", 5000],
        ["index.txt", 200],
        ["small.txt", 2],
      ]);
      const html = await curl(url("/files/?sort=date"), ann);
      assert.match(
        html.body,
        /<td title="5000 bytes">4\.9 KiB<\/td><td>\d{4}-\d\d-\d\d \d\d:\d\d UTC/,
      );
      assert.equal((await curl(url("/files/?sort=owner"), ann)).status, 400);

      const warned = server.stderr().match(/shows in the process list/g) ?? [];
      assert.equal(warned.length, 1, "the --auth warning is given once");
    },
  );
}

Deno.test("netlab serve refuses bad site flags with one line and exit 2", async () => {
  for (
    const [args, message] of [
      [["--header", "Connection: close"], /Connection is hop-by-hop/],
      [["--header", "Content-Length: 1"], /Content-Length is framing/],
      [["--header", "no colon"], /expected "Name: value"/],
      [["--header", "A: 1", "--header", "a: 2"], /given twice/],
      [["--cache-control", ""], /--cache-control ""/],
      [["--spa", "nope.html"], /--spa "nope.html": no such file/],
      [["--auth", "ann"], /expected user:password/],
      [["--auth", "ann:pw", "--host", "0.0.0.0"], /over plain HTTP on "0.0.0.0".*--auth-insecure/],
    ] as [string[], RegExp][]
  ) {
    const out = await netlab(["serve", "--port", "0", ...args]);
    assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
    assert.match(out.stderr, message);
    assert.doesNotMatch(out.stderr, /\n\s+at /, "no stack trace");
  }
  const missing = await netlab(["serve", "--port", "0", "--auth-file", "/nonexistent/users"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot read --auth-file "\/nonexistent\/users": no such file/);
});

for (const engine of ["epoll", "deno"]) {
  Deno.test(
    ...needs(
      ["curl"],
      `netlab serve (${engine}) with --no-precompressed and --auth-insecure compresses on the fly and still asks for a password`,
    ),
    async () => {
      await using site = await app();
      await using server = await spawnNetlab([
        "serve",
        site.root,
        "--engine",
        engine,
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        "--no-precompressed",
        "--auth",
        "ann:pw-ann",
        "--auth-insecure",
      ]);
      assert.match(server.stderr(), new RegExp(`\\(engine ${engine}\\)`));
      const port = new URL(server.url).port;
      // only loopback traffic: the server listens on every address, the test asks 127.0.0.1
      const url = `http://127.0.0.1:${port}${HASHED}`;
      assert.equal((await curl(url, [])).status, 401);
      const gz = await curl(url, ["-u", "ann:pw-ann", "-H", "Accept-Encoding: gzip"]);
      assert.equal(gz.status, 200);
      assert.equal(gz.headers.get("content-encoding"), "gzip");
      // the original's size in the ETag: compressed from it, not the sibling sent as it is
      const size = (await Deno.stat(`${site.root}${HASHED}`)).size.toString(16);
      assert.match(gz.headers.get("etag")!, new RegExp(`^"${size}-[0-9a-f]+-gzip"$`));
    },
  );
}
