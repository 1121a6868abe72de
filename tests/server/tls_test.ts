import assert from "node:assert/strict";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { serve } from "../../lib/server/async.ts";
import { makeCert } from "./_cert.ts";
import { spawnNetlab } from "./_spawn.ts";
import { needs } from "../_tools.ts";

Deno.test(
  ...needs(["openssl", "curl"], "serve() serves HTTPS with a certificate and negotiates HTTP/2"),
  async () => {
    await using cert = await makeCert();
    await using server = await serve({
      root: await defaultRoot(),
      port: 0,
      cert: cert.cert,
      key: cert.key,
      accessLog: false,
    });
    assert.equal(server.url, `https://127.0.0.1:${server.addr.port}/`);
    using client = Deno.createHttpClient({ caCerts: [cert.cert], http1: false, http2: true });
    const res = await fetch(new URL("page.html", server.url), { client });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<title>/);
    // curl reports the protocol it actually used; fetch does not expose it
    const curl = await new Deno.Command("curl", {
      args: [
        "-s",
        "-o",
        "/dev/null",
        "--http2",
        "--cacert",
        cert.certFile,
        "-w",
        "%{http_version} %{http_code}",
        new URL("page.html", server.url).href,
      ],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(curl.stdout), "2 200");
  },
);

Deno.test(
  ...needs(["openssl"], "netlab serve --cert --key serves HTTPS and logs an https URL"),
  async () => {
    await using cert = await makeCert();
    await using proc = await spawnNetlab([
      "serve",
      "--port",
      "0",
      "--cert",
      cert.certFile,
      "--key",
      cert.keyFile,
    ]);
    assert.match(proc.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    using client = Deno.createHttpClient({ caCerts: [cert.cert] });
    const res = await fetch(new URL("page.html", proc.url), { client });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    proc.child.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
  },
);
