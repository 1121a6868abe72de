/**
 * The files of a many-requests run: `--urls-file FILE` (one request per line, body files relative
 * to it) and `--body-dir DIR` (bodies taking turns). Every problem is a one-line usage error naming
 * the file, and the line where there is one.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { fileErrorReason, UsageError } from "../errors.ts";
import type { BenchTarget } from "../bench/_table_options.ts";
import { parseUrlsFile } from "../bench/urls_file.ts";

async function readOr<T>(read: () => Promise<T>, what: string): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const why = fileErrorReason(err) ??
      (err instanceof TypeError || err instanceof Deno.errors.InvalidData
        ? "not UTF-8 text"
        : null);
    if (why === null) throw err;
    throw new UsageError(`Cannot read ${what}: ${why}`, { cause: err });
  }
}

/**
 * Reads `--urls-file` and the body files its lines name.
 *
 * @param path the URLs file
 * @returns one target per request line, in order
 * @throws {UsageError} `--urls-file "F" line N: ...` for a bad line or body file
 */
export async function readUrlsFile(path: string): Promise<BenchTarget[]> {
  const what = `--urls-file "${path}"`;
  const text = await readOr(
    async () => new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path)),
    what,
  );
  let lines;
  try {
    lines = parseUrlsFile(text);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // "Line 3: Invalid URL ..." -> 'Invalid --urls-file "F" line 3: invalid URL ...'
    const message = err.message.replace(
      /^Line (\d+): (.)/,
      (_, n: string, c: string) => `line ${n}: ${c.toLowerCase()}`,
    );
    throw new UsageError(`Invalid ${what}${message.startsWith("line ") ? " " : ": "}${message}`, {
      cause: err,
    });
  }
  const first = lines[0]!.url;
  const targets: BenchTarget[] = [];
  for (const l of lines) {
    const at = `${what} line ${l.lineNumber}`;
    if (l.url.origin !== first.origin) {
      throw new UsageError(
        `Invalid ${at}: ${l.url.origin} is another server than line ${
          lines[0]!.lineNumber
        }'s ${first.origin}; one run loads one server`,
      );
    }
    const t: BenchTarget = { url: l.url.href };
    if (l.method !== null) t.method = l.method;
    if (l.headers.length > 0) t.headers = l.headers;
    if (l.bodyFile !== null) {
      const file = resolve(dirname(path), l.bodyFile);
      t.body = await readOr(() => Deno.readFile(file), `body file "${l.bodyFile}" (${at})`);
    }
    targets.push(t);
  }
  return targets;
}

/**
 * Reads `--body-dir`: its files, by name, as bodies taking turns.
 *
 * @param dir the directory
 * @returns the files' bytes, sorted by name
 * @throws {UsageError} when it cannot be read or holds no file
 */
export async function readBodyDir(dir: string): Promise<Uint8Array[]> {
  const what = `--body-dir "${dir}"`;
  const names = await readOr(async () => {
    const out: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.isFile) out.push(e.name);
    return out;
  }, what);
  if (names.length === 0) throw new UsageError(`Cannot use ${what}: no file in it`);
  names.sort();
  const bodies: Uint8Array[] = [];
  for (const name of names) {
    bodies.push(await readOr(() => Deno.readFile(resolve(dir, name)), `${what} file "${name}"`));
  }
  return bodies;
}
