import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tabwrite } from "../../../src/util/tabwriter.js";

describe("tabwriter", () => {
  it("pads every column but the last like Go's tabwriter(4, 8, 4, ' ')", () => {
    assert.equal(
      tabwrite([["NAME", "STATUS", "DIR"], ["foo", "Stopped", "~/.lima/foo"]]),
      "NAME    STATUS     DIR\nfoo     Stopped    ~/.lima/foo\n",
    );
    assert.equal(tabwrite([["a", "b"]]), "a    b\n");
  });
});
