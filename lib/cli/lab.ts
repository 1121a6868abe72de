import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { NetlabError } from "./errors.ts";

/** `netlab lab` (not implemented yet). */
export function labCommand(_ctx: CliContext): Command {
  return new Command("lab").description("(not implemented yet)").action(() => {
    throw new NetlabError("netlab lab is not implemented yet");
  }) as unknown as Command;
}
