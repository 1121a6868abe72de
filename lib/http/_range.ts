/**
 * `Range: bytes=...` parsing (RFC 9110 section 14). A header we cannot parse is ignored, as the
 * RFC asks, so the client gets the whole file rather than an error. Overlapping and adjacent
 * ranges are merged, and a set still larger than {@link MAX_RANGES} is refused with 416 (section
 * 14.2 allows rejecting many small ranges): it never costs more than the bytes asked for.
 *
 * @module
 */

/** One inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a Range header asks for, given the representation's size. */
export type RangeResult =
  | { kind: "none" }
  | { kind: "unsatisfiable" }
  | { kind: "too-many" }
  | { kind: "ranges"; ranges: ByteRange[] };

const NONE: RangeResult = { kind: "none" };
/** Distinct ranges (once merged) a request may ask for; more is refused with 416. */
export const MAX_RANGES = 32;

/** Parses a Range header value for a representation of `size` bytes. */
export function parseRange(header: string, size: number): RangeResult {
  const eq = header.indexOf("=");
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return NONE;
  const specs = header.slice(eq + 1).split(",");
  const ranges: ByteRange[] = [];
  let specified = false; // "bytes=" and "bytes=," name no range: malformed, not unsatisfiable
  for (const rawSpec of specs) {
    const spec = rawSpec.trim();
    if (spec === "") continue;
    specified = true;
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m || (m[1] === "" && m[2] === "")) return NONE;
    if (m[1] === "") {
      const suffix = Number(m[2]);
      if (suffix === 0 || size === 0) continue;
      ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(m[1]);
    if (m[2] !== "" && Number(m[2]) < start) return NONE; // "5-2" is invalid, not unsatisfiable
    if (start >= size) continue;
    const end = m[2] === "" ? size - 1 : Number(m[2]);
    ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (!specified) return NONE;
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  const merged = ranges.length === 1 ? ranges : coalesce(ranges);
  if (merged.length > MAX_RANGES) return { kind: "too-many" };
  return { kind: "ranges", ranges: merged };
}

/** The ranges in ascending order, overlapping and adjacent ones merged into one. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  const sorted = ranges.toSorted((a, b) => a.start - b.start);
  const out: ByteRange[] = [{ ...sorted[0]! }];
  for (const r of sorted.slice(1)) {
    const last = out[out.length - 1]!;
    if (r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
