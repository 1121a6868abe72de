/** Running an emitted nginx configuration in a temporary prefix, for the `--emit nginx` tests. */

/** A prefix for nginx in a temporary directory, with the installed modules where it looks. */
export async function nginxPrefix(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "netlab-nginx-" });
  const built = new TextDecoder().decode(
    (await new Deno.Command("nginx", { args: ["-V"], stderr: "piped" }).output()).stderr,
  );
  const modules = /--modules-path=(\S+)/.exec(built)?.[1];
  // Debian's modules-enabled files load "modules/ngx_stream_module.so", relative to the prefix
  if (modules !== undefined) await Deno.symlink(modules, `${dir}/modules`);
  return dir;
}

/** Writes `config` as `dir`/nginx.conf and runs `nginx -t` on it. */
export async function nginxTest(dir: string, config: string): Promise<Deno.CommandOutput> {
  await Deno.writeTextFile(`${dir}/nginx.conf`, config);
  return await new Deno.Command("nginx", {
    args: ["-t", "-p", dir, "-e", "stderr", "-c", `${dir}/nginx.conf`, "-g", `pid ${dir}/pid;`],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/** Starts nginx in the foreground on `dir`/nginx.conf (written by {@link nginxTest}). */
export function nginxRun(dir: string, stderr: "piped" | "null" = "null"): Deno.ChildProcess {
  return new Deno.Command("nginx", {
    args: [
      "-p",
      dir,
      "-e",
      "stderr",
      "-c",
      `${dir}/nginx.conf`,
      "-g",
      `daemon off; pid ${dir}/pid;`,
    ],
    stdin: "null",
    stdout: "null",
    stderr,
  }).spawn();
}
