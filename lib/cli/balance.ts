import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { NetlabError } from "./errors.ts";

/** `netlab balance` (not implemented yet). */
export function balanceCommand(_ctx: CliContext): Command {
  return new Command("balance").description("(not implemented yet)").action(() => {
    throw new NetlabError("netlab balance is not implemented yet");
  }) as unknown as Command;
}
