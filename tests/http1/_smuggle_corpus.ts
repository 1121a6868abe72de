/**
 * Ambiguous requests for the smuggling test (the method of HTTP Garden and smuggler): each case
 * asks for `/r<i>` with framing that readers may disagree on (CL/TE mixes, duplicate or signed
 * Content-Length, obs-fold, bare CR/LF, NUL, chunk-extension tricks, whitespace before the colon,
 * absolute-form targets, duplicate Host, oversized fields), most with a request for `/s<i>`
 * hidden where a lax reader would find it. Seeded: the same seed, the same cases.
 *
 * @module
 */

/** One case: the ambiguous request's bytes and its number. */
export interface SmuggleCase {
  id: number;
  /** which template made it */
  kind: string;
  request: string;
}

type Template = (p: string, s: string, pick: <T>(xs: T[]) => T) => string;

const TE = "Transfer-Encoding";
const CL = "Content-Length";

/** `chunked` spellings a lax reader may take for chunked and a strict one refuses. */
const TE_VALUES = [
  "chunked",
  " chunked",
  "chunked ",
  "Chunked",
  "CHUNKED",
  "xchunked",
  "chunked, identity",
  "identity, chunked",
  "gzip, chunked",
  "chunked, chunked",
  '"chunked"',
  "chunked\x0b",
  "\tchunked",
  "chunk",
  "chunked;q=1",
];
const CL_VALUES = [
  "+6",
  "-6",
  "06",
  "6 ",
  " 6",
  "6, 6",
  "6,6",
  "6, 7",
  "0x6",
  "6\x00",
  "6.0",
  "1e1",
];

function hex(n: number): string {
  return n.toString(16);
}

