import assert from "node:assert/strict";
import { chooseAnchors, nginxConfig } from "../../lib/lab/_anchors.ts";

Deno.test("nginxConfig() serves the root on the address with the workers asked, quietly", () => {
  const conf = nginxConfig({ host: "::1", port: 8081, workers: 2, root: "/srv/www", dir: "/t" });
  assert.match(conf, /^worker_processes 2;$/m);
  assert.match(conf, /^daemon off;$/m);
  assert.match(conf, /server \{ listen \[::1\]:8081; root \/srv\/www; \}/);
  assert.match(conf, /access_log off;/);
  assert.match(conf, /client_body_temp_path \/t\/client_body_temp;/);
  assert.doesNotMatch(conf, /^user /m);
  const asRoot = nginxConfig({
    host: "127.0.0.1",
    port: 1,
    workers: 1,
    root: "/w",
    dir: "/t",
    asRoot: true,
  });
  assert.match(asRoot, /^user root;$/m);
});

Deno.test("chooseAnchors('none') runs nothing and says each is off", () => {
  const { run, statuses } = chooseAnchors("none");
  assert.deepEqual(run, []);
  assert.deepEqual(statuses.map((s) => `${s.name} ${s.status} ${s.install}`), [
    "nginx off apt-get install nginx",
    "haproxy off apt-get install haproxy",
  ]);
});

Deno.test("chooseAnchors('auto') takes what is installed and lists the rest as missing", () => {
  const { run, statuses } = chooseAnchors("auto");
  for (const s of statuses) {
    assert.equal(s.status === "used", run.some((r) => r.name === s.name), s.name);
    assert.notEqual(s.status, "off");
  }
});

Deno.test("chooseAnchors() leaves out a missing reference on auto, and refuses one asked for", () => {
  const nowhere = Deno.makeTempDirSync({ prefix: "netlab-no-tools-" });
  try {
    const { run, statuses } = chooseAnchors("auto", [nowhere]);
    assert.deepEqual(run, []);
    assert.deepEqual(statuses.map((s) => s.status), ["missing", "missing"]);
    assert.throws(
      () => chooseAnchors(["haproxy"], [nowhere]),
      /^NetlabError: Cannot run the haproxy reference: haproxy is not installed \(apt-get install haproxy\)$/,
    );
  } finally {
    Deno.removeSync(nowhere);
  }
});
