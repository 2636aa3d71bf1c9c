// The SFTP client against OpenSSH's real sftp-server (the program the guest runs for `ssh -s sftp`).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SFTPClient } from "../../../src/mcp/sftp.js";

const SFTP_SERVER = ["/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server"].find(existsSync);
const isRoot = process.getuid?.() === 0;

describe("SFTP client", { skip: SFTP_SERVER === undefined ? "no OpenSSH sftp-server (Debian: openssh-sftp-server)" : false }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lima-sftp-"));
  const server = spawn(SFTP_SERVER as string, [], { stdio: ["pipe", "pipe", "inherit"] });
  let sftp: SFTPClient;
  before(async () => {
    sftp = await SFTPClient.connect(server.stdout, server.stdin);
  });
  after(() => {
    sftp.end();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes, overwrites and reads files larger than one chunk", async () => {
    const big = Buffer.alloc(100_000, "x");
    await sftp.writeFile(path.join(dir, "big"), big);
    assert.deepEqual(readFileSync(path.join(dir, "big")), big);
    await sftp.writeFile(path.join(dir, "big"), Buffer.from("short"));
    assert.equal(readFileSync(path.join(dir, "big"), "utf8"), "short");
    writeFileSync(path.join(dir, "text"), "hello 💡\n");
    assert.equal((await sftp.readFile(path.join(dir, "text"), 1024)).toString(), "hello 💡\n");
    assert.equal((await sftp.readFile(path.join(dir, "text"), 5)).toString(), "hello");
  });

  it("lists a directory with sizes, modes and times", async () => {
    mkdirSync(path.join(dir, "list/sub"), { recursive: true });
    writeFileSync(path.join(dir, "list/f"), "abc");
    const entries = (await sftp.readDir(path.join(dir, "list"))).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      entries.map((e) => [e.name, e.attrs.size, (e.attrs.permissions ?? 0) & 0o170000]),
      [
        ["f", 3n, 0o100000],
        ["sub", entries[1]?.attrs.size, 0o040000],
      ],
    );
    assert.ok(Math.abs((entries[0]?.attrs.mtime ?? 0) - Date.now() / 1000) < 60);
  });

  it("creates missing parent directories", async () => {
    await sftp.mkdirAll(path.join(dir, "a/b/c"));
    await sftp.writeFile(path.join(dir, "a/b/c/file"), Buffer.from("tmp"));
    assert.equal(readFileSync(path.join(dir, "a/b/c/file"), "utf8"), "tmp");
    await sftp.mkdirAll(path.join(dir, "a/b")); // existing: fine
  });

  it("answers with pkg/sftp's error texts", async () => {
    await assert.rejects(sftp.readFile(path.join(dir, "missing"), 10), { message: "file does not exist" });
    await assert.rejects(sftp.readDir(path.join(dir, "missing")), { message: "file does not exist" });
    await assert.rejects(sftp.mkdirAll(path.join(dir, "text/x")), /not a directory/);
  });

  it("reports permission denied", { skip: isRoot ? "root may write anywhere" : false }, async () => {
    mkdirSync(path.join(dir, "ro"));
    chmodSync(path.join(dir, "ro"), 0o555);
    await assert.rejects(sftp.writeFile(path.join(dir, "ro/x"), Buffer.from("x")), { message: "permission denied" });
  });
});
