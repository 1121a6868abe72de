/**
 * netlab: run, load-balance and measure HTTP servers on your own machine, and get honest numbers.
 *
 * The public API: the static file handler, the async server, the Worker pool, the TCP balancer,
 * the load generator with its report renderers, and the lab that ties them together.
 *
 * @module
 */

// --- errors ---------------------------------------------------------------------------------------

export { NetlabError, UsageError } from "./lib/cli/errors.ts";
export { VERSION } from "./lib/version.ts";

// --- http: the static handler (lib/http) ---------------------------------------------------------

// --- server: netlab serve (lib/server) -----------------------------------------------------------

// --- pool: netlab pool (lib/server/pool) ---------------------------------------------------------

// --- balancer: netlab balance (lib/balancer) -----------------------------------------------------

// --- bench: netlab bench (lib/bench) -------------------------------------------------------------

// --- lab: netlab lab (lib/lab) -------------------------------------------------------------------
