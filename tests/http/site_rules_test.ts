/** The site flags' pure rules, tested with literal values. */
import assert from "node:assert/strict";
import {
  cacheControlFor,
  isHashedName,
  parseHeaderFlag,
  parseHeaderFlags,
} from "../../lib/http/_headers.ts";
import { spaPath, wantsSpa } from "../../lib/http/_spa.ts";
import { credentialFromFlag, parseHtpasswd } from "../../lib/http/_credentials.ts";
import { decode } from "../../lib/http/_auth.ts";
import { listingView, sortEntries } from "../../lib/http/_listing_render.ts";
import { pickEncoding } from "../../lib/http/_compress.ts";
import { isLoopback } from "../../lib/cli/serve_site.ts";

Deno.test("parseHeaderFlag() takes a field and refuses hop-by-hop, framing and malformed ones", () => {
  assert.deepEqual(parseHeaderFlag("X-Frame-Options: DENY"), ["x-frame-options", "DENY"]);
  assert.deepEqual(parseHeaderFlag("Server:netlab"), ["server", "netlab"]);
  assert.deepEqual(parseHeaderFlag("X-Empty:"), ["x-empty", ""]);
  for (
    const bad of [
      "Connection: close",
      "Keep-Alive: timeout=5",
      "Transfer-Encoding: chunked",
      "Content-Length: 5",
      "TE: trailers",
      "Upgrade: h2c",
      "Trailer: x",
      "Content-Encoding: gzip",
      "ETag: x",
      "Cache-Control: no-store",
      "no colon",
      "Bad Name: x",
      ": x",
      "X-A: a\r\nX-B: b",
      "X-A: a\u0000",
      "X-A: caf\u00e9",
    ]
  ) {
    assert.equal(typeof parseHeaderFlag(bad), "string", bad);
  }
  assert.match(parseHeaderFlag("Connection: close") as string, /hop-by-hop/);
  assert.match(parseHeaderFlag("Content-Length: 5") as string, /framing/);
  assert.match(parseHeaderFlag("cache-control: x") as string, /--cache-control/);
});

Deno.test("parseHeaderFlags() refuses a name given twice and names the bad value", () => {
  assert.deepEqual(parseHeaderFlags(["A: 1", "B: 2"]), [["a", "1"], ["b", "2"]]);
  assert.match(parseHeaderFlags(["A: 1", "a: 2"]) as string, /given twice/);
  assert.match(parseHeaderFlags(["A: 1", "Upgrade: x"]) as string, /"Upgrade: x"/);
});

Deno.test("isHashedName() recognises bundlers' content hashes and nothing else", () => {
  const hashed = [
    "index-BXg2h4Kf.js", // Vite 5 / Rollup
    "index-B-xK9z1q.css", // Rollup's base64url hash holds a dash
    "vendor-D_3kq8Zp.js",
    "index.4f2a1b3c.js", // Vite 2 / Parcel
    "main.3b2f6c8e1a9d4f7b.js", // webpack 5 [contenthash]
    "2.a1b2c3d4.chunk.js", // create-react-app
    "main.3f2a1b4c5d6e7f80.css", // Angular
    "chunk-X3ZKQ4JW.js", // esbuild
    "app-X3ZKQ4JW.css",
    "main-3f2a1b4c5d6e7f80.js", // Next.js
    "logo.a1b2c3d4e5.svg",
  ];
  const plain = [
    "index.html",
    "app.js",
    "app-settings.js",
    "react-dom.production.min.js",
    "jquery-3.7.1.min.js",
    "html5shiv.min.js",
    "report-20240101.pdf",
    "splash-750x1334.png",
    "icon-1024x1024.png",
    "favicon.ico",
    "deadbeef",
    "LICENSE",
    "bootstrap.bundle.min.js",
    "roboto-v20-latin-regular.woff2",
  ];
  for (const name of hashed) assert.equal(isHashedName(name), true, name);
  for (const name of plain) assert.equal(isHashedName(name), false, name);
});

Deno.test("cacheControlFor() gives hashed names a year, the rest no-cache, private behind auth", () => {
  assert.equal(cacheControlFor(undefined, "a.js", false), null);
  assert.equal(cacheControlFor("max-age=60", "a.js", false), "max-age=60");
  assert.equal(
    cacheControlFor("immutable-hashed", "index-BXg2h4Kf.js", false),
    "public, max-age=31536000, immutable",
  );
  assert.equal(
    cacheControlFor("immutable-hashed", "index-BXg2h4Kf.js", true),
    "private, max-age=31536000, immutable",
  );
  assert.equal(cacheControlFor("immutable-hashed", "index.html", false), "no-cache");
});

Deno.test("wantsSpa() takes extensionless paths from clients that name text/html", () => {
  const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  assert.equal(wantsSpa("/users/42", browser), true);
  assert.equal(wantsSpa("/users/42/", browser), true);
  assert.equal(wantsSpa("/", browser), true);
  assert.equal(wantsSpa("/app.js", browser), false);
  assert.equal(wantsSpa("/users/john.doe", browser), false);
  assert.equal(wantsSpa("/users/42", "*/*"), false, "curl and fetch()");
  assert.equal(wantsSpa("/users/42", null), false);
  assert.equal(wantsSpa("/users/42", "text/html;q=0"), false);
  assert.equal(wantsSpa("/users/42", "TEXT/HTML; q=0.5"), true);
});

