import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blockPatterns, filterEnv, SHELL_ENV_BLOCK } from "../../../src/util/envfilter.js";

describe("--preserve-env filtering", () => {
  it("blocks the default list", () => {
    assert.deepEqual(filterEnv({ HOME: "/h", PATH: "/bin", SSH_AUTH_SOCK: "s", XDG_X: "1", FOO: "bar", _: "x" }), ["FOO=bar"]);
  });
  it("replaces or extends the block list, and allows", () => {
    assert.deepEqual(blockPatterns({ LIMA_SHELLENV_BLOCK: "FOO, BAR*" }), ["FOO", "BAR*"]);
    assert.deepEqual(blockPatterns({ LIMA_SHELLENV_BLOCK: "+FOO" }), [...SHELL_ENV_BLOCK, "FOO"]);
    assert.deepEqual(filterEnv({ LIMA_SHELLENV_BLOCK: "+FOO", FOO: "1", BAZ: "2" }), ["BAZ=2", "LIMA_SHELLENV_BLOCK=+FOO"]);
    assert.deepEqual(filterEnv({ HOME: "/h", LIMA_SHELLENV_ALLOW: "HOME" }), ["HOME=/h", "LIMA_SHELLENV_ALLOW=HOME"]);
  });
  it("rejects bad patterns", () => {
    assert.throws(() => filterEnv({ LIMA_SHELLENV_BLOCK: "A-B" }), /Invalid LIMA_SHELLENV_BLOCK pattern: pattern `A-B` contains invalid character `-` at position 1/);
  });
});
