import assert from "node:assert/strict";
import { chooseEngine, noProxyExcludes, proxyFor } from "../../lib/bench/engine_choice.ts";
import { netlabCommand } from "../_netlab.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const HTTP = new URL("http://127.0.0.1:8000/");
const HTTPS = new URL("https://example.test/");

Deno.test("chooseEngine() picks raw for http and https targets, and says why", () => {
  assert.deepEqual(chooseEngine("auto", HTTP, env({})), {
    engine: "raw",
    requested: "auto",
    reason: "auto: an HTTP/1.1 http target, which raw serves fastest",
  });
  assert.equal(chooseEngine("auto", HTTPS, env({})).engine, "raw");
  assert.equal(chooseEngine("fetch", HTTP, env({})).reason, "asked for with --engine fetch");
});

Deno.test("chooseEngine() picks fetch where a proxy from the environment applies", () => {
  const proxied = chooseEngine("auto", HTTP, env({ HTTP_PROXY: "http://proxy:3128" }));
  assert.equal(proxied.engine, "fetch");
  assert.equal(proxied.reason, "auto: HTTP_PROXY is set and only fetch goes through a proxy");
  assert.equal(chooseEngine("auto", HTTPS, env({ https_proxy: "http://p:1" })).engine, "fetch");
  assert.equal(chooseEngine("auto", HTTPS, env({ ALL_PROXY: "socks5://p:1" })).engine, "fetch");
  // HTTP_PROXY does not serve https targets, nor HTTPS_PROXY http ones
  assert.equal(chooseEngine("auto", HTTPS, env({ HTTP_PROXY: "http://p:1" })).engine, "raw");
  assert.equal(chooseEngine("auto", HTTP, env({ HTTPS_PROXY: "http://p:1" })).engine, "raw");
  // NO_PROXY excludes the target
  const excluded = env({ HTTP_PROXY: "http://p:1", NO_PROXY: "localhost,127.0.0.1" });
  assert.equal(chooseEngine("auto", HTTP, excluded).engine, "raw");
  assert.equal(chooseEngine("raw", HTTP, env({ HTTP_PROXY: "http://p:1" })).engine, "raw");
});

Deno.test("noProxyExcludes() matches hosts, domains, ports and *", () => {
  const u = new URL("http://api.example.test:8080/x");
  assert.equal(noProxyExcludes("*", u), true);
  assert.equal(noProxyExcludes("example.test", u), true);
  assert.equal(noProxyExcludes(".example.test", u), true);
  assert.equal(noProxyExcludes("*.example.test", u), true);
  assert.equal(noProxyExcludes("example.test:8080", u), true);
  assert.equal(noProxyExcludes("example.test:80", u), false);
  assert.equal(noProxyExcludes("ample.test", u), false);
  assert.equal(noProxyExcludes("other.test, ,", u), false);
  assert.equal(noProxyExcludes("::1", new URL("http://[::1]:9/")), true);
  assert.equal(proxyFor(u, env({ http_proxy: "", HTTP_PROXY: "http://p:1" })), "HTTP_PROXY");
});

Deno.test("netlab bench's report names the engine and why in its first lines", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const run = async (extra: Record<string, string>) => {
    const out = await netlabCommand({
      args: ["bench", "-n", "3", url],
      env: extra,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /^Complete requests:\s+3$/m);
    return text.split("\n").slice(0, 2).join("\n");
  };
  const plain = await run({ NO_PROXY: "", no_proxy: "", HTTP_PROXY: "", http_proxy: "" });
  assert.match(plain, /\nEngine: +raw \(auto: an HTTP\/1\.1 http target/);
  // A proxy excluded by NO_PROXY: still raw. (A proxy that applies would send fetch to it.)
  const excluded = await run({ HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1" });
  assert.match(excluded, /\nEngine: +raw \(auto: /);
});
