/**
 * Splits what a server wrote into HTTP/1.1 answers and checks the framing of each: the status
 * line, the header lines, one Content-Length or `chunked` (never both), and a body of exactly the
 * length they say. Interim (1xx) answers are checked and left out of the result.
 *
 * @module
 */

/** One final answer. */
export interface Answer {
  status: number;
  /** where its head starts in the text */
  at: number;
}

const STATUS_LINE = /^HTTP\/1\.1 ([1-5]\d\d) [\t -~\x80-\xff]*$/;
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+): ([\t -~\x80-\xff]*)$/;

/**
 * The answers in `text`. `heads[k]` says whether the k-th final answer answers a HEAD (its
 * Content-Length then describes a body that is not sent); past `heads`, a Content-Length body
 * that is not there is taken for a HEAD's answer when the next answer starts right away.
 */
export function checkAnswers(text: string, heads: boolean[]): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  const startsAnswer = (i: number) => i === text.length || text.startsWith("HTTP/1.1 ", i);
  while (at < text.length) {
    const start = at;
    const end = text.indexOf("\r\n\r\n", at);
    if (end < 0) {
      throw new Error(`incomplete head at ${at}: ${JSON.stringify(text.slice(at, at + 80))}`);
    }
    const [statusLine, ...lines] = text.slice(at, end).split("\r\n");
    const m = STATUS_LINE.exec(statusLine!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)} at ${at}`);
    const status = Number(m[1]);
    let length = -1;
    let chunked = false;
    for (const line of lines) {
      const f = FIELD_LINE.exec(line);
      if (!f) throw new Error(`bad field line ${JSON.stringify(line)}`);
      const name = f[1]!.toLowerCase();
      if (name === "content-length") {
        if (length >= 0 || !/^\d{1,15}$/.test(f[2]!)) throw new Error(`bad content-length ${f[2]}`);
        length = Number(f[2]);
      } else if (name === "transfer-encoding") {
        if (chunked || f[2] !== "chunked") throw new Error(`bad transfer-encoding ${f[2]}`);
        chunked = true;
      }
    }
    if (chunked && length >= 0) throw new Error("both Content-Length and chunked");
    at = end + 4;
    const interim = status < 200;
    if (interim || status === 204 || status === 304) {
      if (chunked || (length > 0 && status !== 304)) throw new Error(`${status} with a body`);
    } else if (heads[out.length] === true) {
      // a HEAD's answer: no body whatever the head says
    } else if (chunked) at = chunkedEnd(text, at);
    else if (length >= 0) {
      if (out.length < heads.length || startsAnswer(at + length)) at += length;
      else if (!startsAnswer(at)) throw new Error(`body does not match content-length ${length}`);
      if (at > text.length) throw new Error(`body short of content-length ${length}`);
    } else at = text.length; // close-delimited: the last answer
    if (!interim) out.push({ status, at: start });
  }
  return out;
}

/** Where the chunked body at `at` ends; throws when its framing is wrong. */
function chunkedEnd(text: string, at: number): number {
  while (true) {
    const eol = text.indexOf("\r\n", at);
    const sizeText = text.slice(at, eol);
    if (eol < 0 || !/^[0-9a-f]{1,13}$/.test(sizeText)) throw new Error(`bad chunk size at ${at}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      if (text.slice(eol + 2, eol + 4) !== "\r\n") throw new Error("bad last chunk");
      return eol + 4;
    }
    if (text.slice(eol + 2 + size, eol + 4 + size) !== "\r\n") {
      throw new Error(`bad chunk at ${at}`);
    }
    at = eol + 4 + size;
  }
}
