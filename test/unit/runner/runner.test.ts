// The test runner's count is what CI trusts: every failure, wherever node:test reports it, must
// show in the closing line and in the exit code.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "../../helpers/limactl.js";

const FIXTURES = path.join(REPO, "test", "unit", "runner", "fixtures");

// Inside a node:test file NODE_TEST_CONTEXT is set, which would make the nested runner report to
// this process instead of counting: run it as a user would, without it.
const { NODE_TEST_CONTEXT: _, ...env } = process.env;

function runner(args: string[]): { code: number | null; summary: string } {
  const res = spawnSync(process.execPath, [path.join(REPO, "scripts", "run-tests.mjs"), ...args], { cwd: REPO, env, encoding: "utf8" });
  return { code: res.status, summary: res.stdout.trim().split("\n").at(-1) ?? "" };
}

function runFixtures(...names: string[]): { code: number | null; summary: string } {
  return runner(names.map((n) => path.join(FIXTURES, `${n}.mjs`)));
}

describe("scripts/run-tests.mjs", () => {
  it("counts a failing after hook as a failure and exits non-zero", () => {
    assert.deepEqual(runFixtures("after-hook-fails"), { code: 1, summary: "1 passed, 1 failed" });
  });

  it("counts a failing before hook and the test it cancelled", () => {
    assert.deepEqual(runFixtures("before-hook-fails"), { code: 1, summary: "0 passed, 2 failed" });
  });

  it("counts a skipped describe block as a skip", () => {
    assert.deepEqual(runFixtures("skipped-suite"), { code: 0, summary: "1 passed, 0 failed, 1 skipped" });
  });

  it("counts a file that cannot load as a failure", () => {
    assert.deepEqual(runFixtures("load-fails", "all-pass"), { code: 1, summary: "2 passed, 1 failed, 1 skipped" });
  });

  it("counts a failing test once, not again for its suite", () => {
    assert.deepEqual(runFixtures("one-failure"), { code: 1, summary: "1 passed, 1 failed" });
  });

  it("exits 0 when everything passes", () => {
    assert.deepEqual(runFixtures("all-pass"), { code: 0, summary: "2 passed, 0 failed, 1 skipped" });
  });

  it("adds up both lanes (files that boot a guest, and the rest beside them), failures of either included", () => {
    const res = spawnSync(process.execPath, [path.join(REPO, "scripts", "run-tests.mjs"), path.join(FIXTURES, "guest-lane-fails.mjs"), path.join(FIXTURES, "one-failure.mjs")], { cwd: REPO, env, encoding: "utf8" });
    assert.equal(res.status, 1);
    assert.equal(res.stdout.trim().split("\n").at(-1), "2 passed, 2 failed");
    assert.match(res.stdout, /── 1 test files without a guest \(ran alongside\) ──\n[^]*a suite with one failing test[^]*── end of those ──/);
  });

  it("fails when no file matches", () => {
    assert.deepEqual(runner(["--unit", "no-such-test-file-fragment"]), { code: 1, summary: "0 passed, 1 failed" });
  });
});
