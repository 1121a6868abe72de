/**
 * The code blocks of README.md and docs/*.md that are marked runnable: a fence whose info string
 * is `sh runnable` or `ts runnable`. Such a block is a promise that it runs as written from a
 * clone (with `netlab` on PATH), so `examples_test.ts` runs it.
 *
 * @module
 */

/** One runnable block: where it is and what it says. */
export interface Block {
  /** `docs/serve.md:231`: the file and the line of the opening fence. */
  where: string;
  lang: "sh" | "ts";
  text: string;
  /** The paragraph just before the block, where the prose says how to run it. */
  before: string;
}

/** The runnable blocks of one Markdown text. */
export function runnableBlocks(markdown: string, file: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(sh|ts) runnable\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const indent = /^\s*/.exec(lines[start]!)![0].length;
    let end = start;
    while (end > 0 && lines[end - 1]!.trim() === "") end--;
    let from = end;
    while (from > 0 && lines[from - 1]!.trim() !== "") from--;
    blocks.push({
      where: `${file}:${start + 1}`,
      lang: open[1] as "sh" | "ts",
      text: body.map((l) => l.slice(indent)).join("\n"),
      before: lines.slice(from, end).join("\n"),
    });
  }
  return blocks;
}

/** The commands of a shell block: continuation lines joined, comments and blank lines dropped. */
export function shellCommands(text: string): string[] {
  const commands: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#\s.*$/, "").replace(/^#.*$/, "");
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== "") commands.push(current.trim().replace(/\s+/g, " "));
    current = "";
  }
  return commands;
}

/** A command that starts a server which runs until stopped (not `--emit`, not `--help`). */
export function isServer(command: string): boolean {
  return /^netlab (serve|pool|balance)\b/.test(command) && !/ --(emit|help)\b/.test(command);
}

/** The port a server command asks for (its default when it names none). */
export function askedPort(command: string): number {
  const m = / (?:--port|-p) (\d+)\b/.exec(command);
  if (m) return Number(m[1]);
  return command.startsWith("netlab balance") ? 44444 : 8000;
}

/**
 * The `deno run` flags the prose before a TypeScript block names, as in "run it with
 * `deno run -A --unstable-net app.ts`"; `-A` alone when it names none.
 */
export function denoRunFlags(before: string): string[] {
  const m = /`deno run ((?:-[\w=,-]+ )+)app\.ts`/.exec(before.replace(/\s+/g, " "));
  return m ? m[1]!.trim().split(" ") : ["-A"];
}
