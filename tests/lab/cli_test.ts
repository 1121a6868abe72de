import assert from "node:assert/strict";
import { parseInteger, parseLevels, parsePortList } from "../../lib/cli/lab.ts";
import { parseAnchors } from "../../lib/lab/_anchors.ts";
import { UsageError } from "../../lib/errors.ts";
import { netlab } from "../_netlab.ts";

Deno.test("parseLevels() reads a comma list of concurrency levels", () => {
  assert.deepEqual(parseLevels("1,5,10,20,50,100"), [1, 5, 10, 20, 50, 100]);
  assert.deepEqual(parseLevels(" 2 , 4,"), [2, 4]);
  for (const bad of ["", ",", "0", "1,x", "1.5", "-3", "10001"]) {
    assert.throws(() => parseLevels(bad), UsageError, bad);
  }
});

Deno.test("parsePortList() reads lists and ranges, port 0 included", () => {
  assert.deepEqual(parsePortList("9002-9005"), [9002, 9003, 9004, 9005]);
  assert.deepEqual(parsePortList("9002,9010-9011"), [9002, 9010, 9011]);
  assert.deepEqual(parsePortList("0,0"), [0, 0]);
  for (const bad of ["", "70000", "9005-9002", "0-3", "a-b", "1-100"]) {
    assert.throws(() => parsePortList(bad), UsageError, bad);
  }
});

Deno.test("parseInteger() names the flag and the range in its error", () => {
  const workers = parseInteger("--workers", 1, 256);
  assert.equal(workers("4"), 4);
  assert.throws(
    () => workers("0"),
    /^UsageError: Invalid --workers "0": expected an integer from 1 to 256$/,
  );
});

Deno.test("netlab lab --help lists every port flag with the lab's defaults", async () => {
  const { code, stdout } = await netlab(["lab", "--help"]);
  assert.equal(code, 0);
  for (const flag of ["--backend-ports", "--balancer-port", "--async-port", "--pool-port"]) {
    assert.match(stdout, new RegExp(flag));
  }
  assert.match(stdout, /default: 9002-9005/);
  assert.match(stdout, /default: 44444/);
  assert.match(stdout, /Examples:/);
});

Deno.test("parseAnchors() takes auto, none or a list of nginx and haproxy", () => {
  assert.equal(parseAnchors("auto"), "auto");
  assert.equal(parseAnchors("none"), "none");
  assert.deepEqual(parseAnchors("haproxy, nginx,haproxy"), ["haproxy", "nginx"]);
  assert.throws(() => parseAnchors("apache"), /--anchors must be auto, none, or a list/);
  assert.throws(() => parseAnchors(","), /--anchors must be/);
});

Deno.test("netlab lab with a bad flag value is a usage error (exit 2, one line and a hint)", async () => {
  const { code, stderr } = await netlab(["lab", "--balancer-port", "99999"]);
  assert.equal(code, 2);
  assert.equal(
    stderr,
    "netlab lab: Invalid --balancer-port \"99999\": expected an integer from 0 to 65535\nTry 'netlab lab --help' for more information.\n",
  );
});

Deno.test("netlab lab refuses an output directory it cannot write, before starting anything", async () => {
  const file = await Deno.makeTempFile({ prefix: "netlab-not-a-dir-" });
  try {
    const { code, stdout, stderr } = await netlab(["lab", "--out", `${file}/report`]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `netlab lab: Cannot write the report to "${file}/report": Not a directory\n`,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("netlab lab lines up its progress lines whatever the CPU route's --work-ms", async () => {
  const out = await Deno.makeTempDir({ prefix: "netlab-lab-cli-" });
  try {
    const { code, stderr } = await netlab([
      ...["lab", "-n", "2", "--concurrency-levels", "1", "--workers", "1", "--out", out],
      ...["--repeat", "1", "--anchors", "none"],
      ...["--demo-routes", "--work-ms", "10", "--backend-ports", "0", "--balancer-port", "0"],
      ...["--async-port", "0", "--pool-port", "0"],
    ]);
    assert.equal(code, 0, stderr);
    const runs = stderr.split("\n").filter((l) => l.startsWith("["));
    assert.equal(runs.length, 6, stderr);
    assert.ok(runs.some((l) => l.includes("/_netlab/work?ms=10 ")), stderr);
    assert.equal(new Set(runs.map((l) => l.indexOf(" c="))).size, 1, stderr);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("netlab lab --log-format json writes its progress as JSON lines", async () => {
  const out = await Deno.makeTempDir({ prefix: "netlab-lab-cli-" });
  try {
    const { code, stderr } = await netlab([
      ...["lab", "-n", "2", "--concurrency-levels", "1", "--workers", "1", "--out", out],
      ...["--repeat", "1", "--anchors", "none"],
      ...["--log-format", "json", "--backend-ports", "0", "--balancer-port", "0"],
      ...["--async-port", "0", "--pool-port", "0"],
    ]);
    assert.equal(code, 0, stderr);
    const records = stderr.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.ok(records.every((r) => r.logger === "netlab.lab" && r.level === "INFO"), stderr);
    const runs = records.filter((r) => r.properties.model !== undefined && r.properties.route);
    assert.deepEqual(runs.map((r) => r.properties.model), ["async", "pool", "balancer"]);
    assert.match(runs[2].message, /^\[3\/3\] balancer /);
    assert.equal(records.filter((r) => /^started the /.test(r.message)).length, 4);
    assert.match(records.at(-1).message, /^wrote /);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
