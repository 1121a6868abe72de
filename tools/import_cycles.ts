/**
 * Finds import circles among the local modules under a folder, type-only imports included, from
 * `deno info --json`: `deno run -A tools/import_cycles.ts lib/balancer/mod.ts lib/balancer/`.
 * Prints each circle (a strongly connected component of more than one module, or a module that
 * imports itself) and exits 1 when there is one, 0 when there is none.
 *
 * @module
 */
// deno-lint-ignore-file no-console

interface Dependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}
interface ModuleInfo {
  specifier: string;
  dependencies?: Dependency[];
}

/** The import graph of the modules under `folder` reachable from `entry` (file URLs). */
export async function importGraph(entry: string, folder: string): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`deno info ${entry} failed`);
  const { modules } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: ModuleInfo[];
  };
  const root = new URL(folder, `file://${Deno.cwd()}/`).href;
  const graph = new Map<string, string[]>();
  for (const m of modules) {
    if (!m.specifier.startsWith(root)) continue;
    const deps = (m.dependencies ?? [])
      .flatMap((d) => [d.code?.specifier, d.type?.specifier])
      .filter((s): s is string => s !== undefined && s.startsWith(root));
    graph.set(m.specifier, [...new Set(deps)]);
  }
  return graph;
}

/** The circles of `graph`: Tarjan's strongly connected components with more than one module. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

if (import.meta.main) {
  const [entry, folder] = Deno.args;
  if (entry === undefined || folder === undefined) {
    console.error("Usage: deno run -A tools/import_cycles.ts ENTRY FOLDER");
    Deno.exit(2);
  }
  const found = cycles(await importGraph(entry, folder));
  for (const c of found) console.log(`circle of ${c.length}: ${c.join(" ")}`);
  if (found.length === 0) console.log(`no import circle under ${folder}`);
  Deno.exit(found.length === 0 ? 0 : 1);
}
