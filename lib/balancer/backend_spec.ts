/**
 * Parses `--backend` values: `HOST:PORT`, port ranges `HOST:FIRST-LAST`, comma lists, IPv6 in
 * brackets (`[::1]:9002`) and an optional weight after `@` (`127.0.0.1:9002@3`, default 1).
 * `@` rather than `*` because `*` is a shell glob and would need quoting.
 *
 * @module
 */

/** One backend as configured: where it is and how much traffic it gets relative to the others. */
export interface BackendSpec {
  /** Host name, IPv4 or IPv6 address (without brackets). */
  host: string;
  /** TCP port, 1..65535. */
  port: number;
  /** Relative weight, 1..256. @default {1} */
  weight: number;
}

/** A `--backend` value that cannot be understood; the CLI turns it into a usage error. */
export class BackendSpecError extends Error {
  override name = "BackendSpecError";
}

/** HAProxy's largest server weight, so `--emit haproxy` writes a configuration it accepts. */
const MAX_WEIGHT = 256;
const MAX_RANGE = 1024;
const ITEM = /^(?:\[([0-9A-Fa-f:.%\w]+)\]|([A-Za-z0-9.\-_]+)):(\d{1,5})(?:-(\d{1,5}))?(?:@(\d+))?$/;

import { formatAddress } from "../runtime/address.ts";
export { formatAddress };

function parsePort(text: string, item: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BackendSpecError(`Invalid backend "${item}": port "${text}" is not in 1-65535`);
  }
  return port;
}

/** Parses one comma-free item such as `127.0.0.1:9002-9005@2`. */
function parseItem(item: string): BackendSpec[] {
  const m = ITEM.exec(item);
  if (!m) {
    throw new BackendSpecError(
      `Invalid backend "${item}": expected HOST:PORT, HOST:FIRST-LAST or [IPv6]:PORT, optionally @WEIGHT`,
    );
  }
  const host = (m[1] ?? m[2])!;
  if (m[1] !== undefined && !m[1].includes(":")) {
    throw new BackendSpecError(`Invalid backend "${item}": only IPv6 addresses go in brackets`);
  }
  const first = parsePort(m[3]!, item);
  const last = m[4] === undefined ? first : parsePort(m[4], item);
  if (last < first) {
    throw new BackendSpecError(`Invalid backend "${item}": port range ${first}-${last} is empty`);
  }
  if (last - first + 1 > MAX_RANGE) {
    throw new BackendSpecError(
      `Invalid backend "${item}": port range has more than ${MAX_RANGE} ports`,
    );
  }
  const weight = m[5] === undefined ? 1 : Number(m[5]);
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
    throw new BackendSpecError(`Invalid backend "${item}": weight must be 1-${MAX_WEIGHT}`);
  }
  const out: BackendSpec[] = [];
  for (let port = first; port <= last; port++) out.push({ host, port, weight });
  return out;
}

/**
 * Parses every `--backend` value, in order, into a flat list of backends.
 *
 * @throws {BackendSpecError} on an empty list, a malformed item or a backend listed twice.
 *
 * @param values The raw values, in order.
 * @returns One {@linkcode BackendSpec} per backend, in order.
 * @throws {BackendSpecError} when the list is empty, a value is malformed or repeats a backend.
 *
 * @example
 * ```ts
 * import { parseBackends } from "@netlab/netlab/balancer";
 *
 * const specs = parseBackends(["127.0.0.1:9002-9003@2", "[::1]:9004"]);
 * console.log(specs.length); // 3
 * console.log(specs[0]); // { host: "127.0.0.1", port: 9002, weight: 2 }
 * ```
 */
export function parseBackends(values: readonly string[]): BackendSpec[] {
  const out: BackendSpec[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    for (const raw of value.split(",")) {
      const item = raw.trim();
      if (item === "") {
        throw new BackendSpecError(`Invalid backend list "${value}": empty item`);
      }
      for (const spec of parseItem(item)) {
        const address = formatAddress(spec.host, spec.port);
        if (seen.has(address)) {
          throw new BackendSpecError(`Backend "${address}" is listed twice`);
        }
        seen.add(address);
        out.push(spec);
      }
    }
  }
  if (out.length === 0) throw new BackendSpecError("No backend given: use --backend HOST:PORT");
  return out;
}
