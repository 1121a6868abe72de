import assert from "node:assert/strict";
import { type SiteFlags, siteOptionsFrom } from "../../lib/cli/serve_site.ts";
import { UsageError } from "../../lib/errors.ts";

const flags = (extra: Partial<SiteFlags>): SiteFlags => ({
  precompressed: true,
  host: "127.0.0.1",
  ...extra,
});

Deno.test("siteOptionsFrom() refuses --auth over plain HTTP off loopback unless told", async () => {
  const root = await Deno.makeTempDir();
  try {
    const auth = { auth: ["ann:pw"] };
    for (const host of ["0.0.0.0", "::", "192.0.2.1"]) {
      await assert.rejects(siteOptionsFrom(flags({ ...auth, host }), root), UsageError, host);
    }
    for (
      const ok of [
        flags({ ...auth, host: "::1" }),
        flags({ ...auth, host: "0.0.0.0", authInsecure: true }),
        flags({ ...auth, host: "0.0.0.0", cert: ["cert.pem"] }),
      ]
    ) {
      const options = await siteOptionsFrom(ok, root);
      assert.equal(options.auth?.[0]?.user, "ann");
      assert.equal(JSON.stringify(options).includes('"pw"'), false, "no password kept");
    }
    const none = await siteOptionsFrom(flags({ host: "0.0.0.0" }), root);
    assert.deepEqual(none, { precompressed: true }, "without --auth, nothing to refuse");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("siteOptionsFrom() takes --spa's default and refuses a page that is not there", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/index.html`, "x");
    assert.equal((await siteOptionsFrom(flags({ spa: true }), root)).spa, "index.html");
    await assert.rejects(siteOptionsFrom(flags({ spa: "shell.html" }), root), /no such file/);
    await assert.rejects(siteOptionsFrom(flags({ spa: "../index.html" }), root), UsageError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
