// What runs where for a reverse-sshfs mount, and reading the guest's mount table.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { mkdirRemoteCommand, mountTableShowsSSHFS, sftpServerArgs, sshfsOptionList, sshfsRemoteCommand, unescapeMountField } from "../../../src/mount/sshfscommand.js";

const RW = { readonly: false, cache: true, followSymlinks: false };

/** The words a POSIX shell makes of a command line (as the guest user's shell will). */
function shellWords(command: string): string[] {
  const res = spawnSync("/bin/sh", ["-c", `for w in ${command.replace(/^\S+/, "")}; do printf '%s\\0' "$w"; done`], { encoding: "utf8" });
  return [command.split(" ")[0] ?? "", ...res.stdout.split("\0").slice(0, -1)];
}

describe("sshfs in the guest", () => {
  it("adds ro, cache=no, follow_symlinks and nonempty as the mount asks, allow_other always", () => {
    assert.equal(sshfsOptionList(RW), "allow_other");
    assert.equal(sshfsOptionList({ readonly: true, cache: false, followSymlinks: true }), "allow_other,cache=no,follow_symlinks");
    assert.equal(sshfsOptionList({ ...RW, nonempty: true }), "allow_other,nonempty");
    assert.equal(sshfsRemoteCommand("/home/u", "/home/u", RW), "sshfs :/home/u /home/u -o slave -o allow_other");
    assert.equal(sshfsRemoteCommand("/a", "/b", { ...RW, readonly: true }), "sshfs :/a /b -o slave -o ro -o allow_other");
  });

  it("keeps paths with spaces, quotes, $ and non-ASCII characters whole through the guest's shell", () => {
    const odd = "/tmp/lima mounts ä-x/it's $HOME `id` \"q\"";
    const words = shellWords(sshfsRemoteCommand(odd, `${odd}/mp`, RW));
    assert.deepEqual(words, ["sshfs", `:${odd}`, `${odd}/mp`, "-o", "slave", "-o", "allow_other"]);
    assert.deepEqual(shellWords(mkdirRemoteCommand(odd)), ["mkdir", "-p", odd]);
  });
});

describe("sftp-server on the host", () => {
  it("logs to stderr, starts in the location (with % doubled for its -d expansion), refuses writes when read-only", () => {
    assert.deepEqual(sftpServerArgs("/home/u", false), ["-e", "-d", "/home/u"]);
    assert.deepEqual(sftpServerArgs("/x/100%", true), ["-e", "-d", "/x/100%%", "-R"]);
  });
});

describe("the guest's mount table", () => {
  const proc = [
    "/dev/vda1 / ext4 rw,relatime 0 0",
    ":/tmp/lima\\040mounts\\040ä-x/rw\\040dir\\040ü /tmp/lima\\040mounts\\040ä-x/rw\\040dir\\040ü fuse.sshfs rw,nosuid,nodev,relatime,user_id=501,group_id=1000,allow_other 0 0",
    ":/tmp/back\\134slash /tmp/back\\134slash fuse.sshfs ro 0 0",
    "tmpfs /tmp/other tmpfs rw 0 0",
  ].join("\n");

  it("undoes the kernel's octal escapes", () => {
    assert.equal(unescapeMountField("/a\\040b\\011c\\012d\\134e"), "/a b\tc\nd\\e");
    assert.equal(unescapeMountField("/ä\\040ü"), "/ä ü");
  });

  it("finds an sshfs mount at exactly the mount point in /proc/self/mounts", () => {
    assert.equal(mountTableShowsSSHFS(proc, "/tmp/lima mounts ä-x/rw dir ü"), true);
    assert.equal(mountTableShowsSSHFS(proc, "/tmp/back\\slash"), true);
    assert.equal(mountTableShowsSSHFS(proc, "/tmp/lima mounts ä-x"), false, "a parent is not the mount");
    assert.equal(mountTableShowsSSHFS(proc, "/tmp/other"), false, "another file system type");
    assert.equal(mountTableShowsSSHFS(proc, "/"), false);
  });

  it("reads `mount`'s output too (Linux and BSD forms)", () => {
    assert.equal(mountTableShowsSSHFS(":/Users/u on /Users/u type fuse.sshfs (rw,nosuid)", "/Users/u"), true);
    assert.equal(mountTableShowsSSHFS(":/Users/u on /Users/u (osxfuse, nodev)", "/Users/u"), true);
    assert.equal(mountTableShowsSSHFS(":/Users/u on /Users/u/sub type fuse.sshfs (rw)", "/Users/u"), false);
  });
});