const TEMPLATES: Record<string, Template> = {
  "CL.TE": (p, s, pick) =>
    `${pick(["POST", "GET", "PUT"])} ${p} HTTP/1.1\r\nHost: x\r\n${CL}: ${5 + s.length}\r\n` +
    `${TE}: ${pick(TE_VALUES)}\r\n\r\n0\r\n\r\n${s}`,
  "TE.CL": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: ${pick(TE_VALUES)}\r\n${CL}: 4\r\n\r\n` +
    `${hex(s.length + 2)}\r\nxx${s}\r\n0\r\n\r\n`,
  "TE alone, odd spelling": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: ${pick(TE_VALUES)}\r\n\r\n0\r\n\r\n${s}`,
  "two TE fields": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: ${pick(["chunked", "identity"])}\r\n` +
    `${TE}: ${pick(["chunked", "identity", "xchunked"])}\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "TE in obs-fold": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}:${pick(["", " "])}\r\n${pick([" ", "\t"])}chunked\r\n` +
    `${CL}: ${5 + s.length}\r\n\r\n0\r\n\r\n${s}`,
  "TE name mangled": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${
      pick([`${TE} `, `${TE}\t`, " " + TE, "Transfer_Encoding", "Transfer-Encoding\x00"])
    }: chunked\r\n${CL}: ${5 + s.length}\r\n\r\n0\r\n\r\n${s}`,
  "signed or listed CL": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${CL}: ${pick(CL_VALUES)}\r\n\r\nabcdef${s}`,
  "duplicate CL": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${CL}: ${pick(["0", "6"])}\r\n${CL}: ${
      pick(["6", `${6 + s.length}`, "0"])
    }\r\n\r\nabcdef${s}`,
  "CL name mangled": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${
      pick([`${CL} `, " " + CL, "Content_Length", "Content-Length\t"])
    }: ${s.length}\r\n\r\n${s}`,
  "GET with a body": (p, s, pick) =>
    `${
      pick(["GET", "OPTIONS", "DELETE"])
    } ${p} HTTP/1.1\r\nHost: x\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "bare LF line ends": (p, s, pick) =>
    pick([
      `GET ${p} HTTP/1.1\nHost: x\n\n${s}`,
      `GET ${p} HTTP/1.1\r\nHost: x\nX: y\r\n\r\n${s}`,
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${CL}: 0\n${TE}: chunked\r\n\r\n0\r\n\r\n${s}`,
      `GET ${p} HTTP/1.1\r\nHost: x\r\n\n${s}`,
    ]),
  "bare CR": (p, s, pick) =>
    pick([
      `GET ${p} HTTP/1.1\r\nHost: x\r\nX: a\r${CL}: ${s.length}\r\n\r\n${s}`,
      `GET ${p} HTTP/1.1\rHost: x\r\n\r\n${s}`,
      `POST ${p} HTTP/1.1\r\nHost: x\r\nX: a\r${TE}: chunked\r\n${CL}: ${
        5 + s.length
      }\r\n\r\n0\r\n\r\n${s}`,
    ]),
  "NUL": (p, s, pick) =>
    pick([
      `GET ${p}\x00 HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${p} HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n`,
      `GET ${p} HTTP/1.1\r\nHost: x\x00\r\n\r\n`,
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: chunked\r\n\r\n5\x00\r\nabcde\r\n0\r\n\r\n${s}`,
    ]),
  "chunk size tricks": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: chunked\r\n\r\n${
      pick([
        `5 6\r\nabcde\r\n0\r\n\r\n${s}`,
        `0x5\r\nabcde\r\n0\r\n\r\n${s}`,
        `-5\r\nabcde\r\n0\r\n\r\n${s}`,
        `+5\r\nabcde\r\n0\r\n\r\n${s}`,
        `fffffffffffffffff5\r\nabcde\r\n0\r\n\r\n${s}`,
        `0000000000000000000005\r\nabcde\r\n0\r\n\r\n${s}`,
        `5\nabcde\r\n0\r\n\r\n${s}`,
        `5\r\nabcde\n0\r\n\r\n${s}`,
        `5\r\nabcdefg\r\n0\r\n\r\n${s}`,
        `0\r\n\n${s}`,
        `0\n\r\n${s}`,
        `0\r\n\r${s}`,
        `${hex(s.length)}\r\n${s}\r\n0\r\n\r\n`,
      ])
    }`,
  "chunk extension tricks": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: chunked\r\n\r\n${
      pick([
        `5;a=b\r\nabcde\r\n0\r\n\r\n${s}`,
        `5;a="b\r\nabcde\r\n0\r\n\r\n${s}`,
        `5;a="\r\n"\r\nabcde\r\n0\r\n\r\n${s}`,
        `5;a\nb\r\nabcde\r\n0\r\n\r\n${s}`,
        `5;a\rb\r\nabcde\r\n0\r\n\r\n${s}`,
        `5;\x00\r\nabcde\r\n0\r\n\r\n${s}`,
        `5 ;a\r\nabcde\r\n0\r\n\r\n${s}`,
        `5;${"a".repeat(5000)}\r\nabcde\r\n0\r\n\r\n${s}`,
        `0;a="${s.replace(/\r\n/g, "")}"\r\n\r\n`,
      ])
    }`,
  "trailer tricks": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${TE}: chunked\r\n\r\n0\r\n${
      pick([
        `${CL}: 50\r\n\r\n${s}`,
        `X: y\n\r\n${s}`,
        `X : y\r\n\r\n${s}`,
        `X: y\r\n z\r\n\r\n${s}`,
        `X: a\x00\r\n\r\n${s}`,
        `${s}`,
      ])
    }`,
  "whitespace before the colon": (p, s, pick) =>
    `GET ${p} HTTP/1.1\r\n${
      pick(["Host : x", "Host\t: x", "Host: x\r\nX : y"])
    }\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "obs-fold": (p, s, pick) =>
    `GET ${p} HTTP/1.1\r\nHost: x\r\nX: y\r\n${
      pick([" ", "\t"])
    }z\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "first field folded": (p, s) => `GET ${p} HTTP/1.1\r\n Host: x\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "absolute-form target": (p, s, pick) =>
    `GET ${
      pick(["http://x", "http://y", "https://x", "HTTP://x", "http://x:80", "http://u@x"])
    }${p} HTTP/1.1\r\nHost: ${pick(["x", "z"])}\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "odd targets": (p, s, pick) =>
    `GET ${
      pick([`${p}#f`, `${p} x`, `${p}\\`, `*`, `x${p}`, `${p}?a b`, `//${p}`])
    } HTTP/1.1\r\nHost: x\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "duplicate Host": (p, s, pick) =>
    `GET ${p} HTTP/1.1\r\nHost: x\r\nHost: ${
      pick(["x", "y", ""])
    }\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "bad Host": (p, s, pick) =>
    `GET ${p} HTTP/1.1\r\n${
      pick(["Host: x y", "Host: x/y", "Host: x@y", "Host:", "Host: [::1", "Host: x:99999"])
    }\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "no Host on 1.1": (p, s) => `GET ${p} HTTP/1.1\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "versions": (p, s, pick) =>
    `GET ${p} ${
      pick([
        "HTTP/1.0",
        "HTTP/1.2",
        "HTTP/1.10",
        "HTTP/2.0",
        "HTTP/0.9",
        "http/1.1",
        "HTTP/1.1 ",
        "HTTP/ 1.1",
      ])
    }\r\nHost: x\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "HTTP/1.0 with TE": (p, s) =>
    `POST ${p} HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n${TE}: chunked\r\n${CL}: ${
      5 + s.length
    }\r\n\r\n0\r\n\r\n${s}`,
  "request line spacing": (p, s, pick) =>
    pick([`GET  ${p} HTTP/1.1`, `GET\t${p} HTTP/1.1`, ` GET ${p} HTTP/1.1`, `GET ${p}  HTTP/1.1`]) +
    `\r\nHost: x\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "oversized fields": (p, s, pick) =>
    `GET ${p}${pick(["", "?" + "q".repeat(9000)])} HTTP/1.1\r\nHost: x\r\nX: ${
      "v".repeat(pick([100, 9000, 40_000]))
    }\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "many fields": (p, s, pick) =>
    `GET ${p} HTTP/1.1\r\nHost: x\r\n${
      "A: b\r\n".repeat(pick([90, 150]))
    }${CL}: ${s.length}\r\n\r\n${s}`,
  "hop-by-hop Connection": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\nConnection: ${
      pick(["Content-Length", TE, "close, Content-Length", "keep-alive, Host"])
    }\r\n` +
    `${CL}: ${s.length}\r\n\r\n${s}`,
  "Expect": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\nExpect: ${
      pick(["100-continue", "100-Continue", "nothing"])
    }\r\n${CL}: ${s.length}\r\n\r\n${s}`,
  "huge CL": (p, s, pick) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\n${CL}: ${
      pick(["99999999999999999999", "9007199254740993", "4294967302"])
    }\r\n\r\n${s}`,
};

/** The corpus: `count` cases, templates in turn, their variations from `seed`. */
export function smuggleCorpus(count: number, seed: number): SmuggleCase[] {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const kinds = Object.keys(TEMPLATES);
  const out: SmuggleCase[] = [];
  for (let id = 0; id < count; id++) {
    const kind = kinds[id % kinds.length]!;
    const smuggled = `GET /s${id} HTTP/1.1\r\nHost: x\r\n\r\n`;
    out.push({ id, kind, request: TEMPLATES[kind]!(`/r${id}`, smuggled, pick) });
  }
  return out;
}
