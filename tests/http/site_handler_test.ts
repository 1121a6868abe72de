/** The SPA fallback, headers, cache policy and Basic auth through the handler itself. */
import assert from "node:assert/strict";
import { createStaticHandler } from "../../lib/http/handler.ts";
import { BasicAuth, CHALLENGE } from "../../lib/http/_auth.ts";
import { credentialFromFlag, parseHtpasswd } from "../../lib/http/_credentials.ts";
import type { Credential } from "../../lib/http/_credentials.ts";
import { needs } from "../_tools.ts";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const APP = "<!doctype html><title>app</title><div id=app></div>\n";

async function site(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-site-" });
  await Deno.writeTextFile(`${root}/index.html`, APP);
  await Deno.mkdir(`${root}/assets`);
  await Deno.writeTextFile(`${root}/assets/index-BXg2h4Kf.js`, "console.log(1);\n");
  await Deno.writeTextFile(`${root}/assets/logo.svg`, "<svg/>\n");
  await Deno.mkdir(`${root}/docs`);
  return {
    root,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

function get(path: string, headers: Record<string, string> = {}, method = "GET"): Request {
  return new Request(`http://127.0.0.1${path}`, { method, headers });
}

Deno.test("createStaticHandler() serves the SPA page for deep links and 404s for the rest", async () => {
  await using s = await site();
  const handler = createStaticHandler({ root: s.root, spa: "index.html" });
  for (const path of ["/users/42", "/users/42/", "/a/b/c?x=1"]) {
    const res = await handler(get(path, { accept: BROWSER }));
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), APP, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(res.headers.get("vary")!, /Accept(?!-)/, "the answer depends on Accept");
  }
  const head = await handler(get("/users/42", { accept: BROWSER }, "HEAD"));
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(APP.length));
  await head.body?.cancel();
  for (
    const [path, accept] of [
      ["/app.js", BROWSER],
      ["/users/john.doe", BROWSER],
      ["/users/42", "*/*"],
      ["/users/42", "application/json"],
    ]
  ) {
    const res = await handler(get(path!, { accept: accept! }));
    assert.equal(res.status, 404, `${path} ${accept}`);
    await res.body?.cancel();
  }
  const post = await handler(get("/users/42", { accept: BROWSER }, "POST"));
  assert.equal(post.status, 405);
  await post.body?.cancel();
  const dir = await handler(get("/docs/", { accept: BROWSER }));
  assert.equal(dir.status, 404, "an existing directory is not a deep link");
  await dir.body?.cancel();
  const asset = await handler(get("/assets/logo.svg", { accept: BROWSER }));
  assert.equal(asset.status, 200);
  await asset.body?.cancel();
});

Deno.test("createStaticHandler() adds --header fields and the cache policy", async () => {
  await using s = await site();
  const handler = createStaticHandler({
    root: s.root,
    headers: [["x-frame-options", "DENY"], ["server", "mine"]],
    cacheControl: "immutable-hashed",
    spa: "index.html",
  });
  const hashed = await handler(get("/assets/index-BXg2h4Kf.js"));
  assert.equal(hashed.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(hashed.headers.get("x-frame-options"), "DENY");
  assert.equal(hashed.headers.get("server"), "mine", "a --header replaces the server's own");
  const etag = hashed.headers.get("etag")!;
  await hashed.body?.cancel();
  const notModified = await handler(get("/assets/index-BXg2h4Kf.js", { "if-none-match": etag }));
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get("cache-control"), "public, max-age=31536000, immutable");
  for (const path of ["/assets/logo.svg", "/index.html"]) {
    const res = await handler(get(path));
    assert.equal(res.headers.get("cache-control"), "no-cache", path);
    await res.body?.cancel();
  }
  const deep = await handler(get("/users/1", { accept: BROWSER }));
  assert.equal(deep.headers.get("cache-control"), "no-cache", "the SPA page is index.html");
  await deep.body?.cancel();
  for (const path of ["/missing.js", "/assets"]) {
    const res = await handler(get(path));
    assert.equal(res.headers.get("x-frame-options"), "DENY", `${path} (${res.status})`);
    await res.body?.cancel();
  }
  const fixed = createStaticHandler({ root: s.root, cacheControl: "max-age=60" });
  const res = await fixed(get("/assets/logo.svg"));
  assert.equal(res.headers.get("cache-control"), "max-age=60");
  await res.body?.cancel();
});

