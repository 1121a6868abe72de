/**
 * The engine names, on their own so that the options (`../options.ts`) and the CLI can name an
 * engine without importing the engines.
 *
 * @module
 */

/** Which engine a balancer runs on. */
export type EngineName = "epoll" | "deno";

/** The engine names `--engine` accepts: `auto` picks epoll when it can. */
export const ENGINE_CHOICES = ["auto", "epoll", "deno"] as const;

/** An engine choice: a name, or `auto`. */
export type EngineChoice = EngineName | "auto";
