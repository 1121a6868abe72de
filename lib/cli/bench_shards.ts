/**
 * `netlab bench` beyond one machine: `--shard I/N` runs one share of the bench, `--start-at` waits
 * for a common start, and `--emit k8s-job --shards N` prints the Kubernetes Job that runs N shards.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import type { BenchCell } from "../bench/cell.ts";
import { DEFAULT_JOB_NAME, k8sJob } from "../bench/k8s_job.ts";
import { DEFAULT_THREADS } from "../bench/options.ts";
import type { BenchPlan } from "./bench_flags.ts";
import { parseStartAt, type Shard, splitRun } from "../bench/shard.ts";

/** The shard flags as the command line gives them. */
export interface ShardFlags {
  shard?: string;
  startAt?: string;
  emit?: string;
  shards?: string;
  image?: string;
}

/** The image `--emit k8s-job` names when `--image` is not given. */
export const DEFAULT_IMAGE = `netlab:${VERSION}`;

/** How long before the shards start a Job emitted without `--start-at` leaves its pods, in s. */
export const DEFAULT_LEAD_SECONDS = 120;

/**
 * This shard's plan: every level's connections, the requests and the rate divided among the
 * shards; `annotate` then records in each cell which shard it was and the whole run's figures.
 */
export function shardPlan(
  plan: BenchPlan,
  shard: Shard,
): { plan: BenchPlan; annotate: (cells: BenchCell[]) => BenchCell[] } {
  const { requests, rate } = plan.base;
  const whole = plan.concurrencyLevels;
  const split = (concurrency: number, s: Shard) =>
    splitRun({
      concurrency,
      ...(requests !== undefined ? { requests } : {}),
      ...(rate !== undefined ? { rate } : {}),
    }, s);
  // a share left empty on any shard is refused on every shard: together they would not be the run
  for (const c of whole) split(c, { index: shard.count - 1, count: shard.count });
  const shares = whole.map((c) => split(c, shard));
  const first = shares[0]!;
  const base = { ...plan.base };
  if (first.requests !== undefined) base.requests = first.requests;
  if (first.rate !== undefined) base.rate = first.rate;
  return {
    plan: { ...plan, base, concurrencyLevels: shares.map((s) => s.concurrency) },
    // cells come URL by URL, each at every level in order
    annotate: (cells) =>
      cells.map((cell, i) => ({
        ...cell,
        shard: {
          ...shard,
          requests: requests ?? null,
          concurrency: whole[i % whole.length]!,
          rate: rate ?? null,
        },
      })),
  };
}

/** Options that describe how to emit, not what the shards run; never passed on to the pods. */
const NOT_PASSED_ON = new Set(["emit", "shards", "image", "startAt", "shard", "format", "out"]);

/**
 * The `netlab bench` arguments given on this command line, as the pods should repeat them: every
 * option the user set (not the defaults), minus the emitting ones, then the URLs.
 */
export function passedOnArgs(command: Command<unknown[]>, urls: readonly string[]): string[] {
  const args: string[] = [];
  const values = command.opts() as Record<string, unknown>;
  for (const option of command.options) {
    const key = option.attributeName();
    if (NOT_PASSED_ON.has(key) || command.getOptionValueSource(key) !== "cli") continue;
    const flag = option.long ?? option.short!;
    const value = values[key];
    if (value === true) args.push(flag);
    else if (Array.isArray(value)) { for (const v of value) args.push(flag, String(v)); }
    else if (value !== undefined && value !== false) args.push(flag, String(value));
  }
  return [...args, ...urls];
}

/** `--emit k8s-job`: checks the flags and renders the Job. */
export function emitBenchJob(
  plan: BenchPlan,
  flags: ShardFlags,
  args: readonly string[],
  now: number = Date.now(),
): string {
  if (flags.emit !== "k8s-job") {
    throw new UsageError(`Invalid --emit "${flags.emit}": expected k8s-job`);
  }
  if (flags.shard !== undefined) {
    throw new UsageError("Use --shards N with --emit k8s-job; each pod gets its own --shard");
  }
  if (flags.shards === undefined) throw new UsageError("Missing --shards N for --emit k8s-job");
  const n = Number(flags.shards);
  if (!/^\d+$/.test(flags.shards.trim()) || n < 1 || n > 10_000) {
    throw new UsageError(
      `Invalid --shards "${flags.shards}": expected a whole number from 1 to 10000`,
    );
  }
  if (plan.postFile !== null) {
    throw new UsageError("Cannot send a body file (-p) from a Job's pods: they do not have it");
  }
  // every shard must get a share: fail now rather than in the pods
  shardPlan(plan, { index: 0, count: n });
  const startAt = flags.startAt !== undefined
    ? parseStartAt(flags.startAt, now)
    : Math.ceil((now + DEFAULT_LEAD_SECONDS * 1000) / 1000) * 1000;
  const cells = plan.urls.length * plan.concurrencyLevels.length * plan.repeat;
  const limit = plan.base.timeLimitSeconds;
  // the wait for the start, each cell's -t (or an hour when only -n bounds it), and slack for
  // pulling the image and warming up
  const deadlineSeconds = Math.ceil(
    Math.max(0, startAt - now) / 1000 + (limit !== undefined ? limit * cells : 3600) + 300,
  );
  // auto is raw unless the pod's environment names a proxy, which cannot be known from here
  const engine = plan.base.engine === "fetch" ? "fetch" : "raw";
  return k8sJob({
    shards: n,
    image: flags.image ?? DEFAULT_IMAGE,
    args,
    startAt,
    name: DEFAULT_JOB_NAME,
    cpu: plan.base.threads ?? DEFAULT_THREADS[engine],
    deadlineSeconds,
  });
}

/**
 * Warnings for URLs a Job's pods cannot mean: a loopback address (127.0.0.0/8, ::1, localhost)
 * inside a pod is the pod itself, not the machine the command was typed on.
 */
export function podUrlWarnings(urls: readonly string[]): string[] {
  return urls.filter((url) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
    return host === "localhost" || host.endsWith(".localhost") || host === "::1" ||
      /^127\./.test(host);
  }).map((url) =>
    `warning: ${url} is a loopback address: inside a pod it is the pod itself, not this ` +
    "machine; give the server's address as the pods reach it (a Service name or its IP)"
  );
}
