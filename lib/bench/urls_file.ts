/**
 * The `--urls-file` format: one request per line, `[METHOD] URL [@body-file] [Header: value]...`;
 * blank lines and lines starting with `#` are skipped. A pure parser: text in, lines out, or a
 * {@linkcode UsageError} naming the line.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { parseBenchUrl } from "./options.ts";

/** One parsed line of a URLs file. */
export interface UrlsFileLine {
  /** 1-based line number in the file. */
  lineNumber: number;
  /** The method, or null when the line names none. */
  method: string | null;
  /** The URL, checked as bench checks its arguments. */
  url: URL;
  /** The body file after `@`, as written (relative to the URLs file), or null. */
  bodyFile: string | null;
  /** Headers in order. */
  headers: Array<[string, string]>;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const METHOD = /^[A-Z][A-Z0-9_-]*$/;
/** A header name followed by a colon: where the next header starts. */
const HEADER_START = /(?:^|\s+)([A-Za-z0-9!#$%&'*+.^_`|~-]+):(?=\s|$)/g;

/** Splits `Name: value Other: value` into pairs; a value runs up to the next `Name:`. */
function parseHeaders(text: string, lineNumber: number): Array<[string, string]> {
  const starts = [...text.matchAll(HEADER_START)];
  if (starts.length === 0 || (starts[0]!.index ?? 0) !== 0) {
    throw new UsageError(`Line ${lineNumber}: expected "Name: value" headers after the URL`);
  }
  const out: Array<[string, string]> = [];
  starts.forEach((m, k) => {
    const valueStart = m.index! + m[0].length;
    const valueEnd = starts[k + 1]?.index ?? text.length;
    out.push([m[1]!, text.slice(valueStart, valueEnd).trim()]);
  });
  return out;
}

/** Parses one non-blank line. */
function parseLine(text: string, lineNumber: number): UrlsFileLine {
  const words = text.trim().split(/\s+/);
  let method: string | null = null;
  if (words.length > 1 && METHOD.test(words[0]!)) method = words.shift()!;
  const urlText = words.shift()!;
  let url: URL;
  try {
    url = parseBenchUrl(urlText);
  } catch (err) {
    throw new UsageError(`Line ${lineNumber}: ${(err as Error).message}`, { cause: err });
  }
  let bodyFile: string | null = null;
  if (words[0]?.startsWith("@")) {
    bodyFile = words.shift()!.slice(1);
    if (bodyFile === "") throw new UsageError(`Line ${lineNumber}: "@" names no body file`);
  }
  const rest = words.join(" ");
  const headers = rest === "" ? [] : parseHeaders(rest, lineNumber);
  for (const [k] of headers) {
    if (!TOKEN.test(k)) throw new UsageError(`Line ${lineNumber}: invalid header name "${k}"`);
  }
  return { lineNumber, method, url, bodyFile, headers };
}

/**
 * Parses a URLs file.
 *
 * @param text the file's text
 * @returns its request lines, in order
 * @throws {UsageError} "Line N: ..." for the first bad line, or when there is no request at all
 */
export function parseUrlsFile(text: string): UrlsFileLine[] {
  const out: UrlsFileLine[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    out.push(parseLine(line, k + 1));
  });
  if (out.length === 0) throw new UsageError("No request in the file: expected [METHOD] URL lines");
  return out;
}
