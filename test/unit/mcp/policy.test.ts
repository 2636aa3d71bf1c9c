// The MCP tools' pure rules: accepted paths, Go's FileMode, Go's path.Match and Glob.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadPatternError, glob, type GlobFS, goFileMode, guestPathOf, matchRegExp } from "../../../src/mcp/policy.js";
import { joinPattern } from "../../../src/mcp/tools.js";

describe("MCP path policy", () => {
  it("takes absolute paths as the guest path", () => {
    assert.equal(guestPathOf("/etc/os-release"), "/etc/os-release");
    assert.equal(guestPathOf("/home/me/project/src"), "/home/me/project/src");
  });

  it("refuses empty, relative and NUL-carrying paths with Lima's messages", () => {
    assert.throws(() => guestPathOf(""), { message: "path is empty" });
    assert.throws(() => guestPathOf("os-release"), { message: "expected an absolute path, got a relative path: `os-release`" });
    assert.throws(() => guestPathOf("~/x"), /expected an absolute path/);
    assert.throws(() => guestPathOf("../../etc/passwd"), /expected an absolute path/);
    assert.throws(() => guestPathOf("/tmp/a\0b"), /NUL byte/);
  });

  it("joins glob patterns like Go's path.Join", () => {
    assert.equal(joinPattern("/work/x", "*/*p.bats"), "/work/x/*/*p.bats");
    assert.equal(joinPattern("/work/x/", "./a/../b/*.ts"), "/work/x/b/*.ts");
    assert.equal(joinPattern("/", "*"), "/*");
  });
});

describe("Go FileMode of a POSIX mode", () => {
  it("maps type and special bits as pkg/sftp does", () => {
    assert.equal(goFileMode(0o100644), 0o644);
    assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755); // fs.ModeDir|0755 = 2147484141
    assert.equal(goFileMode(0o040755), 2147484141);
    assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
    assert.equal(goFileMode(0o020620), 2 ** 26 + 2 ** 21 + 0o620);
    assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777);
    assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  });
});

describe("Go path.Match", () => {
  const m = (pattern: string, name: string) => matchRegExp(pattern).test(name);
  it("matches *, ?, classes, ranges, negation and escapes", () => {
    assert.ok(m("*.ts", "main.ts"));
    assert.ok(!m("*.ts", "main.tsx"));
    assert.ok(m("?p.bats", "mp.bats"));
    assert.ok(m("[a-c]x", "bx"));
    assert.ok(!m("[^a-c]x", "bx"));
    assert.ok(m("[]a]", "]"));
    assert.ok(m("\\*", "*"));
    assert.ok(!m("\\*", "a"));
    assert.ok(m("a.b", "a.b") && !m("a.b", "axb"));
    assert.ok(m("💡?", "💡x"));
  });
  it("rejects bad patterns with Go's message", () => {
    for (const bad of ["[", "[a-", "a\\", "[z-a]", "[]"]) assert.throws(() => matchRegExp(bad), BadPatternError, bad);
    assert.throws(() => matchRegExp("["), { message: "syntax error in pattern" });
  });
});

describe("Go Glob", () => {
  const tree: Record<string, string[]> = {
    "/r": ["tests", "README.md", "src"],
    "/r/tests": ["mcp.bats", "zz.bats", "help.bats"],
    "/r/src": ["a.ts"],
  };
  const fs: GlobFS = {
    names: async (dir) => {
      const names = tree[dir];
      if (!names) throw new Error("not a directory");
      return [...names];
    },
    exists: async (file) => Object.entries(tree).some(([dir, names]) => file === dir || names.some((n) => `${dir}/${n}` === file)),
  };
  it("returns sorted absolute matches, directory parts globbed too", async () => {
    assert.deepEqual(await glob("/r/*/*p.bats", fs), ["/r/tests/help.bats", "/r/tests/mcp.bats"]);
    assert.deepEqual(await glob("/r/*", fs), ["/r/README.md", "/r/src", "/r/tests"]);
    assert.deepEqual(await glob("/r/tests/*.bats", fs), ["/r/tests/help.bats", "/r/tests/mcp.bats", "/r/tests/zz.bats"]);
  });
  it("checks a pattern without meta characters for existence", async () => {
    assert.deepEqual(await glob("/r/README.md", fs), ["/r/README.md"]);
    assert.deepEqual(await glob("/r/nothing.to.see", fs), []);
  });
  it("matches nothing in unreadable directories and fails on bad patterns", async () => {
    assert.deepEqual(await glob("/r/README.md/*", fs), []);
    await assert.rejects(glob("/r/[", fs), { message: "syntax error in pattern" });
  });
});
