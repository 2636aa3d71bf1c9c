import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { goQuote, q, qList } from "../../../src/util/goquote.js";

describe("goquote", () => {
  it("backquotes plain values", () => {
    assert.equal(q("foo"), "`foo`");
    assert.equal(qList(["a", "b"]), "[`a` `b`]");
  });
  it("falls back to %q for backticks and newlines", () => {
    assert.equal(q("a`b"), '"a`b"');
    assert.equal(q("a\nb"), '"a\\nb"');
    assert.equal(goQuote('say "hi"'), '"say \\"hi\\""');
  });
});
