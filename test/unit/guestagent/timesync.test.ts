import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assessDrift, syncTime, timestampMs } from "../../../src/guestagent/timesync.js";

const HOST_MS = 1_767_323_045_678;
const host = { seconds: Math.floor(HOST_MS / 1000), nanos: (HOST_MS % 1000) * 1e6 };

describe("SyncTime", () => {
  it("drift = guest − host, truncated toward zero; more than 100 ms needs adjusting", () => {
    assert.deepEqual(assessDrift(HOST_MS + 100, HOST_MS), { driftMs: 100, adjust: false });
    assert.deepEqual(assessDrift(HOST_MS + 100.5, HOST_MS), { driftMs: 100, adjust: true });
    assert.deepEqual(assessDrift(HOST_MS - 2500.7, HOST_MS), { driftMs: -2500, adjust: true });
    assert.equal(timestampMs({ seconds: "12", nanos: 500_000 }), 12_000.5);
  });

  it("leaves a close clock alone", async () => {
    let set: number | undefined;
    const res = await syncTime({ host_time: host }, async (ms) => void (set = ms), () => HOST_MS + 40);
    assert.deepEqual(res, { adjusted: false, drift_ms: 40, error: "" });
    assert.equal(set, undefined);
  });

  it("sets a drifting clock to the host's time", async () => {
    let set: number | undefined;
    const res = await syncTime({ host_time: host }, async (ms) => void (set = ms), () => HOST_MS - 5000);
    assert.deepEqual(res, { adjusted: true, drift_ms: -5000, error: "" });
    assert.equal(set, HOST_MS);
  });

  it("answers the failure in `error`", async () => {
    const res = await syncTime({ host_time: host }, () => Promise.reject(new Error("operation not permitted")), () => HOST_MS + 1000);
    assert.deepEqual(res, { adjusted: false, drift_ms: 1000, error: "operation not permitted" });
  });

  it("never sets the clock to 1970 for a request without host_time", async () => {
    const res = await syncTime({}, () => assert.fail("must not set the clock"));
    assert.equal(res.adjusted, false);
    assert.match(res.error, /host_time is not set/);
  });
});
