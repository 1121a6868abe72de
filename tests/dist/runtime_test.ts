import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { materialize } from "../../lib/runtime/_materialize.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { entryPath, runMode } from "../../lib/runtime/mode.ts";
import { selfCommand } from "../../lib/runtime/self.ts";
import { V8_FLAGS_ARG, v8FlagsFor } from "../../lib/runtime/v8_flags.ts";
import {
  collectFiles,
  digestFiles,
  renderManifest,
  syncManifest,
} from "../../tools/_www_manifest.ts";
import { tempDir } from "./_runner.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

Deno.test("runMode() tells source, bundle and binary apart", () => {
  assert.equal(runMode(), "source");
  assert.equal(runMode("file:///repo/lib/runtime/mode.ts", false), "source");
  assert.equal(runMode("file:///home/me/netlab.js", false), "bundle");
  assert.equal(runMode("file:///tmp/deno-compile-netlab/lib/runtime/mode.ts", true), "binary");
});

Deno.test("entryPath() is main.ts from source and the bundle file itself from a bundle", () => {
  assert.equal(entryPath(), MAIN);
  assert.equal(entryPath("file:///home/me/netlab.js"), "/home/me/netlab.js");
});

Deno.test("selfCommand() runs main.ts from source and the executable itself from a binary", () => {
  assert.deepEqual(selfCommand(["serve", "--port", "0"]), {
    cmd: Deno.execPath(),
    args: ["run", "-A", "--unstable-net", MAIN, "serve", "--port", "0"],
  });
  assert.deepEqual(selfCommand(["bench", "-n", "1", "http://127.0.0.1:1/"]).args.slice(0, 5), [
    "run",
    "-A",
    "--unstable-net",
    V8_FLAGS_ARG,
    MAIN,
  ]);
  assert.deepEqual(selfCommand(["lab"], "binary"), { cmd: Deno.execPath(), args: ["lab"] });
});

Deno.test("v8FlagsFor() gives the flags to bench and lab only, as main.ts and deno.json spell them", async () => {
  assert.deepEqual(v8FlagsFor(["bench", "-n", "1", "http://127.0.0.1:1/"]), [V8_FLAGS_ARG]);
  assert.deepEqual(v8FlagsFor(["lab", "--quiet"]), [V8_FLAGS_ARG]);
  for (const args of [["serve"], ["pool", "--workers", "2"], ["balance"], ["--version"], []]) {
    assert.deepEqual(v8FlagsFor(args), [], args.join(" "));
  }
  // Two places cannot import the module, so they repeat the flags: they must not drift from it.
  const shebang = (await Deno.readTextFile(MAIN)).split("\n")[0]!;
  assert.ok(shebang.split(" ").includes(V8_FLAGS_ARG), shebang);
  const config = JSON.parse(await Deno.readTextFile(join(MAIN, "../deno.json")));
  assert.ok(config.tasks.lab.split(" ").includes(V8_FLAGS_ARG), config.tasks.lab);
});

Deno.test("selfCommand() from source starts a netlab that answers --version", async () => {
  await using dir = await tempDir("netlab-self-");
  const { cmd, args } = selfCommand(["--version"]);
  const out = await new Deno.Command(cmd, { args, cwd: dir.path, stdout: "piped" }).output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /^\d+\.\d+\.\d+/);
});

Deno.test("defaultRoot() from source is the www/ folder beside lib/", async () => {
  const www = fileURLToPath(new URL("../../www", import.meta.url));
  const exists = await Deno.stat(www).then(() => true, () => false);
  if (exists) assert.equal(await defaultRoot(), www);
  else assert.match(await defaultRoot(), /www-/); // no www/ yet: the embedded copy
});

Deno.test("materialize() writes nested files once and reuses the folder", async () => {
  await using dir = await tempDir("netlab-mat-");
  const enc = new TextEncoder();
  const files = [["a.txt", enc.encode("A")], ["img/b.bin", new Uint8Array([0, 1, 255])]] as const;
  const path = await materialize(files, { name: "www-test", base: dir.path });
  assert.equal(path, join(dir.path, "www-test"));
  assert.equal(await Deno.readTextFile(join(path, "a.txt")), "A");
  assert.deepEqual(await Deno.readFile(join(path, "img", "b.bin")), new Uint8Array([0, 1, 255]));
  // A second call trusts the finished folder and writes nothing.
  await Deno.writeTextFile(join(path, "a.txt"), "changed");
  assert.equal(await materialize(files, { name: "www-test", base: dir.path }), path);
  assert.equal(await Deno.readTextFile(join(path, "a.txt")), "changed");
});

Deno.test("materialize() called concurrently ends with one complete folder", async () => {
  await using dir = await tempDir("netlab-mat-");
  const files = Array.from(
    { length: 20 },
    (_, i) => [`f${i}`, new Uint8Array(1000).fill(i)] as const,
  );
  const paths = await Promise.all(
    Array.from({ length: 5 }, () => materialize(files, { name: "www-race", base: dir.path })),
  );
  assert.equal(new Set(paths).size, 1);
  const names = (await Array.fromAsync(Deno.readDir(dir.path))).map((e) => e.name);
  assert.deepEqual(names, ["www-race"]); // no staging folder left behind
  assert.equal((await Array.fromAsync(Deno.readDir(paths[0]!))).length, 20);
});

Deno.test("materialize() refuses a path that climbs out of its folder", async () => {
  await using dir = await tempDir("netlab-mat-");
  const files = [["../evil", new Uint8Array([1])]] as const;
  await assert.rejects(
    materialize(files, { name: "www-bad", base: dir.path }),
    /Cannot write embedded file "\.\.\/evil"/,
  );
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), []);
});

Deno.test("lib/runtime/_www_files.ts is current with www/ (else run `deno task bundle`)", async () => {
  assert.equal(await syncManifest(true), "current");
});

Deno.test("renderManifest() imports each file as bytes with an escaped specifier", async () => {
  const files = [{ path: "a b/c#d.png", bytes: new Uint8Array([1]) }];
  const text = renderManifest(files, await digestFiles(files));
  assert.match(
    text,
    /import f0 from "\.\.\/\.\.\/www\/a%20b\/c%23d\.png" with \{ type: "bytes" \};/,
  );
  assert.match(text, /\["a b\/c#d\.png", f0\],/);
});

Deno.test("digestFiles() changes with a file's name or content", async () => {
  const one = [{ path: "a", bytes: new Uint8Array([1]) }];
  const base = await digestFiles(one);
  assert.notEqual(await digestFiles([{ path: "b", bytes: new Uint8Array([1]) }]), base);
  assert.notEqual(await digestFiles([{ path: "a", bytes: new Uint8Array([2]) }]), base);
  assert.equal(await digestFiles(one), base);
});

Deno.test("collectFiles() of a missing folder is empty", async () => {
  assert.deepEqual(await collectFiles(new URL("file:///nonexistent-netlab-dir/")), []);
});
