import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { NetlabError } from "./errors.ts";

/** `netlab bench` (not implemented yet). */
export function benchCommand(_ctx: CliContext): Command {
  return new Command("bench").description("(not implemented yet)").action(() => {
    throw new NetlabError("netlab bench is not implemented yet");
  }) as unknown as Command;
}