/** Credentials for ann (password "pw") as `--auth` makes them. */
const ANN = credentialFromFlag("ann:pw") as Credential;
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

Deno.test("createStaticHandler() with auth answers 401 with the challenge until credentials fit", async () => {
  await using s = await site();
  const handler = createStaticHandler({
    root: s.root,
    auth: [ANN],
    headers: [["x-frame-options", "DENY"]],
    cacheControl: "immutable-hashed",
  });
  for (
    const authorization of [
      null,
      basic("ann", "wrong"),
      basic("bob", "pw"),
      basic("ann", "pw "),
      "Bearer x",
      "Basic !!",
    ]
  ) {
    const res = await handler(
      get("/index.html", authorization === null ? {} : { authorization }),
    );
    assert.equal(res.status, 401, String(authorization));
    assert.equal(res.headers.get("www-authenticate"), 'Basic realm="netlab"');
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(await res.text(), "401 Unauthorized\n");
  }
  const head = await handler(get("/index.html", {}, "HEAD"));
  assert.equal(head.status, 401);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const ok = await handler(get("/assets/index-BXg2h4Kf.js", { authorization: basic("ann", "pw") }));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("cache-control"), "private, max-age=31536000, immutable");
  await ok.body?.cancel();
  const preflight = await handler(get("/index.html", {}, "OPTIONS"));
  assert.equal(preflight.status, 204, "OPTIONS needs no credentials");
  const missing = await handler(get("/missing"));
  assert.equal(missing.status, 401, "what exists is not told without credentials");
  await missing.body?.cancel();
});

Deno.test("BasicAuth remembers a success and a failure, keyed by the whole credential", () => {
  const auth = new BasicAuth([ANN]);
  assert.equal(auth.check(basic("ann", "pw")), "ok");
  assert.equal(auth.check(basic("ann", "pw")), "ok");
  assert.equal(auth.checked, 1, "the second success came from memory");
  assert.equal(auth.check(basic("ann", "pX")), "denied", "same user, other password");
  assert.equal(auth.check(basic("ann", "pX")), "denied");
  assert.equal(auth.checked, 2, "a repeated failure costs no second check");
  assert.equal(auth.check(null), "denied");
  assert.equal(CHALLENGE, 'Basic realm="netlab"');
});

/** `htpasswd ARGS` (Debian's apache2-utils) and its output line. */
function htpasswd(args: string[]): string {
  const out = new Deno.Command("htpasswd", { args, stdout: "piped", stderr: "piped" }).outputSync();
  assert.equal(out.success, true, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test(
  ...needs(["htpasswd"], "createStaticHandler() accepts the entries Debian's htpasswd makes"),
  async () => {
    await using s = await site();
    const file = [
      htpasswd(["-nbB", "ann", "bcrypt pw"]),
      htpasswd(["-nbB", "-C", "6", "cy", "caf\u00e9"]),
      htpasswd(["-nbs", "bob", "sha pw"]),
    ].join("");
    const creds = parseHtpasswd(file, "users");
    assert.ok(Array.isArray(creds), String(creds));
    const handler = createStaticHandler({ root: s.root, auth: creds });
    const status = async (authorization: string) => {
      const res = await handler(get("/index.html", { authorization }));
      await res.body?.cancel();
      return res.status;
    };
    assert.equal(await status(basic("ann", "bcrypt pw")), 200);
    assert.equal(await status(basic("bob", "sha pw")), 200);
    const utf8 = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode("cy:caf\u00e9")))}`;
    assert.equal(await status(utf8), 200, "a UTF-8 password");
    assert.equal(await status(basic("ann", "sha pw")), 401);
    assert.equal(await status(basic("bob", "bcrypt pw")), 401);
    const md5 = htpasswd(["-nbm", "dan", "pw"]);
    assert.match(parseHtpasswd(md5, "users") as string, /\$apr1\$ \(MD5\)/);
  },
);
