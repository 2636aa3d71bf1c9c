import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { Coalescer, guestPathOf, rootsToWatch, SentMtimes } from "../../../src/hostagent/inotifyevents.js";

describe("guestPathOf", () => {
  const mounts = [
    { hostRoot: "/home/u/src", mountPoint: "/mnt/src" },
    { hostRoot: "/home/u/src/vendor", mountPoint: "/vendor" },
    { hostRoot: "/data dir/ü", mountPoint: "/data dir/ü" },
  ];

  it("maps location to mountPoint", () => {
    assert.equal(guestPathOf("/home/u/src/a/b.txt", mounts), "/mnt/src/a/b.txt");
    assert.equal(guestPathOf("/home/u/src", mounts), "/mnt/src");
    assert.equal(guestPathOf("/data dir/ü/x y.txt", mounts), "/data dir/ü/x y.txt");
  });

  it("takes the innermost of nested mounts", () => {
    assert.equal(guestPathOf("/home/u/src/vendor/lib.go", mounts), "/vendor/lib.go");
  });

  it("does not take a sibling sharing a name prefix for a subdirectory (Lima's prefix match does)", () => {
    assert.equal(guestPathOf("/home/u/srcfoo/x", mounts), undefined);
    assert.equal(guestPathOf("/etc/passwd", mounts), undefined);
  });

  it("handles a root mount", () => {
    assert.equal(guestPathOf("/etc/hosts", [{ hostRoot: "/", mountPoint: "/host" }]), "/host/etc/hosts");
  });
});

describe("rootsToWatch", () => {
  it("watches a tree once, whatever mounts are nested in it or repeated", () => {
    const roots = rootsToWatch([
      { hostRoot: "/a/b", mountPoint: "/x" },
      { hostRoot: "/a", mountPoint: "/y" },
      { hostRoot: "/ab", mountPoint: "/z" },
      { hostRoot: "/a", mountPoint: "/w" },
    ]);
    assert.deepEqual(roots, ["/a", "/ab"]);
  });
});

describe("SentMtimes", () => {
  const T = 1_767_323_045_678.9123;

  it("sends a change once: the guest's chtimes coming back (truncated to the ms) is not news", () => {
    const sent = new SentMtimes();
    assert.equal(sent.take("/f", T), true);
    assert.equal(sent.take("/f", Math.floor(T)), false, "the echo of the guest's utimes");
    assert.equal(sent.take("/f", T), false, "the same mtime again (an attrib event)");
    assert.equal(sent.take("/f", T + 9), false, "within 10 ms");
  });

  it("sends a later change, an older mtime set on purpose, and other files", () => {
    const sent = new SentMtimes();
    assert.equal(sent.take("/f", T), true);
    assert.equal(sent.take("/g", T), true);
    assert.equal(sent.take("/f", T + 10), true);
    assert.equal(sent.take("/f", T - 86_400_000), true, "touch -d yesterday");
  });

  it("forgets the oldest file when full", () => {
    const sent = new SentMtimes(2);
    sent.take("/a", T);
    sent.take("/b", T);
    sent.take("/a", T + 100);
    sent.take("/c", T);
    assert.equal(sent.size, 2);
    assert.equal(sent.take("/b", T), true, "/b was the oldest: forgotten");
    assert.equal(sent.take("/c", T), false);
  });
});

describe("Coalescer", () => {
  it("flushes a burst for one file once, after the window from its first event", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const flushed: string[] = [];
    const c = new Coalescer(10, (k) => flushed.push(k));
    c.push("/f");
    t.mock.timers.tick(5);
    c.push("/f");
    c.push("/g");
    assert.deepEqual(flushed, []);
    t.mock.timers.tick(5);
    assert.deepEqual(flushed, ["/f"]);
    t.mock.timers.tick(5);
    assert.deepEqual(flushed, ["/f", "/g"]);
    c.push("/f");
    t.mock.timers.tick(10);
    assert.deepEqual(flushed, ["/f", "/g", "/f"], "a new window after a flush");
  });

  it("drops what is pending on clear", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const flush = mock.fn();
    const c = new Coalescer(10, flush);
    c.push("/f");
    c.clear();
    t.mock.timers.tick(20);
    assert.equal(flush.mock.callCount(), 0);
  });
});
