import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { LimaYAML } from "../../../src/config/types.js";
import { ensureNerdctlArchive } from "../../../src/instance/prepare.js";
import type { Instance } from "../../../src/store/instance.js";
import { startServer, type TestServer } from "../downloader/fixtures/server.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "nerdctl-"));
// The download cache (~/.cache/lima/download) of this test process only.
process.env.XDG_CACHE_HOME = path.join(dir, "cache");
const inst: Instance = { name: "n", hostname: "lima-n", status: "Stopped", dir, vmType: "qemu", arch: "x86_64", protected: false, limaVersion: "" };
const yaml = JSON.stringify(path.join(dir, "lima.yaml"));

function config(location: string, extra: Partial<LimaYAML> = {}, digest?: string): LimaYAML {
  return { arch: "x86_64", containerd: { system: false, user: true, archives: [{ location, arch: "x86_64", ...(digest ? { digest } : {}) }] }, ...extra };
}

describe("the nerdctl archive for start", () => {
  it("is the local file itself, after its digest is checked", async () => {
    const file = path.join(dir, "nerdctl-full.tgz");
    writeFileSync(file, "not really an archive");
    const sha = `sha256:${createHash("sha256").update("not really an archive").digest("hex")}`;
    assert.equal(await ensureNerdctlArchive(inst, config(file, {}, sha)), file);
    assert.equal(await ensureNerdctlArchive(inst, config(`file://${file}`)), file);
    await assert.rejects(ensureNerdctlArchive(inst, config(file, {}, `sha256:${"0".repeat(64)}`)), /failed to download the nerdctl archive .*nerdctl-full\.tgz.*expected digest/s);
  });

  it("is not needed when containerd is off", async () => {
    assert.equal(await ensureNerdctlArchive(inst, config("/nonexistent", { containerd: { system: false, user: false } })), undefined);
  });

  it("fails at once, naming the location, the file and the fix, when it cannot be had", async () => {
    const missing = path.join(dir, "missing.tar.gz");
    await assert.rejects(ensureNerdctlArchive(inst, config(missing)), (err: Error) => {
      assert.equal(
        err.message,
        `failed to download the nerdctl archive ${JSON.stringify(missing)}: no such file ${JSON.stringify(missing)}\n` +
          `(hint: fix \`containerd.archives\` in ${yaml}, or set \`containerd.system: false\` and \`containerd.user: false\` if the instance needs no containers)`,
      );
      return true;
    });
    await assert.rejects(ensureNerdctlArchive(inst, config("/x", { arch: "aarch64" })), /`containerd\.archives` in .* lists no archive for the arch "aarch64"/);
  });
});

describe("a remote nerdctl archive (the default template's path, with internet)", () => {
  let server: TestServer;
  const body = Buffer.from("a nerdctl-full archive, served over HTTP");
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  before(async () => {
    server = await startServer();
    server.files.set("nerdctl-full-2.3.5-linux-amd64.tar.gz", { body });
    server.files.set("nerdctl-full-2.3.5-linux-arm64.tar.gz", { body: Buffer.from("the arm64 one") });
  });
  after(() => server.close());

  function remote(archives: { name: string; arch: "x86_64" | "aarch64"; digest?: string }[]): LimaYAML {
    return { arch: "x86_64", containerd: { system: false, user: true, archives: archives.map((a) => ({ location: `${server.base}/files/${a.name}`, arch: a.arch, ...(a.digest ? { digest: a.digest } : {}) })) } };
  }

  it("downloads the archive for the instance arch into the cache, checked against its digest", async () => {
    const cached = await ensureNerdctlArchive(inst, remote([
      { name: "nerdctl-full-2.3.5-linux-arm64.tar.gz", arch: "aarch64" },
      { name: "nerdctl-full-2.3.5-linux-amd64.tar.gz", arch: "x86_64", digest },
    ]));
    assert.ok(cached?.startsWith(path.join(dir, "cache", "lima", "download", "by-url-sha256")), cached);
    assert.deepEqual(readFileSync(cached ?? ""), body);
    assert.equal(server.count("GET", "/files/nerdctl-full-2.3.5-linux-arm64.tar.gz"), 0);
  });

  it("refuses an archive whose digest does not match, and tries the next candidate", async () => {
    const wrong = `sha256:${"1".repeat(64)}`;
    await assert.rejects(
      ensureNerdctlArchive(inst, remote([{ name: "nerdctl-full-2.3.5-linux-arm64.tar.gz", arch: "x86_64", digest: wrong }])),
      /failed to download the nerdctl archive .*linux-arm64\.tar\.gz.*expected digest/s,
    );
    const cached = await ensureNerdctlArchive(inst, remote([
      { name: "missing.tar.gz", arch: "x86_64" },
      { name: "nerdctl-full-2.3.5-linux-amd64.tar.gz", arch: "x86_64", digest },
    ]));
    assert.deepEqual(readFileSync(cached ?? ""), body);
  });
});
