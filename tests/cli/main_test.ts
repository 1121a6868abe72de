import assert from "node:assert/strict";
import { MAIN, netlab } from "../_netlab.ts";
export { netlab } from "../_netlab.ts";

Deno.test("netlab --help lists every command with examples", async () => {
  const { code, stdout } = await netlab(["--help"]);
  assert.equal(code, 0);
  for (const cmd of ["serve", "pool", "balance", "bench", "lab"]) {
    assert.match(stdout, new RegExp(cmd));
  }
  assert.match(stdout, /Examples:/);
});

Deno.test("netlab --version prints the version from deno.json", async () => {
  const meta = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const { code, stdout } = await netlab(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), meta.version);
});

Deno.test("netlab with an unknown command is a usage error (exit 2, one line and a hint)", async () => {
  const { code, stderr } = await netlab(["frobnicate"]);
  assert.equal(code, 2);
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^netlab: unknown command 'frobnicate'/);
  assert.match(lines[1]!, /--help/);
});

Deno.test("netlab suggests a command only when one is near what was typed", async () => {
  const far = await netlab(["foo"]);
  assert.equal(far.code, 2);
  assert.doesNotMatch(far.stderr, /Did you mean/, "foo is not near pool");
  for (const [typed, meant] of [["serv", "serve"], ["blance", "balance"], ["bech", "bench"]]) {
    const near = await netlab([typed!]);
    assert.equal(near.code, 2);
    assert.match(
      near.stderr,
      new RegExp(`unknown command '${typed}'\\n\\(Did you mean ${meant}\\?\\)`),
    );
  }
});

Deno.test("netlab with no arguments prints the help on stdout and exits 0", async () => {
  const { code, stdout, stderr } = await netlab([]);
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: netlab /);
  assert.match(stdout, /Commands:/);
  assert.equal(stderr, "");
});

Deno.test("netlab help <command> prints that command's help; an unknown one is a usage error", async () => {
  const ok = await netlab(["help", "bench"]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /^Usage: netlab bench /);
  const bad = await netlab(["help", "nosuch"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^netlab: unknown command 'nosuch'\nTry 'netlab --help'/);
});

Deno.test("netlab stops quietly when the reader of its stdout has gone", async () => {
  // The reader closes before netlab can start (Deno takes far longer to boot than this cancel):
  // the write then meets a closed pipe. Should netlab win that race, it exits 0, also quietly.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", MAIN, "--help"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel();
  const out = await child.output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.ok(out.code === 141 || out.code === 0, `exit code ${out.code}`);
});

/** Runs `netlab ...args` from source with only the given permission flags. */
async function netlabWith(permissions: string[], args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--unstable-net", ...permissions, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("netlab --version and --help need no permission at all", async () => {
  const version = await netlabWith([], ["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const help = await netlabWith([], ["bench", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: netlab bench/);
});

for (
  const [args, flag] of [
    [["serve", "--port", "0"], "--allow-read"],
    [["pool", "--port", "0"], "--allow-read"],
    [["balance", "--port", "0", "--backend", "127.0.0.1:9", "--engine", "deno"], "--allow-net"],
    [["bench", "http://127.0.0.1:9/"], "--allow-net"],
    [["lab", "--out", "/tmp/netlab-no-such-permission"], "--allow-write"],
  ] as const
) {
  Deno.test(`netlab ${args[0]} without permissions says in one line which flag to add`, async () => {
    const { code, stderr } = await netlabWith([], [...args]);
    assert.equal(code, 1);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, new RegExp(`^netlab ${args[0]}: missing permission: .*${flag}`));
  });
}

for (const command of ["serve", "pool", "balance", "bench", "lab"]) {
  Deno.test(`netlab ${command} --help reads like every other command's help`, async () => {
    const { code, stdout: text } = await netlab([command, "--help"]);
    assert.equal(code, 0);
    assert.match(text, new RegExp(`Examples:\\n {2}netlab ${command} `));
    const stdout = text.replace(/\s+/g, " "); // what follows reads across wrapped lines
    assert.match(stdout, / Output: .*stdout.*stderr/);
    assert.match(stdout, / Exit status: 0 success, 1 runtime error/);
    // one rule for signals, the same in every help (and in the README and docs)
    assert.match(
      stdout,
      / On SIGINT\/SIGTERM the servers \(serve, pool, balance\) drain and exit 0; a run cut short \(bench, lab\) exits 130 \(SIGINT\) or 143 \(SIGTERM\)\./,
    );
    if (/--quiet/.test(stdout)) assert.match(stdout, /-q, --quiet/);
    assert.doesNotMatch(stdout, /\(default: (\[\]|false|true|undefined)\)/);
    assert.doesNotMatch(stdout, /\(default [^:]/, "one notation: (default: X)");
    assert.doesNotMatch(stdout, /choices:/, "choices read (one of: a, b)");
    assert.doesNotMatch(stdout, /default: "/, "no JSON quotes around defaults");
  });
}

Deno.test('bad values read alike in every command: Invalid FLAG "value": expected ...', async () => {
  for (
    const args of [
      ["serve", "--port", "x"],
      ["pool", "--workers", "0"],
      ["balance", "--idle-timeout", "x", "--backend", "127.0.0.1:9"],
      ["bench", "-t", "x", "http://127.0.0.1:9/"],
      ["lab", "--pool-port", "x"],
      ["lab", "--engine", "curl"],
    ]
  ) {
    const { code, stderr } = await netlab(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, new RegExp(`^netlab ${args[0]}: Invalid ${args[1]} "\\w+": expected `));
  }
});

Deno.test("a usage error in a command's own command points at that command's help", async () => {
  const { code, stderr } = await netlab(["bench", "compare"]);
  assert.equal(code, 2);
  assert.match(stderr, /^netlab bench compare: missing required argument 'base'\n/);
  assert.match(stderr, /Try 'netlab bench compare --help' for more information\.\n$/);
});
