import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { cachedPath, cacheKey, download } from "../../../src/downloader/index.js";
import { startServer, type TestServer } from "./fixtures/server.js";
import { captureLogs, listDir, randomBytes, read, sha256, sha512, tempDir } from "./fixtures/helpers.js";

const LM1 = "Mon, 02 Jan 2006 15:04:05 GMT";
const LM2 = "Tue, 03 Jan 2006 10:00:00 GMT";

describe("download (remote, cached)", () => {
  let server: TestServer;
  let logs: string[];
  const body = randomBytes(300_000);

  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  beforeEach(() => {
    logs = captureLogs();
    server.files.clear();
    server.counts.clear();
    server.files.set("image.img", { body, lastModified: LM1, contentType: "application/octet-stream" });
  });

  it("stores url, data, time, type and the digest file in by-url-sha256/<sha256(url)>", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    const digest = sha256(body);
    const res = await download(path.join(dir, "out", "image"), url, { cacheDir, expectedDigest: digest });

    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    assert.equal(cacheKey(url), sha256(url).slice("sha256:".length));
    assert.deepEqual(res, {
      status: "downloaded",
      cachePath: path.join(entry, "data"),
      cacheDigestPath: path.join(entry, "sha256.digest"),
      lastModified: LM1,
      contentType: "application/octet-stream",
    });
    assert.deepEqual(await listDir(entry), ["data", "sha256.digest", "time", "type", "url"]);
    assert.equal((await stat(entry)).mode & 0o777, 0o700);
    assert.equal(await read(path.join(entry, "url")), url);
    assert.equal(await read(path.join(entry, "time")), LM1);
    assert.equal(await read(path.join(entry, "type")), "application/octet-stream");
    assert.equal(await read(path.join(entry, "sha256.digest")), digest);
    assert.deepEqual(await readFile(path.join(entry, "data")), body);
    assert.deepEqual(await readFile(path.join(dir, "out", "image")), body);
    assert.equal(cachedPath(url, cacheDir), path.join(entry, "data"));
    assert.equal(cachedPath(`${url}?other`, cacheDir), undefined);
  });

  it("uses the cache without any request when the digest file matches", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    const digest = sha256(body);
    await download(path.join(dir, "a"), url, { cacheDir, expectedDigest: digest });
    server.files.delete("image.img");
    const res = await download(path.join(dir, "b"), url, { cacheDir, expectedDigest: digest });
    assert.equal(res.status, "used-cache");
    assert.deepEqual(await readFile(path.join(dir, "b")), body);
    assert.equal(server.count("GET", "/files/image.img"), 1);
    assert.equal(server.count("HEAD", "/files/image.img"), 0);
  });

  it("compares the digest file, not the data, on a cache hit", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    const digest = sha256(body);
    const first = await download(path.join(dir, "a"), url, { cacheDir, expectedDigest: digest });
    assert.ok(first.cachePath);
    await writeFile(first.cachePath, "tampered");
    const res = await download(path.join(dir, "b"), url, { cacheDir, expectedDigest: digest });
    assert.equal(res.status, "used-cache");
    assert.equal(await read(path.join(dir, "b")), "tampered");

    const other = sha256("something else");
    await assert.rejects(download(path.join(dir, "c"), url, { cacheDir, expectedDigest: other }), (err: Error) => {
      assert.match(err.message, new RegExp(`expected digest \`${other}\`, got \`${digest}\` \\(recorded in \`.*sha256.digest\`\\)$`));
      return true;
    });
    assert.equal(existsSync(path.join(dir, "c")), false);
  });

  it("a destination that exists is skipped without a request or a digest check", async (t) => {
    const dir = await tempDir(t);
    const local = path.join(dir, "exists");
    await writeFile(local, "old");
    const res = await download(local, `${server.base}/files/image.img`, { cacheDir: dir, expectedDigest: sha256("x") });
    assert.deepEqual(res, { status: "skipped" });
    assert.equal(await read(local), "old");
    assert.equal(server.counts.size, 0);
  });

  it("a wrong digest fails naming URL, expected and actual digest, and leaves nothing trusted", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    const wrong = sha256("not the image");
    await assert.rejects(download(path.join(dir, "out"), url, { cacheDir, expectedDigest: wrong }), (err: Error) => {
      assert.ok(err.message.includes(url), err.message);
      assert.ok(err.message.includes(wrong), err.message);
      assert.ok(err.message.includes(sha256(body)), err.message);
      return true;
    });
    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    assert.deepEqual(await listDir(entry), []);
    assert.equal(existsSync(path.join(dir, "out")), false);
    assert.equal(cachedPath(url, cacheDir), undefined);

    const res = await download(path.join(dir, "out"), url, { cacheDir, expectedDigest: sha256(body) });
    assert.equal(res.status, "downloaded");
    assert.equal(server.count("GET", "/files/image.img"), 2);
  });

  it("supports sha512 digests and names the digest file after the algorithm", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    const res = await download(path.join(dir, "out"), url, { cacheDir, expectedDigest: sha512(body) });
    assert.equal(res.cacheDigestPath, path.join(cacheDir, "by-url-sha256", cacheKey(url), "sha512.digest"));
    assert.equal(await read(res.cacheDigestPath), sha512(body));
    await assert.rejects(
      download(path.join(dir, "out2"), `${server.base}/files/image.img?x`, { cacheDir, expectedDigest: sha512("x") }),
      /expected digest `sha512:/,
    );
  });

  it("rejects malformed and unsupported digests before any request", async (t) => {
    const dir = await tempDir(t);
    const url = `${server.base}/files/image.img`;
    const cases: Array<[string, RegExp]> = [
      ["sha256:abc", /invalid checksum digest length/],
      [`sha256:${"G".repeat(64)}`, /invalid checksum digest format/],
      ["md5:d41d8cd98f00b204e9800998ecf8427e", /unsupported digest algorithm `md5`/],
      ["nocolon", /invalid checksum digest format/],
      ["sha256:", /invalid checksum digest format/],
    ];
    for (const [digest, message] of cases) {
      await assert.rejects(download(path.join(dir, "out"), url, { cacheDir: dir, expectedDigest: digest }), message);
    }
    assert.equal(server.counts.size, 0);
    assert.equal(existsSync(path.join(dir, "out")), false);
  });

  it("follows relative redirects (up to 9) and keys the cache by the original URL", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/r/9/image.img`;
    const res = await download(path.join(dir, "out"), url, { cacheDir, expectedDigest: sha256(body) });
    assert.equal(res.status, "downloaded");
    assert.equal(res.cachePath, path.join(cacheDir, "by-url-sha256", cacheKey(url), "data"));
    assert.equal(await read(path.join(cacheDir, "by-url-sha256", cacheKey(url), "url")), url);
    assert.deepEqual(await readFile(path.join(dir, "out")), body);
    assert.equal(server.count("GET", "/r/0/image.img"), 1);
  });

  it("stops after 10 redirects like Go's client", async (t) => {
    const dir = await tempDir(t);
    const url = `${server.base}/r/10/image.img`;
    await assert.rejects(download(path.join(dir, "out"), url, { cacheDir: dir }), /stopped after 10 redirects/);
    assert.equal(server.count("GET", "/r/0/image.img"), 0);
  });

  it("HTTP errors name the status and the URL", async (t) => {
    const dir = await tempDir(t);
    const url = `${server.base}/files/missing.img`;
    await assert.rejects(download(path.join(dir, "out"), url, { cacheDir: dir }), (err: Error) => {
      assert.equal(err.message, `Get "${url}": unexpected HTTP status 404 Not Found`);
      return true;
    });
    await assert.rejects(download(path.join(dir, "out"), `${server.base}/status/503`, { cacheDir: dir }), /503 Service Unavailable/);
    assert.equal(cachedPath(url, dir), undefined);
  });

  it("a truncated body is an error and is not cached", async (t) => {
    const dir = await tempDir(t);
    const url = `${server.base}/truncated/x`;
    await assert.rejects(download(path.join(dir, "out"), url, { cacheDir: dir }), (err: Error) => {
      assert.ok(err.message.includes(url), err.message);
      return true;
    });
    assert.deepEqual(await listDir(path.join(dir, "by-url-sha256", cacheKey(url))), []);
    assert.equal(existsSync(path.join(dir, "out")), false);
  });

  it("connection errors name the URL", async (t) => {
    const dir = await tempDir(t);
    const url = "http://127.0.0.1:1/nothing";
    await assert.rejects(download(path.join(dir, "out"), url, { cacheDir: dir }), /^LimaError: Get "http:\/\/127\.0\.0\.1:1\/nothing": .*ECONNREFUSED/);
  });

  it("revalidates a digest-less entry with HEAD and re-downloads when Last-Modified changed", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    assert.equal((await download(path.join(dir, "1"), url, { cacheDir })).status, "downloaded");

    const same = await download(path.join(dir, "2"), url, { cacheDir });
    assert.equal(same.status, "used-cache");
    assert.equal(same.lastModified, LM1);
    assert.equal(server.count("HEAD", "/files/image.img"), 1);
    assert.equal(server.count("GET", "/files/image.img"), 1);

    const newer = Buffer.from("new image content");
    server.files.set("image.img", { body: newer, lastModified: LM2, contentType: "text/plain" });
    const changed = await download(path.join(dir, "3"), url, { cacheDir });
    assert.equal(changed.status, "downloaded");
    assert.equal(server.count("GET", "/files/image.img"), 2);
    assert.equal(await read(path.join(dir, "3")), "new image content");
    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    assert.equal(await read(path.join(entry, "time")), LM2);
    assert.equal(await read(path.join(entry, "type")), "text/plain");
    assert.ok(logs.some((l) => l.includes("Re-downloading digest-less image: last-modified mismatch")), logs.join(""));
  });

  it("uses the cache when the HEAD request fails", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    await download(path.join(dir, "1"), url, { cacheDir });
    server.files.set("image.img", { body: Buffer.from("changed"), lastModified: LM2, headStatus: 500 });
    const res = await download(path.join(dir, "2"), url, { cacheDir });
    assert.equal(res.status, "used-cache");
    assert.deepEqual(await readFile(path.join(dir, "2")), body);
    assert.ok(logs.some((l) => l.includes("using cached image")), logs.join(""));
  });

  it("re-downloads when the entry has no time file or the server sends no Last-Modified", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    server.files.set("nolm", { body: Buffer.from("v1") });
    const url = `${server.base}/files/nolm`;
    await download(path.join(dir, "1"), url, { cacheDir });
    server.files.set("nolm", { body: Buffer.from("v2") });
    assert.equal((await download(path.join(dir, "2"), url, { cacheDir })).status, "downloaded");
    assert.equal(await read(path.join(dir, "2")), "v2");
  });

  it("an entry re-downloaded without a digest loses its old digest files", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    await download(path.join(dir, "1"), url, { cacheDir, expectedDigest: sha256(body) });
    server.files.set("image.img", { body: Buffer.from("v2"), lastModified: LM2 });
    assert.equal((await download(path.join(dir, "2"), url, { cacheDir })).status, "downloaded");
    const entry = path.join(cacheDir, "by-url-sha256", cacheKey(url));
    assert.deepEqual(await listDir(entry), ["data", "time", "type", "url"]);
  });

  it("verifies a digest-less entry by hashing when a digest is expected later", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    const url = `${server.base}/files/image.img`;
    await download(path.join(dir, "1"), url, { cacheDir });
    assert.equal((await download(path.join(dir, "2"), url, { cacheDir, expectedDigest: sha256(body) })).status, "used-cache");
    await assert.rejects(download(path.join(dir, "3"), url, { cacheDir, expectedDigest: sha256("nope") }), /expected digest/);
    assert.equal(existsSync(path.join(dir, "3")), false);
  });

  it("cacheOnly fills the cache and writes no destination", async (t) => {
    const dir = await tempDir(t);
    const url = `${server.base}/files/image.img`;
    const res = await download("", url, { cacheDir: dir, cacheOnly: true, expectedDigest: sha256(body) });
    assert.equal(res.status, "downloaded");
    assert.equal(cachedPath(url, dir), res.cachePath);
    const again = await download("", url, { cacheDir: dir, cacheOnly: true, expectedDigest: sha256(body) });
    assert.equal(again.status, "used-cache");
    assert.deepEqual(await listDir(dir), ["by-url-sha256"]);
  });

  it("two concurrent downloads in one process share one GET and one entry", async (t) => {
    const dir = await tempDir(t);
    const cacheDir = path.join(dir, "cache");
    server.files.set("big", { body: randomBytes(400_000, 3), lastModified: LM1 });
    const url = `${server.base}/slow/big`;
    const digest = sha256(randomBytes(400_000, 3));
    const results = await Promise.all([
      download(path.join(dir, "a"), url, { cacheDir, expectedDigest: digest }),
      download(path.join(dir, "b"), url, { cacheDir, expectedDigest: digest }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ["downloaded", "used-cache"]);
    assert.equal(server.count("GET", "/slow/big"), 1);
    assert.deepEqual(await readFile(path.join(dir, "a")), await readFile(path.join(dir, "b")));
    assert.deepEqual(await listDir(path.join(cacheDir, "by-url-sha256")), [cacheKey(url)]);
  });
});
