import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, firstOf } from "../../../src/util/channel.js";

describe("Channel", () => {
  it("delivers pushed items in order, also to a reader that waits, and ends on close", async () => {
    const ch = new Channel<number>();
    ch.push(1);
    const read = (async () => {
      const got: number[] = [];
      for await (const n of ch) got.push(n);
      return got;
    })();
    await new Promise((resolve) => setImmediate(resolve));
    ch.push(2);
    ch.close();
    ch.push(3);
    assert.deepEqual(await read, [1, 2]);
  });

  it("firstOf: the first item, or undefined for a stream that ends empty", async () => {
    const errors = new Channel<Error>();
    setImmediate(() => errors.push(new Error("boom")));
    assert.equal((await firstOf(errors))?.message, "boom");
    const empty = new Channel<Error>();
    setImmediate(() => empty.close());
    assert.equal(await firstOf(empty), undefined);
  });
});
