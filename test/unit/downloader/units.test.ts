import assert from "node:assert/strict";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { cacheKey, defaultCacheDir, parseHttpDate, sameLastModified } from "../../../src/downloader/cache.js";
import { parseDigest } from "../../../src/downloader/digest.js";
import { canonicalLocalPath, goExt, isLocal } from "../../../src/downloader/localpath.js";
import { withDirLock } from "../../../src/downloader/lock.js";
import { formatBytes, ProgressStream, renderProgress } from "../../../src/downloader/progress.js";
import { listDir, tempDir } from "./fixtures/helpers.js";

describe("downloader helpers", () => {
  it("cacheKey is the SHA-256 of the exact URL string", () => {
    const url = "https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img";
    assert.equal(cacheKey(url), "3b6b67faf5fd451e96832cbcaf6f5e04704d2ff7c47e749663508fc2a636130f");
    assert.notEqual(cacheKey(`${url}/`), cacheKey(url));
  });

  it("the default cache dir is <user cache>/lima/download", () => {
    if (process.platform !== "linux") return;
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = "/xdg";
    try {
      assert.equal(defaultCacheDir(), "/xdg/lima/download");
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it("parses OCI digests", () => {
    assert.deepEqual(parseDigest(`sha256:${"a".repeat(64)}`), { algorithm: "sha256", hex: "a".repeat(64) });
    assert.deepEqual(parseDigest(`sha384:${"0".repeat(96)}`), { algorithm: "sha384", hex: "0".repeat(96) });
    assert.throws(() => parseDigest(`sha256:${"A".repeat(64)}`), /invalid checksum digest format/);
    assert.throws(() => parseDigest(`sha512:${"a".repeat(64)}`), /invalid checksum digest length/);
    assert.throws(() => parseDigest(":abc"), /invalid checksum digest format/);
    assert.throws(() => parseDigest("Bad Algo:abc"), /invalid checksum digest format/);
    assert.throws(() => parseDigest("blake3:abc"), /unsupported digest algorithm `blake3`/);
  });

  it("compares Last-Modified as HTTP dates, else as strings", () => {
    assert.equal(parseHttpDate("Mon, 02 Jan 2006 15:04:05 GMT"), Date.UTC(2006, 0, 2, 15, 4, 5));
    assert.equal(parseHttpDate("2006-01-02"), undefined);
    assert.equal(sameLastModified("Mon, 02 Jan 2006 15:04:05 GMT", "Mon, 02 Jan 2006 15:04:05 GMT"), true);
    assert.equal(sameLastModified("Mon, 02 Jan 2006 15:04:05 GMT", "Mon, 02 Jan 2006 15:04:06 GMT"), false);
    assert.equal(sameLastModified("yesterday", "yesterday"), true);
    assert.equal(sameLastModified("yesterday", "today"), false);
    assert.equal(sameLastModified("Mon, 02 Jan 2006 15:04:05 GMT", "yesterday"), false);
  });

  it("tells local sources from remote ones and canonicalises them", () => {
    assert.equal(isLocal("/a/b.img"), true);
    assert.equal(isLocal("file:///a/b.img"), true);
    assert.equal(isLocal("https://x/y"), false);
    assert.equal(isLocal("docker://x"), false);
    assert.equal(canonicalLocalPath("file:///a/b"), "/a/b");
    assert.equal(canonicalLocalPath("~"), os.homedir());
    assert.equal(canonicalLocalPath("~/x"), path.join(os.homedir(), "x"));
    assert.equal(canonicalLocalPath("x/y"), path.resolve("x/y"));
    assert.throws(() => canonicalLocalPath(""), /got empty path/);
    assert.throws(() => canonicalLocalPath("https://x"), /got non-local path: `https:\/\/x`/);
  });

  it("takes the extension like Go's path.Ext", () => {
    assert.equal(goExt("https://x/a/image.img.xz"), ".xz");
    assert.equal(goExt("https://x.org/a/image"), "");
    assert.equal(goExt("https://x/a/.zst"), ".zst");
    assert.equal(goExt("https://x/a/b.gz?x=1"), ".gz?x=1");
  });

  it("renders the progress bar", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(300 * 1024 * 1024), "300 MiB");
    assert.equal(formatBytes(45.2 * 1024 * 1024), "45.2 MiB");
    const mib = 1024 * 1024;
    assert.equal(
      renderProgress("ubuntu", 45.2 * mib, 300 * mib, 12.3 * mib),
      `ubuntu 45.2 MiB / 300 MiB [====>${" ".repeat(25)}] 15% 12.3 MiB/s`,
    );
    assert.equal(renderProgress("x", 10, 10, 10), `x 10 B / 10 B [${"=".repeat(30)}] 100% 10 B/s`);
    assert.equal(renderProgress("x", 2048, -1, 1024), "x 2 KiB 1 KiB/s");
  });

  it("the progress stream passes bytes through and redraws one line", async () => {
    let drawn = "";
    const chunks: Buffer[] = [];
    const bar = new ProgressStream("img", 6, { write: (text: string) => (drawn += text) });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    await pipeline(Readable.from([Buffer.from("abc"), Buffer.from("def")]), bar, sink);
    assert.equal(Buffer.concat(chunks).toString(), "abcdef");
    assert.match(drawn, /^\rimg 3 B \/ 6 B \[={15}>/);
    assert.match(drawn, /\rimg 6 B \/ 6 B \[={30}\] 100% \d+(\.\d)? [KM]?i?B\/s\x1b\[K\n$/);
  });

  it("the directory lock serialises holders and takes over a garbled, old lock file", async (t) => {
    const dir = await tempDir(t);
    const order: string[] = [];
    const hold = (name: string, ms: number) =>
      withDirLock(dir, async () => {
        order.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`${name}-`);
      });
    await Promise.all([hold("a", 100), hold("b", 10), hold("c", 10)]);
    for (let i = 0; i < order.length; i += 2) assert.equal(order[i]?.[0], order[i + 1]?.[0], order.join(" "));
    assert.deepEqual(await listDir(dir), []);

    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, ".lock"), "");
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(dir, ".lock"), old, old);
    assert.equal(await withDirLock(dir, async () => "got it"), "got it");
    assert.deepEqual(await listDir(dir), []);
  });
});
