import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, it } from "node:test";
import { download } from "../../../src/downloader/index.js";
import { captureLogs, listDir, read, sha256, sha512, tempDir } from "./fixtures/helpers.js";

describe("download (local sources)", () => {
  beforeEach(() => void captureLogs());

  it("copies a plain path, verifies the digest by hashing, and never caches", async (t) => {
    const dir = await tempDir(t);
    const src = path.join(dir, "src.img");
    await writeFile(src, "local image");
    const cacheDir = path.join(dir, "cache");
    const res = await download(path.join(dir, "sub", "dst"), src, { cacheDir, expectedDigest: sha256("local image") });
    assert.deepEqual(res, { status: "downloaded" });
    assert.equal(await read(path.join(dir, "sub", "dst")), "local image");
    assert.equal(existsSync(cacheDir), false);
    assert.deepEqual(await listDir(path.join(dir, "sub")), ["dst"]);
  });

  it("accepts file:// with an absolute path and rejects a relative one", async (t) => {
    const dir = await tempDir(t);
    const src = path.join(dir, "src.img");
    await writeFile(src, "via file url");
    await download(path.join(dir, "dst"), `file://${src}`, { cacheDir: dir, expectedDigest: sha512("via file url") });
    assert.equal(await read(path.join(dir, "dst")), "via file url");
    await assert.rejects(download(path.join(dir, "dst2"), "file://relative/x", { cacheDir: dir }), /got non-absolute path `relative\/x`/);
  });

  it("makes relative sources absolute and expands ~", async (t) => {
    const dir = await tempDir(t);
    const src = path.join(dir, "rel.img");
    await writeFile(src, "relative");
    await download(path.join(dir, "dst1"), path.relative(process.cwd(), src), {});
    assert.equal(await read(path.join(dir, "dst1")), "relative");

    const home = process.env.HOME;
    process.env.HOME = dir;
    t.after(() => {
      process.env.HOME = home;
    });
    await download("~/dst2", "~/rel.img", {});
    assert.equal(await read(path.join(dir, "dst2")), "relative");
    await assert.rejects(download(path.join(dir, "dst3"), "~other/rel.img", {}), /unexpandable path `~other\/rel.img`/);
  });

  it("a wrong digest fails and writes no destination", async (t) => {
    const dir = await tempDir(t);
    const src = path.join(dir, "src.img");
    await writeFile(src, "local image");
    const wrong = sha256("other");
    await assert.rejects(download(path.join(dir, "dst"), src, { expectedDigest: wrong }), (err: Error) => {
      assert.ok(err.message.includes(src) && err.message.includes(wrong) && err.message.includes(sha256("local image")), err.message);
      return true;
    });
    assert.deepEqual(await listDir(dir), ["src.img"]);
  });

  it("cacheOnly with a local source only checks the digest", async (t) => {
    const dir = await tempDir(t);
    const src = path.join(dir, "src.img");
    await writeFile(src, "archive");
    assert.deepEqual(await download("", src, { cacheOnly: true, expectedDigest: sha256("archive"), cacheDir: dir }), { status: "downloaded" });
    await assert.rejects(download("", src, { cacheOnly: true, expectedDigest: sha256("x") }), /expected digest/);
    assert.deepEqual(await listDir(dir), ["src.img"]);
  });

  it("a missing source fails and leaves no temp file at the destination", async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(download(path.join(dir, "dst"), path.join(dir, "missing"), {}), /ENOENT/);
    assert.deepEqual(await listDir(dir), []);
  });

  it("keeps the source bytes exactly (binary)", async (t) => {
    const dir = await tempDir(t);
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
    await writeFile(path.join(dir, "bin"), bytes);
    await download(path.join(dir, "out"), path.join(dir, "bin"), {});
    assert.deepEqual(await readFile(path.join(dir, "out")), bytes);
  });
});
