/**
 * What `main.ts` hands every subcommand: where to print and when to stop. Subcommands never touch
 * `Deno.args`, `Deno.exit` or signal handlers themselves.
 *
 * @module
 */

import type { ReadyInfo } from "../runtime/ready.ts";

/** The runtime surroundings of one CLI invocation. */
export interface CliContext {
  /** Aborted on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Writes text to standard output (reports, generated configs). */
  print(text: string): void;
  /** Writes text to standard error (progress, notices that are not log records). */
  printErr(text: string): void;
  /** True when standard error is a terminal (progress bars). */
  stderrIsTerminal: boolean;
  /** True when standard output is a terminal (bench's live view). */
  stdoutIsTerminal?: boolean;
  /** Stream that log records go to. */
  logStream: WritableStream<Uint8Array>;
  /** Sets the exit code for a run that finished but failed (e.g. every bench request failed). */
  setExitCode(code: number): void;
  /**
   * The exit code for a run cut short by `signal`: 128 + the signal's number, as shells report it
   * (130 for SIGINT, 143 for SIGTERM).
   */
  interruptExitCode(): number;
  /**
   * Called by a server once it takes requests, with the address it bound; `main.ts` turns it into
   * a ready line when a parent asked for one (see `lib/runtime/ready.ts`).
   */
  ready?(info: ReadyInfo): void;
  /** The command line's arguments, for a command that must run itself again (bench --insecure). */
  args?: readonly string[];
  /** URL of the program's entry module (`main.ts`); `netlab pool` starts its workers from it. */
  entryUrl?: string;
}
