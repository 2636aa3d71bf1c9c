import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { guestShellWord, scpPlacement } from "../../../src/cli/commands/copy.js";

const dirs = (sourceIsDir: boolean, targetIsDir: boolean) => ({ sourceIsDir, targetIsDir });

describe("copy: rsync lands where scp -r lands", () => {
  it("a directory onto a missing path becomes that path (its contents are copied)", () => {
    assert.deepEqual(scpPlacement(["/h/foo", "/g/foo"], true, dirs(true, false)), ["/h/foo/", "/g/foo"]);
    assert.deepEqual(scpPlacement(["/h/foo/", "/g/foo"], true, dirs(true, false)), ["/h/foo/", "/g/foo"]);
  });
  it("a directory onto an existing directory goes inside it, whatever slashes were typed", () => {
    assert.deepEqual(scpPlacement(["/h/foo", "/g/d"], true, dirs(false, true)), ["/h/foo", "/g/d/"]);
    assert.deepEqual(scpPlacement(["/h/foo/", "/g/d/"], true, dirs(false, true)), ["/h/foo", "/g/d/"]);
  });
  it("a file keeps its paths; the guest home stays the home", () => {
    assert.deepEqual(scpPlacement(["/h/f.txt", "/g/f.txt"], true, dirs(false, false)), ["/h/f.txt", "/g/f.txt"]);
    assert.deepEqual(scpPlacement(["/h/foo", ""], true, dirs(false, true)), ["/h/foo", ""]);
  });
  it("several sources are copied by name into the target; without -r nothing changes", () => {
    assert.deepEqual(scpPlacement(["/a/", "/b", "/g/d"], true, undefined), ["/a", "/b", "/g/d"]);
    assert.deepEqual(scpPlacement(["/h/foo/", "/g/d"], false, undefined), ["/h/foo/", "/g/d"]);
    assert.deepEqual(scpPlacement(["/", "/g/d"], true, dirs(false, true)), ["/", "/g/d/"]);
  });
  it("guest paths keep ~ expandable and quote the rest", () => {
    assert.equal(guestShellWord(""), "~");
    assert.equal(guestShellWord("~/my dir"), "~/'my dir'");
    assert.equal(guestShellWord("/tmp/x y"), "'/tmp/x y'");
  });
});
