/**
 * The one line a server says at start when it may not read its own root: every request under it
 * would be a 403, and the log would otherwise only say so request by request.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";

/**
 * Why this process cannot serve from `root` (a folder it may not enter or not list), or null.
 *
 * @param root the directory to serve, known to exist
 * @returns the warning to log, or null when the root can be read
 */
export async function rootAccessProblem(root: string): Promise<string | null> {
  try {
    // entering the folder needs its x bit, listing it its r bit
    await Deno.stat(`${root}/.`);
    for await (const _ of Deno.readDir(root)) break;
    return null;
  } catch (err) {
    if (!(err instanceof Deno.errors.PermissionDenied)) return null;
    return `Cannot read the root "${root}" (permission denied): requests under it will be ` +
      "answered 403 until this user may read it";
  }
}

/** Logs {@link rootAccessProblem}'s warning on `netlab.server`, if there is one. */
export async function warnUnreadableRoot(root: string): Promise<void> {
  const problem = await rootAccessProblem(root);
  if (problem !== null) getLogger(["netlab", "server"]).warn(problem);
}
