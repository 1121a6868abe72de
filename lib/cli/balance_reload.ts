/**
 * `netlab balance --backends-file FILE`: the file read at start, and again on each SIGHUP.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Balancer } from "../balancer/balancer.ts";
import { type BackendSpec, BackendSpecError } from "../balancer/backend_spec.ts";
import { parseBackendsFile } from "../balancer/backends_file.ts";
import { NetlabError, UsageError } from "../errors.ts";
import { counted } from "../runtime/text.ts";

/**
 * The backends `file` lists.
 *
 * @throws {UsageError} naming the line of a malformed backend; {NetlabError} when unreadable
 */
export function readBackendsFile(file: string): BackendSpec[] {
  let text;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    throw new NetlabError(`Cannot read --backends-file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return parseBackendsFile(text, file);
  } catch (err) {
    if (err instanceof BackendSpecError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/**
 * Re-reads `file` into the running balancer on each SIGHUP until it has finished; a file that
 * cannot be read or used is refused with one line and the running set kept.
 */
export async function reloadOnHangup(balancer: Balancer, file: string): Promise<void> {
  if (Deno.build.os === "windows") return await balancer.finished;
  const log = getLogger(["netlab", "balance"]);
  const reload = () => {
    try {
      const { added, removed } = balancer.setBackends(readBackendsFile(file));
      const n = counted(balancer.backends.length, "backend");
      const change = [...added.map((a) => `+${a}`), ...removed.map((a) => `-${a}`)].join(" ");
      log.info(`reloaded ${file}: ${n}${change ? `, ${change}` : ", unchanged"}`, {
        added,
        removed,
      });
    } catch (err) {
      const kept = counted(balancer.backends.length, "running backend");
      log.error(`${(err as Error).message}; keeping the ${kept}`);
    }
  };
  Deno.addSignalListener("SIGHUP", reload);
  try {
    await balancer.finished;
  } finally {
    Deno.removeSignalListener("SIGHUP", reload);
  }
}
