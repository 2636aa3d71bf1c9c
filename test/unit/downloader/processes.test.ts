import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, describe, it } from "node:test";
import { cacheKey, download, removeStaleTempFiles } from "../../../src/downloader/index.js";
import { startServer, type TestServer } from "./fixtures/server.js";
import { captureLogs, listDir, randomBytes, read, sha256, tempDir } from "./fixtures/helpers.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "download-child.ts");
const BIG = randomBytes(1_200_000, 11); // 19 chunks of 64 KiB, one per 100 ms: about 2 s on the slow endpoint

interface ChildRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d));
  child.stderr?.on("data", (d: Buffer) => (stderr += d));
  const done = once(child, "close").then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, done };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "close");
  assert.ok(child.pid);
  return child.pid;
}

describe("download (several processes)", () => {
  let server: TestServer;

  before(async () => {
    server = await startServer(100);
  });
  after(() => server.close());
  beforeEach(() => {
    captureLogs();
    server.counts.clear();
    server.files.set("big", { body: BIG, lastModified: "Mon, 02 Jan 2006 15:04:05 GMT" });
  });

  it("two processes downloading the same URL at once both succeed with one GET and one entry", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/slow/big`;
    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    let lockOwnerDuringGet = "";
    let bodySentAt = 0;
    server.events.once("slow-bytes", () => {
      readFile(path.join(entry, ".lock"), "utf8").then((pid) => (lockOwnerDuringGet = pid.trim()), () => undefined);
    });
    server.events.on("slow-bytes", (_name: string, sent: number) => {
      if (sent >= BIG.length) bodySentAt = Date.now();
    });
    const a = runChild([path.join(dir, "a"), url, cacheDir, sha256(BIG)]);
    const b = runChild([path.join(dir, "b"), url, cacheDir, sha256(BIG)]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const results = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)] as Array<{ status: string; startedAt: number }>;
    assert.deepEqual(results.map((r) => r.status).sort(), ["downloaded", "used-cache"]);
    // Both had started before the body was complete: the second one really waited for the lock.
    for (const r of results) assert.ok(r.startedAt < bodySentAt, `started ${r.startedAt}, body sent ${bodySentAt}`);
    assert.equal(server.count("GET", "/slow/big"), 1);
    assert.ok([String(a.child.pid), String(b.child.pid)].includes(lockOwnerDuringGet), `lock owner ${lockOwnerDuringGet}`);
    assert.deepEqual(await listDir(path.join(cacheDir, "by-url-sha256")), [cacheKey(url)]);
    assert.deepEqual(await listDir(entry), ["data", "sha256.digest", "time", "type", "url"]);
    assert.deepEqual(await readFile(path.join(dir, "a")), BIG);
    assert.deepEqual(await readFile(path.join(dir, "b")), BIG);
  });

  it("a download killed mid-way leaves nothing trusted, and the next run succeeds and cleans up", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/slow/big`;
    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    const run = runChild([path.join(dir, "out"), url, cacheDir, sha256(BIG)]);
    await new Promise<void>((resolve) => {
      const onBytes = (_name: string, sent: number) => {
        if (sent < 4 * 64 * 1024) return;
        server.events.off("slow-bytes", onBytes);
        resolve();
      };
      server.events.on("slow-bytes", onBytes);
    });
    // Let the child write what it received so far.
    await new Promise((resolve) => setTimeout(resolve, 100));
    run.child.kill("SIGKILL");
    await run.done;

    const leftovers = await listDir(entry);
    assert.ok(leftovers.includes(".lock"), leftovers.join(" "));
    const temps = leftovers.filter((name) => name !== ".lock");
    assert.equal(temps.length, 1, leftovers.join(" "));
    assert.match(temps[0] ?? "", new RegExp(`^data\\.tmp\\.${run.child.pid}\\.\\d+$`));
    assert.ok((await readFile(path.join(entry, temps[0] ?? ""))).length > 0);
    assert.equal(await read(path.join(entry, ".lock")), `${run.child.pid}\n`);

    const res = await download(path.join(dir, "out"), url, { cacheDir, expectedDigest: sha256(BIG) });
    assert.equal(res.status, "downloaded");
    assert.deepEqual(await readFile(path.join(dir, "out")), BIG);
    assert.deepEqual(await listDir(entry), ["data", "sha256.digest", "time", "type", "url"]);
    assert.equal(server.count("GET", "/slow/big"), 2);
  });

  it("waits for a live lock and breaks a stale one", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    server.files.set("small", { body: Buffer.from("small"), lastModified: "Mon, 02 Jan 2006 15:04:05 GMT" });
    const url = `${server.base}/files/small`;
    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    await download(path.join(dir, "seed"), `${server.base}/files/small`, { cacheDir, cacheOnly: true, expectedDigest: sha256("small") });

    // A stale lock (dead PID): taken over at once.
    await writeFile(path.join(entry, ".lock"), `${await deadPid()}\n`);
    const stale = await download(path.join(dir, "1"), url, { cacheDir, expectedDigest: sha256("small") });
    assert.equal(stale.status, "used-cache");
    assert.deepEqual(await listDir(entry), ["data", "sha256.digest", "time", "type", "url"]);

    // A live lock (this process's parent is alive): the download waits until it is released.
    await writeFile(path.join(entry, ".lock"), `${process.ppid}\n`);
    let finished = false;
    const waiting = download(path.join(dir, "2"), url, { cacheDir, expectedDigest: sha256("small") }).then((r) => {
      finished = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(finished, false);
    await rm(path.join(entry, ".lock"));
    assert.equal((await waiting).status, "used-cache");
  });
});

describe("removeStaleTempFiles", () => {
  it("removes temp files of every entry and keeps the data", async (t) => {
    captureLogs();
    const dir = await tempDir(t);
    const entry = path.join(dir, "by-url-sha256", cacheKey("https://example.com/x"));
    await mkdir(entry, { recursive: true });
    await writeFile(path.join(entry, "data"), "kept");
    await writeFile(path.join(entry, "data.tmp.999999.1"), "partial");
    await writeFile(path.join(entry, "url.tmp.999999.2"), "partial");
    await removeStaleTempFiles(dir);
    assert.deepEqual(await listDir(entry), ["data"]);
    await removeStaleTempFiles(path.join(dir, "missing"));
  });
});
