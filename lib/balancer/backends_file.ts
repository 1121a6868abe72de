/**
 * `--backends-file`: backends in the `--backend` syntax, one per line, `#` comments and blank
 * lines allowed. Pure: text in, specs out, or one error naming the line.
 *
 * @module
 */
import {
  type BackendSpec,
  BackendSpecError,
  formatAddress,
  parseBackends,
} from "./backend_spec.ts";

/**
 * The backends a file lists, in order.
 *
 * @throws {BackendSpecError} naming the file's line for a malformed or repeated backend, or
 *   when it lists none
 */
export function parseBackendsFile(text: string, name: string): BackendSpec[] {
  const out: BackendSpec[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*/, "").trim();
    if (line === "") continue;
    try {
      for (const spec of parseBackends([line])) {
        const address = formatAddress(spec.host, spec.port);
        if (seen.has(address)) throw new BackendSpecError(`Backend "${address}" is listed twice`);
        seen.add(address);
        out.push(spec);
      }
    } catch (err) {
      if (!(err instanceof BackendSpecError)) throw err;
      throw new BackendSpecError(`${name} line ${i + 1}: ${err.message}`, { cause: err });
    }
  }
  if (out.length === 0) throw new BackendSpecError(`${name} lists no backend`);
  return out;
}
