import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { cachedPath, download } from "../../../src/downloader/index.js";
import { decompressorByExtension, decompressorByMagic } from "../../../src/downloader/decompress.js";
import { startServer, type TestServer } from "./fixtures/server.js";
import { captureLogs, listDir, randomBytes, sha256, tempDir } from "./fixtures/helpers.js";

const FORMATS = [
  { tool: "gzip", ext: ".gz" },
  { tool: "bzip2", ext: ".bz2" },
  { tool: "xz", ext: ".xz" },
  { tool: "zstd", ext: ".zst" },
] as const;

function compress(tool: string, data: Buffer): Buffer {
  const args = tool === "zstd" ? ["-q", "-c"] : ["-c"];
  const run = spawnSync(tool, args, { input: data, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `${tool} failed: ${run.stderr}`);
  return run.stdout;
}

describe("download (decompression)", () => {
  let server: TestServer;
  let logs: string[];
  const original = Buffer.concat([randomBytes(200_000, 7), Buffer.alloc(100_000)]);
  const compressed = new Map<string, Buffer>();

  before(async () => {
    server = await startServer();
    for (const { tool, ext } of FORMATS) {
      const data = compress(tool, original);
      compressed.set(tool, data);
      server.files.set(`image${ext}`, { body: data });
      server.files.set(`blob-${tool}`, { body: data });
    }
    server.files.set("fake.xz", { body: Buffer.from("this is not xz data") });
  });
  after(() => server.close());
  beforeEach(() => {
    logs = captureLogs();
  });

  for (const { tool, ext } of FORMATS) {
    it(`decompresses ${ext} by extension with ${tool}, keeping the cache compressed`, async (t) => {
      const dir = await tempDir(t);
      const url = `${server.base}/files/image${ext}`;
      const expectedDigest = sha256(compressed.get(tool) ?? "");
      const res = await download(path.join(dir, "out"), url, { cacheDir: dir, decompress: true, expectedDigest });
      assert.deepEqual(await readFile(path.join(dir, "out")), original);
      assert.ok(res.cachePath);
      assert.deepEqual(await readFile(res.cachePath), compressed.get(tool));
      assert.ok(logs.some((l) => l.includes(`decompressing ${ext} with`)), logs.join(""));
      // From the cache as well.
      const again = await download(path.join(dir, "out2"), url, { cacheDir: dir, decompress: true, expectedDigest });
      assert.equal(again.status, "used-cache");
      assert.deepEqual(await readFile(path.join(dir, "out2")), original);
    });

    it(`decompresses ${tool} by magic bytes when the URL has no known extension`, async (t) => {
      const dir = await tempDir(t);
      await download(path.join(dir, "out"), `${server.base}/files/blob-${tool}`, { cacheDir: dir, decompress: true });
      assert.deepEqual(await readFile(path.join(dir, "out")), original);
    });
  }

  it("keeps the data compressed without decompress", async (t) => {
    const dir = await tempDir(t);
    await download(path.join(dir, "out"), `${server.base}/files/image.xz`, { cacheDir: dir });
    assert.deepEqual(await readFile(path.join(dir, "out")), compressed.get("xz"));
  });

  it("copies data without a known extension or magic as is", async (t) => {
    const dir = await tempDir(t);
    server.files.set("plain", { body: Buffer.from("plain data") });
    await download(path.join(dir, "out"), `${server.base}/files/plain`, { cacheDir: dir, decompress: true });
    assert.equal(await readFile(path.join(dir, "out"), "utf8"), "plain data");
  });

  it("decompresses local files too", async (t) => {
    const dir = await tempDir(t);
    await writeFile(path.join(dir, "local.zst"), compressed.get("zstd") ?? "");
    await download(path.join(dir, "out"), path.join(dir, "local.zst"), { decompress: true });
    assert.deepEqual(await readFile(path.join(dir, "out")), original);
  });

  it("a failing decompressor leaves no destination and no temp file, but keeps the cache", async (t) => {
    const dir = await tempDir(t);
    const out = path.join(dir, "out", "image");
    const url = `${server.base}/files/fake.xz`;
    await assert.rejects(download(out, url, { cacheDir: path.join(dir, "cache"), decompress: true }), /failed to decompress .* with `xz -d`: exit status 1: .*xz/);
    assert.deepEqual(await listDir(path.join(dir, "out")), []);
    assert.ok(cachedPath(url, path.join(dir, "cache")));
  });

  it("reports a missing decompressor program", async (t) => {
    const dir = await tempDir(t);
    await writeFile(path.join(dir, "local.xz"), compressed.get("xz") ?? "");
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(dir, "no-bin");
    try {
      await assert.rejects(
        download(path.join(dir, "out"), path.join(dir, "local.xz"), { decompress: true }),
        /decompressor "xz" not found and no built-in fallback: exec: "xz": executable file not found in \$PATH/,
      );
    } finally {
      process.env.PATH = savedPath;
    }
    assert.equal(existsSync(path.join(dir, "out")), false);
    assert.deepEqual(await listDir(dir), ["local.xz"]);
  });

  it("chooses by extension, then magic", () => {
    assert.equal(decompressorByExtension(".gz"), "gzip");
    assert.equal(decompressorByExtension(".img"), undefined);
    assert.equal(decompressorByMagic(Buffer.from([0x1f, 0x8b, 8])), "gzip");
    assert.equal(decompressorByMagic(Buffer.from("BZh91AY")), "bzip2");
    assert.equal(decompressorByMagic(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), "xz");
    assert.equal(decompressorByMagic(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a])), undefined);
    assert.equal(decompressorByMagic(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), "zstd");
    assert.equal(decompressorByMagic(Buffer.from("QFI\xfb")), undefined);
  });
});
