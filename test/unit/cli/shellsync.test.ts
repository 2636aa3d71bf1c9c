import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pagerCommand, parseRsyncStats, pathDepth, planSync, statsText } from "../../../src/cli/shellsync.js";
import type { Instance } from "../../../src/store/instance.js";

const inst = (mounts: string[]): Instance => ({
  name: "x", hostname: "lima-x", status: "Running", dir: "/tmp/x", vmType: "qemu", arch: "x86_64", protected: false, limaVersion: "",
  config: { mounts: mounts.map((location) => ({ location })), user: { home: "/home/u.linux" } },
});

describe("shell --sync", () => {
  it("copies into the guest home at the host path, and refuses what Lima refuses", () => {
    assert.equal(planSync(inst([]), "/work/a/proj", undefined).guestDir, "/home/u.linux/work/a/proj");
    assert.throws(() => planSync(inst(["~"]), "/work/a/proj", undefined), /^LimaError: cannot use `--sync` when the instance has host mounts configured, start the instance with `--mount-none` to disable mounts$/);
    assert.throws(() => planSync(inst([]), "/work/a", undefined), /expected the depth of the host working directory \(`\/work\/a`\) to be at least 4, only got 3 \(Hint: cd to a deeper directory\)/);
    assert.throws(() => planSync(inst([]), "/work/a/proj", "/tmp"), /cannot use `--workdir` and `--sync` at the same time/);
  });
  it("measures path depth as Lima does", () => {
    assert.deepEqual(["/", "/a", "/a/", "/Users/me", "//a//b/c/"].map(pathDepth), [2, 2, 2, 3, 4]);
  });
  it("counts itemized rsync changes", () => {
    const out = ["receiving incremental file list", ".d..t...... p/", ">f.st...... p/f", ">f+++++++++ p/new", "*deleting   p/old", ">f+++++++++ p/new2", "", "sent 1 bytes"].join("\n");
    assert.deepEqual(parseRsyncStats(out), { added: 2, deleted: 1, modified: 1, metadata: 1 });
    assert.equal(statsText(parseRsyncStats(out)), "added: 2, deleted: 1, modified: 1, metadata: 1");
    assert.equal(statsText(parseRsyncStats("receiving incremental file list\n")), "");
  });
  it("pages with less -R unless told otherwise", () => {
    assert.deepEqual(pagerCommand({}), ["less", "-R"]);
    assert.deepEqual(pagerCommand({ PAGER: "more -s" }), ["more", "-s"]);
    assert.deepEqual(pagerCommand({ PAGER: "/usr/bin/less -S" }), ["/usr/bin/less", "-S", "-R"]);
    assert.deepEqual(pagerCommand({ PAGER: "less -SR" }), ["less", "-SR"]);
    assert.deepEqual(pagerCommand({ PAGER: "less", LESS: "-r" }), ["less"]);
  });
});
