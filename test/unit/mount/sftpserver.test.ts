// Finding OpenSSH's sftp-server in a fake file tree, and what each sshfs.sftpDriver value does.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { chooseSftpServer, findSftpServer } from "../../../src/mount/sftpserver.js";

const root = mkdtempSync(path.join(os.tmpdir(), "sftp-lookup-"));
after(() => rmSync(root, { recursive: true, force: true }));

function executable(rel: string, mode = 0o755): string {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "#!/bin/sh\n");
  chmodSync(file, mode);
  return file;
}

describe("sftp-server lookup", () => {
  it("finds nothing in an empty tree", () => {
    assert.equal(findSftpServer({ root, pathEnv: "" }), undefined);
  });

  it("takes the distributions' places in order, skipping what is not executable", () => {
    executable("usr/lib/ssh/sftp-server", 0o644);
    assert.equal(findSftpServer({ root, pathEnv: "" }), undefined);
    const debian = executable("usr/lib/openssh/sftp-server");
    assert.equal(findSftpServer({ root, pathEnv: "" }), debian);
    const fedora = executable("usr/libexec/openssh/sftp-server");
    assert.equal(findSftpServer({ root, pathEnv: "" }), fedora);
  });

  it("prefers the one beside Homebrew's sshd, and PATH above all", () => {
    const brew = executable("opt/homebrew/Cellar/openssh/9.8p1/libexec/sftp-server");
    executable("opt/homebrew/Cellar/openssh/9.8p1/sbin/sshd");
    mkdirSync(path.join(root, "opt/homebrew/sbin"), { recursive: true });
    symlinkSync("../Cellar/openssh/9.8p1/sbin/sshd", path.join(root, "opt/homebrew/sbin/sshd"));
    assert.equal(findSftpServer({ root, pathEnv: "" }), brew);
    const onPath = executable("bin/sftp-server");
    assert.equal(findSftpServer({ root, pathEnv: `${path.join(root, "nowhere")}:${path.join(root, "bin")}` }), onPath);
  });
});

describe("sshfs.sftpDriver", () => {
  const field = "mounts[0].sshfs.sftpDriver";

  it("auto and openssh-sftp-server use the server found", () => {
    assert.deepEqual(chooseSftpServer("", "/usr/lib/openssh/sftp-server", field), { binary: "/usr/lib/openssh/sftp-server" });
    assert.deepEqual(chooseSftpServer("openssh-sftp-server", "/s", field), { binary: "/s" });
  });

  it("builtin (Lima's Go server) falls back to OpenSSH's with a warning naming the field", () => {
    const choice = chooseSftpServer("builtin", "/s", field);
    assert.equal("binary" in choice && choice.binary, "/s");
    assert.match("warning" in choice ? (choice.warning ?? "") : "", /`mounts\[0\]\.sshfs\.sftpDriver: builtin`.*not available in lima-ts.*"\/s"/);
  });

  it("without any sftp-server, or with an unknown driver, it is an error saying what to do", () => {
    const none = chooseSftpServer("builtin", undefined, field);
    assert.match("error" in none ? none.error : "", /no OpenSSH sftp-server found on the host.*openssh-sftp-server/);
    const unknown = chooseSftpServer("go", "/s", field);
    assert.match("error" in unknown ? unknown.error : "", /field `mounts\[0\]\.sshfs\.sftpDriver` has an unknown value "go"/);
  });
});
