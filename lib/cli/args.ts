/**
 * Value parsers shared by every command's flags, so that the same kind of value is read and
 * refused the same way everywhere. Each throws commander's `InvalidArgumentError` with the
 * expectation only ("expected ..."); `main.ts` names the flag and the value.
 *
 * @module
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { durationHint, type DurationUnit, parseDuration } from "../runtime/duration.ts";

/** An integer from `min` to `max`. */
export function integerArg(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A TCP port, 0 (any free one) to 65535. */
export const portArg: (text: string) => number = integerArg(0, 65535);

/**
 * A duration (`30s`, `2m`, `500ms`; a bare number is in `unit`) to milliseconds.
 *
 * @param unit the unit of a bare number
 * @param minMs the least accepted, e.g. 1 where 0 would make no sense
 * @param maxMs the most accepted (at most 24 days whatever is passed)
 */
export function durationArg(
  unit: DurationUnit,
  minMs = 0,
  maxMs = Infinity,
): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text, unit);
    if (ms === null) throw new InvalidArgumentError(`expected ${durationHint(unit)}`);
    if (ms < minMs) throw new InvalidArgumentError(`expected at least ${minMs} ms`);
    if (ms > maxMs) throw new InvalidArgumentError(`expected at most ${maxMs} ms`);
    return ms;
  };
}
