/**
 * `Range: bytes=...` parsing (RFC 9110 section 14). A header we cannot parse is ignored, as the
 * RFC asks, so the client gets the whole file rather than an error. Overlapping and adjacent
 * ranges are merged (the parts otherwise keep the order asked), and a set still larger than
 * {@link MAX_RANGES} is refused with 416 (section 14.2 allows rejecting many small ranges): it
 * never costs more than the bytes asked for.
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

/**
 * Overlapping and adjacent ranges merged into one, the parts in the order they were asked for
 * (RFC 9110 section 15.3.7.2: a server SHOULD keep it); a merged range takes the place of the
 * first of its members.
 */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  const sorted = ranges.map((r, at) => ({ ...r, at })).sort((a, b) => a.start - b.start);
  const out = [sorted[0]!];
  for (const r of sorted.slice(1)) {
    const last = out[out.length - 1]!;
    if (r.start <= last.end + 1) {
      last.end = Math.max(last.end, r.end);
      last.at = Math.min(last.at, r.at);
    } else out.push(r);
  }
  return out.sort((a, b) => a.at - b.at).map(({ start, end }) => ({ start, end }));
}
