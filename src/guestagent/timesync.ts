// SyncTime: the host sends its clock every 10 s; a guest clock off by more than 100 ms (after a
// suspend, or a paused VM) is set to the host's. Under bun (the compiled agent) the clock is set
// with clock_settime(2) through bun:ffi; elsewhere (node, in tests) with `date -u -s @<seconds>`.
import { execFile } from "node:child_process";
import type { TimeSyncRequest, TimeSyncResponse } from "./api/index.js";
import { logger } from "../log/logger.js";
import { type BunFFI, bunFFI, errnoText, openLibc } from "./ffi.js";

export const DRIFT_THRESHOLD_MS = 100;

/** Milliseconds since the epoch, with the timestamp's sub-millisecond part. */
export function timestampMs(ts: { seconds: number | string; nanos: number }): number {
  return Number(ts.seconds) * 1000 + ts.nanos / 1e6;
}

/** What to answer before touching the clock: drift = guest − host, truncated to ms as Go does. */
export function assessDrift(guestNowMs: number, hostMs: number): { driftMs: number; adjust: boolean } {
  const drift = guestNowMs - hostMs;
  return { driftMs: Math.trunc(drift), adjust: Math.abs(drift) > DRIFT_THRESHOLD_MS };
}

export type ClockSetter = (epochMs: number) => Promise<void>;

export async function syncTime(request: TimeSyncRequest, setClock: ClockSetter = setSystemClock, now = Date.now): Promise<TimeSyncResponse> {
  // Go would read a missing host_time as 1970 and set the clock there; refuse instead.
  if (!request.host_time) return { adjusted: false, drift_ms: 0, error: "host_time is not set" };
  const hostMs = timestampMs(request.host_time);
  const { driftMs, adjust } = assessDrift(now(), hostMs);
  if (!adjust) {
    logger.debug(`SyncTime: drift ${driftMs}ms within threshold, no adjustment needed`);
    return { adjusted: false, drift_ms: driftMs, error: "" };
  }
  try {
    await setClock(hostMs);
  } catch (err) {
    logger.warn(`SyncTime: failed to set system time: ${(err as Error).message}`);
    return { adjusted: false, drift_ms: driftMs, error: (err as Error).message };
  }
  logger.info(`SyncTime: system time synchronized with host (drift was ${driftMs}ms)`);
  return { adjusted: true, drift_ms: driftMs, error: "" };
}

/** `Operation not permitted` style text for an errno, as Go's syscall.Errno prints it. */
const CLOCK_REALTIME = 0;

let clockSettime: ((epochMs: number) => void) | undefined;

async function loadClockSettime(ffi: BunFFI): Promise<(epochMs: number) => void> {
  const lib = openLibc(ffi, { clock_settime: { args: ["i32", "ptr"], returns: "i32" }, __errno_location: { args: [], returns: "ptr" } });
  return (epochMs) => {
    const seconds = Math.floor(epochMs / 1000);
    const timespec = new BigInt64Array([BigInt(seconds), BigInt(Math.round((epochMs - seconds * 1000) * 1e6))]);
    if (lib.clock_settime(CLOCK_REALTIME, ffi.ptr(timespec)) === 0) return;
    throw new Error(errnoText(ffi.read.i32(lib.__errno_location())));
  };
}

function dateCommand(epochMs: number): Promise<void> {
  const seconds = (epochMs / 1000).toFixed(6);
  return new Promise((resolve, reject) => {
    execFile("date", ["-u", "-s", `@${seconds}`], (err, _stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve()));
  });
}

export async function setSystemClock(epochMs: number): Promise<void> {
  const ffi = await bunFFI();
  if (!ffi) return dateCommand(epochMs);
  clockSettime ??= await loadClockSettime(ffi);
  clockSettime(epochMs);
}
