import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { NetlabError } from "./errors.ts";

/** `netlab serve` (not implemented yet). */
export function serveCommand(_ctx: CliContext): Command {
  return new Command("serve").description("(not implemented yet)").action(() => {
    throw new NetlabError("netlab serve is not implemented yet");
  }) as unknown as Command;
}
