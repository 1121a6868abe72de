import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { NetlabError } from "./errors.ts";

/** `netlab pool` (not implemented yet). */
export function poolCommand(_ctx: CliContext): Command {
  return new Command("pool").description("(not implemented yet)").action(() => {
    throw new NetlabError("netlab pool is not implemented yet");
  }) as unknown as Command;
}
