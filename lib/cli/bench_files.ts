/**
 * The files `netlab bench` reads (--postfile, --cacert) and writes (--out), with one-line errors.
 *
 * @module
 */
import { fileErrorReason, NetlabError } from "../errors.ts";

/** The PEM text of --cacert FILE. */
export async function readCaCert(path: string): Promise<string> {
  try {
    const pem = await Deno.readTextFile(path);
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new NetlabError(`Cannot use --cacert "${path}": no PEM certificate in it`);
    }
    return pem;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NetlabError(`Cannot read --cacert "${path}": no such file`, { cause: err });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new NetlabError(`Cannot read --cacert "${path}": permission denied`, { cause: err });
    }
    throw err;
  }
}

/** The bytes of the body file (-p, -u). */
export async function readBody(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NetlabError(`Cannot read body file "${path}": no such file`, { cause: err });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new NetlabError(`Cannot read body file "${path}": permission denied`, { cause: err });
    }
    throw err;
  }
}

/** Fails now if `path` cannot be written, leaving an existing file as it is. */
export async function checkWritable(path: string): Promise<void> {
  let existed = true;
  try {
    await Deno.lstat(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw reportError(path, err);
    existed = false;
  }
  try {
    (await Deno.open(path, { write: true, create: true })).close();
    if (!existed) await Deno.remove(path);
  } catch (err) {
    throw reportError(path, err);
  }
}

/** Writes the report to --out FILE. */
export async function writeReport(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (err) {
    throw reportError(path, err);
  }
}

/**
 * Where the report of a run that did not complete goes instead of --out FILE, so FILE keeps the
 * last complete run's report: `result.json` becomes `result.interrupted.json` or
 * `result.failed.json`.
 */
export function incompletePath(path: string, why: "interrupted" | "failed"): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  return dot > slash + 1 ? `${path.slice(0, dot)}.${why}${path.slice(dot)}` : `${path}.${why}`;
}

/**
 * Writes a run's report to --out FILE; the report of a run cut short or in which every request
 * failed goes to {@link incompletePath} instead, leaving FILE as it was, and `say` tells where.
 */
export async function writeRunReport(
  path: string,
  text: string,
  cut: "interrupted" | "failed" | null,
  say: (line: string) => void,
): Promise<void> {
  if (cut === null) return await writeReport(path, text);
  const other = incompletePath(path, cut);
  await writeReport(other, text);
  const run = cut === "interrupted" ? "the run was interrupted" : "every request failed";
  say(`${run}: wrote its report to "${other}" and left "${path}" as it was`);
}

function reportError(path: string, err: unknown): unknown {
  const why = err instanceof Deno.errors.NotFound
    ? missingReason(path)
    : fileErrorReason(err, "no such directory");
  if (why === null) return err;
  return new NetlabError(`Cannot write report to "${path}": ${why}`, { cause: err });
}

/**
 * Why creating `path` found nothing: its folder is missing, or is there but takes no new files
 * (`/proc`, `/sys`), which open(2) also reports as ENOENT.
 */
function missingReason(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  try {
    if (!Deno.statSync(dir).isDirectory) return `"${dir}" is not a directory`;
  } catch {
    return `no such directory "${dir}"`;
  }
  return `"${dir}" does not take new files (its file system refused to create one)`;
}
