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

function reportError(path: string, err: unknown): unknown {
  const why = fileErrorReason(err, "no such directory");
  if (why === null) return err;
  return new NetlabError(`Cannot write report to "${path}": ${why}`, { cause: err });
}
