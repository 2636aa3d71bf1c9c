import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesSize, parseSize } from "../../../src/config/size.js";

describe("parseSize", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["1024", 1024],
    ["1k", 1024],
    ["1KiB", 1024],
    ["1M", 1048576],
    ["1MB", 1048576],
    ["1MiB", 1048576],
    ["1 GiB", 1024 ** 3],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["100GiB", 100 * 1024 ** 3],
    ["2t", 2 * 1024 ** 4],
    ["1p", 1024 ** 5],
    ["10b", 10],
  ];
  for (const [input, expected] of cases) {
    it(`parses ${input}`, () => assert.equal(parseSize(input), expected));
  }

  for (const bad of ["", "abc", "1X", "-1GiB", "1 G B", "GiB", "1.2.3GiB"]) {
    it(`rejects ${JSON.stringify(bad)} with go-units' message`, () => {
      assert.throws(() => parseSize(bad), { message: `invalid size: '${bad}'` });
    });
  }
});

describe("bytesSize", () => {
  const cases: [number, string][] = [
    [0, "0B"],
    [512, "512B"],
    [1024, "1KiB"],
    [1024 ** 2, "1MiB"],
    [1.5 * 1024 ** 3, "1.5GiB"],
    [100 * 1024 ** 3, "100GiB"],
    [Math.floor(7.646 * 1024 ** 3) / 2, "3.823GiB"],
    [4 * 1024 ** 3, "4GiB"],
    [1023 * 1024, "1023KiB"],
    [2 * 1024 ** 4, "2TiB"],
  ];
  for (const [input, expected] of cases) {
    it(`formats ${input} as ${expected}`, () => assert.equal(bytesSize(input), expected));
  }

  it("round-trips through parseSize for whole units", () => {
    assert.equal(parseSize(bytesSize(8 * 1024 ** 3)), 8 * 1024 ** 3);
  });
});
