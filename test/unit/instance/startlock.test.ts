import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { acquireStartLock, LockHeldError, lockHolder, START_LOCK } from "../../../src/instance/startlock.js";

const CONTENDER = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "startlock-contender.ts");
const CONTENDERS = 16;
const ROUNDS = 2;

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "close");
  assert.ok(child.pid);
  return child.pid;
}

interface Contender {
  ready: Promise<void>;
  answer: Promise<string>;
  exited: Promise<unknown>;
}

/** A contender process; `answer` is its "won" or "held <pid>" line. */
function contender(dir: string): Contender {
  const child = spawn(process.execPath, ["--import", "tsx", CONTENDER, dir], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let onReady: () => void = () => undefined;
  let onAnswer: (line: string) => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const answer = new Promise<string>((resolve) => (onAnswer = resolve));
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    const lines = out.split("\n");
    if (lines.length > 1) onReady();
    if (lines.length > 2) onAnswer(lines[1] ?? "");
  });
  const exited = once(child, "close").then(() => onAnswer(`exited: ${out}`));
  return { ready, answer, exited };
}

/** All contenders race from one instant; winners hold the lock until everyone has answered. */
async function race(dir: string): Promise<string[]> {
  const all = Array.from({ length: CONTENDERS }, () => contender(dir));
  await Promise.all(all.map((c) => c.ready));
  writeFileSync(path.join(dir, "go"), "");
  const answers = await Promise.all(all.map((c) => c.answer));
  writeFileSync(path.join(dir, "done"), "");
  await Promise.all(all.map((c) => c.exited));
  return answers;
}

describe("start lock", () => {
  it("refuses while a live process holds it, and is free again once released", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "startlock-"));
    writeFileSync(path.join(dir, START_LOCK), `${process.ppid} other\n`);
    assert.throws(() => acquireStartLock(dir), (err: unknown) => err instanceof LockHeldError && err.holder === process.ppid);
    writeFileSync(path.join(dir, START_LOCK), "");
    const release = acquireStartLock(dir);
    assert.equal(lockHolder(path.join(dir, START_LOCK)), process.pid);
    release();
    assert.deepEqual(readdirSync(dir), []);
  });

  it(`lets exactly one of ${CONTENDERS} processes take over a stale lock`, { timeout: 300_000 }, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "startlock-"));
      const stale = await deadPid();
      writeFileSync(path.join(dir, START_LOCK), `${stale}\n`);
      const results = await race(dir);
      const winners = results.filter((r) => r === "won");
      assert.equal(winners.length, 1, `round ${round}: ${results.join(", ")}`);
      for (const r of results.filter((x) => x !== "won")) assert.match(r, /^held \d+$/);
      assert.ok(!results.includes(`held ${stale}`));
      // Nothing is left behind: no lock, no claim, no temp file.
      assert.deepEqual(readdirSync(dir).filter((f) => f !== "go" && f !== "done"), [], `round ${round}`);
    }
  });
});
