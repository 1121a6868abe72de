/**
 * One look for every command's `--help`: defaults and choices in one notation, no defaults that
 * say nothing (`false`, `[]`), and the same epilogue on where output goes and what exit codes mean.
 *
 * @module
 */
import type { Command, Help, Option } from "@commander-js/extra-typings";

/** Printed after every command's help. */
export const HELP_EPILOGUE = `
Output: reports and generated files go to stdout; logs, progress and errors to stderr.
Exit status: 0 success, 1 runtime error (e.g. a port in use, every request failed), 2 usage
error (a bad flag or value), 141 stdout closed. On SIGINT/SIGTERM the servers (serve, pool,
balance) drain and exit 0; a run cut short (bench, lab) exits 130 (SIGINT) or 143 (SIGTERM).`;

/** `(default: 8000)`, `(one of: text, json; default: text)`; nothing for a boolean or empty list. */
export function optionExtras(option: Option): string {
  const o = option as unknown as {
    argChoices?: readonly string[];
    defaultValue?: unknown;
    defaultValueDescription?: string;
    negate: boolean;
  };
  const extras: string[] = [];
  if (o.argChoices !== undefined) extras.push(`one of: ${o.argChoices.join(", ")}`);
  let shown: string | undefined = o.defaultValueDescription;
  const value = o.defaultValue;
  if (
    shown === undefined && value !== undefined && !o.negate && typeof value !== "boolean" &&
    !(Array.isArray(value) && value.length === 0)
  ) {
    shown = Array.isArray(value) ? value.join(",") : String(value);
  }
  if (shown !== undefined) extras.push(`default: ${shown}`);
  return extras.length === 0 ? "" : `(${extras.join("; ")})`;
}

/** Applies netlab's help style to `cmd` (not to its subcommands). */
export function styleHelp(cmd: Command): void {
  cmd.helpOption("-h, --help", "show this help");
  cmd.configureHelp({
    showGlobalOptions: false,
    optionDescription(option: Option): string {
      const extras = optionExtras(option);
      return extras === "" ? option.description : `${option.description} ${extras}`;
    },
  } as Partial<Help>);
}
