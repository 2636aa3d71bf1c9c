import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { LimaYAML } from "../../../src/config/types.js";
import { ensureNerdctlArchive } from "../../../src/instance/prepare.js";
import type { Instance } from "../../../src/store/instance.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "nerdctl-"));
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
