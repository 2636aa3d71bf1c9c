// Time sync (Lima's host agent): once the guest agent answers, send the host's time every 10 s;
// the guest agent sets the guest clock when it drifted more than 100 ms (a resumed or
// suspended VM, a guest without NTP).
import { setTimeout as sleep } from "node:timers/promises";
import { type GuestServiceClient, type TimeSyncResponse, toTimestamp } from "../guestagent/api/index.js";
import { logger } from "../log/logger.js";
import { errorMessage } from "../util/errors.js";

const FIRST_SYNC_DELAY_MS = 5000;
const SYNC_INTERVAL_MS = 10_000;
const SYNC_DEADLINE_MS = 5000;

function syncTime(client: GuestServiceClient): Promise<TimeSyncResponse> {
  return new Promise((resolve, reject) => {
    client.SyncTime({ host_time: toTimestamp(new Date()) }, { deadline: Date.now() + SYNC_DEADLINE_MS }, (err, res) =>
      err || !res ? reject(err ?? new Error("no answer")) : resolve(res),
    );
  });
}

/** Runs until `signal` aborts; `client()` is the guest agent link's current client. */
export async function runTimeSync(client: () => GuestServiceClient | undefined, alive: Promise<void>, signal: AbortSignal): Promise<void> {
  await Promise.race([alive, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
  let wait = FIRST_SYNC_DELAY_MS;
  while (!signal.aborted) {
    await sleep(wait, undefined, { signal }).catch(() => undefined);
    wait = SYNC_INTERVAL_MS;
    const c = client();
    if (signal.aborted || !c) continue;
    try {
      const res = await syncTime(c);
      if (res.error) logger.warn(`time sync: the guest could not set its clock: ${res.error}`);
      else if (res.adjusted) logger.info(`time sync: guest clock corrected by ${-res.drift_ms} ms`);
    } catch (err) {
      logger.debug(`time sync: ${errorMessage(err)}`);
    }
  }
}
