import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sleep } from "../../../src/util/sleep.js";

describe("sleep", () => {
  it("waits the time without a signal", async () => {
    const t0 = Date.now();
    await sleep(50);
    assert.ok(Date.now() - t0 >= 45);
  });

  it("resolves at once when the signal aborts, or was aborted already", async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 20);
    await sleep(10_000, ac.signal);
    await sleep(10_000, ac.signal);
    assert.ok(Date.now() - t0 < 2_000);
  });
});
