// `ssh -V` answers kept per ssh binary; a fake `ssh` on a private PATH counts how often it is asked.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { cachedOpenSSHVersion, sshOnPath } from "../../../src/sshutil/versioncache.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-sshver-"));
const bin = path.join(tmp, "bin");
const calls = path.join(tmp, "calls");
const cacheFile = path.join(tmp, "cache", "openssh-version.json");
mkdirSync(bin);

/** Installs (or replaces, as a package upgrade does) `bin/ssh` printing `version` like OpenSSH. */
function installFakeSSH(version: string): void {
  const next = path.join(tmp, "ssh.new");
  writeFileSync(next, `#!/bin/sh\necho x >>'${calls}'\necho '${version}, OpenSSL 3.0.15 3 Sep 2024' >&2\n`);
  chmodSync(next, 0o755);
  renameSync(next, path.join(bin, "ssh"));
}

const timesAsked = (): number => readFileSync(calls, "utf8").split("\n").filter(Boolean).length;

describe("OpenSSH version cache", () => {
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("asks a binary once and then answers from the cache", () => {
    installFakeSSH("OpenSSH_8.0p1 Debian-1");
    assert.deepEqual(cachedOpenSSHVersion(cacheFile, bin), { major: 8, minor: 0 });
    assert.deepEqual(cachedOpenSSHVersion(cacheFile, bin), { major: 8, minor: 0 });
    assert.equal(timesAsked(), 1);
  });

  it("asks again when the binary is replaced", () => {
    installFakeSSH("OpenSSH_9.10p1 Debian-2");
    assert.deepEqual(cachedOpenSSHVersion(cacheFile, bin), { major: 9, minor: 10 });
    assert.equal(timesAsked(), 2);
  });

  it("finds the first executable ssh on PATH", () => {
    assert.equal(sshOnPath(`/nonexistent${path.delimiter}${bin}`)?.file, path.join(bin, "ssh"));
    assert.equal(sshOnPath("/nonexistent"), undefined);
  });

  it("skips PATH entries it cannot search (a file here; EACCES for a user under `su` with root's PATH)", () => {
    assert.equal(sshOnPath(`/etc/hostname${path.delimiter}${bin}`)?.file, path.join(bin, "ssh"));
  });
});