Deno.test("spaPath() keeps the page inside the root", () => {
  assert.deepEqual(spaPath("/r", "index.html"), { path: "/r/index.html" });
  assert.deepEqual(spaPath("/r", "/app/shell.html"), { path: "/r/app/shell.html" });
  assert.equal("error" in spaPath("/r", "../etc/passwd"), true);
  assert.equal("error" in spaPath("/r", "dir/"), true);
});

Deno.test("parseHtpasswd() takes bcrypt and {SHA} lines and refuses the rest by line", () => {
  const bcrypt = "$2y$05$N54.IiB78vic8en/XHj8kOMJVEEGJmtDUFkI6E6XW3PkDOEx2r4dW";
  const got = parseHtpasswd(
    `# users\n\nann:${bcrypt}\nbob:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\r\n`,
    "f",
  );
  assert.deepEqual(got, [
    { user: "ann", scheme: "bcrypt", hash: bcrypt },
    { user: "bob", scheme: "sha1", hash: "GpHWL3ymc5liWkNopqtdSjuqYHM=" },
  ]);
  assert.match(
    parseHtpasswd("a:$apr1$pXi2vybO$PzlH96YBTRq7VQOWTAhKd1", "f") as string,
    /line 1: user "a" has an \$apr1\$ \(MD5\) hash; use bcrypt \(htpasswd -B\)/,
  );
  assert.match(parseHtpasswd("a:plain", "f") as string, /plain-text/);
  assert.match(parseHtpasswd("x\n", "f") as string, /line 1: expected user:hash/);
  assert.match(parseHtpasswd(`a:${bcrypt}\na:${bcrypt}`, "f") as string, /line 2: .* twice/);
  assert.match(parseHtpasswd("# none\n", "f") as string, /no user/);
});

Deno.test("credentialFromFlag() keeps a digest, never the password, and masks it in errors", () => {
  const c = credentialFromFlag("ann:s3cret:with:colons");
  assert.equal(typeof c, "object");
  assert.equal((c as { user: string }).user, "ann");
  assert.equal(JSON.stringify(c).includes("s3cret"), false);
  assert.match(credentialFromFlag("ann") as string, /expected user:password/);
  assert.match(credentialFromFlag(":pw") as string, /user name is empty/);
  assert.match(credentialFromFlag("ann:") as string, /"ann:\*\*\*".*password is empty/);
});

Deno.test("decode() reads Basic credentials and refuses anything else", () => {
  assert.deepEqual(decode(`Basic ${btoa("ann:pw:x")}`), { user: "ann", password: "pw:x" });
  assert.deepEqual(decode(`basic  ${btoa("ann:")}`), { user: "ann", password: "" });
  assert.equal(decode(`Bearer ${btoa("ann:pw")}`), null);
  assert.equal(decode("Basic !!!"), null);
  assert.equal(decode(`Basic ${btoa("no-colon")}`), null);
  assert.equal(decode(`Basic ${btoa("\xff\xfe:x")}`), null, "not UTF-8");
});

Deno.test("listingView() reads sort, order and format, and refuses unknown values", () => {
  assert.deepEqual(listingView(new URLSearchParams("")), {
    sort: "name",
    order: "asc",
    format: "html",
  });
  assert.deepEqual(listingView(new URLSearchParams("sort=size&order=desc&format=json")), {
    sort: "size",
    order: "desc",
    format: "json",
  });
  assert.match(listingView(new URLSearchParams("sort=owner")) as string, /sort must be one of/);
  const entries = [
    { name: "b", isDirectory: false, size: 1, mtimeMs: 3 },
    { name: "a", isDirectory: false, size: 3, mtimeMs: 1 },
    { name: "z", isDirectory: true, size: null, mtimeMs: 2 },
    { name: "c", isDirectory: false, size: 2, mtimeMs: 2 },
  ];
  const names = (q: string) =>
    sortEntries(entries, listingView(new URLSearchParams(q)) as never).map((e) => e.name).join("");
  assert.equal(names(""), "zabc");
  assert.equal(names("order=desc"), "zcba");
  assert.equal(names("sort=size"), "zbca");
  assert.equal(names("sort=date&order=desc"), "zbca");
});

Deno.test("pickEncoding() chooses among the codings that are there", () => {
  assert.equal(pickEncoding("gzip, br", false, true), "gzip");
  assert.equal(pickEncoding("gzip;q=1, br;q=0.5", true, false), "br");
  assert.equal(pickEncoding("gzip", true, false), null);
});

Deno.test("isLoopback() knows the loopback addresses", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) {
    assert.equal(isLoopback(h), true, h);
  }
  for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1"]) {
    assert.equal(isLoopback(h), false, h);
  }
});
