import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { buildIso, writeIso, type IsoEntry } from "../../../src/cidata/iso9660.js";

const workDir = mkdtempSync(path.join(tmpdir(), "iso9660-test-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

const missing = ["xorriso", "isoinfo", "isovfy", "blkid"].filter((tool) => !hasTool(tool));
const toolSkip = missing.length > 0 ? `missing ${missing.join(", ")} (apt-get install xorriso genisoimage util-linux)` : false;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "latin1", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

function runBytes(cmd: string, args: string[]): Buffer {
  return execFileSync(cmd, args, { maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

let isoCounter = 0;
function saveIso(image: Uint8Array): string {
  const file = path.join(workDir, `image-${isoCounter++}.iso`);
  writeFileSync(file, image);
  return file;
}

/** Deterministic pseudo-random bytes, so a content mix-up cannot go unnoticed. */
function patternBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

interface Listed {
  mode: string;
  uid: string;
  gid: string;
  size: number;
}

/** `xorriso -find / -exec lsdl`: path → attributes, as read through Rock Ridge. */
function xorrisoListing(iso: string): Map<string, Listed> {
  const listing = new Map<string, Listed>();
  const out = run("xorriso", ["-indev", iso, "-find", "/", "-exec", "lsdl"]);
  for (const line of out.split("\n")) {
    const match = /^([-d][-rwxsStT]{9})\s+\d+\s+(\S+)\s+(\S+)\s+(\d+)\s.*'(.*)'$/.exec(line);
    if (!match) continue;
    const [, mode = "", uid = "", gid = "", size = "0", name = ""] = match;
    listing.set(name, { mode, uid, gid, size: Number(size) });
  }
  return listing;
}

function extractWithXorriso(iso: string): string {
  const target = mkdtempSync(path.join(workDir, "extract-"));
  rmSync(target, { recursive: true });
  run("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", "/", target]);
  return target;
}

function listTree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((dirent) => {
    const rel = prefix + dirent.name;
    return dirent.isDirectory() ? [`${rel}/`, ...listTree(path.join(dir, dirent.name), `${rel}/`)] : [rel];
  });
}

const mtime = new Date("2024-05-06T07:08:09Z");
const bigBinary = patternBytes(5 * 1024 * 1024 + 123, 7);

const limaLayout: IsoEntry[] = [
  { path: "user-data", data: "#cloud-config\nusers: []\n", mtime },
  { path: "meta-data", data: "instance-id: iid-1714979289\nlocal-hostname: lima-default\n", mtime },
  { path: "network-config", data: "version: 2\n", mtime },
  { path: "lima.env", data: "LIMA_CIDATA_NAME=default\n", mtime },
  { path: "param.env", data: "", mtime },
  { path: "boot.sh", data: "#!/bin/sh\nset -eu\n", mode: 0o755, mtime },
  { path: "boot.essential.Linux/00-foo.sh", data: "#!/bin/sh\necho foo\n", mode: 0o755, mtime },
  { path: "boot.Linux/05-lima-mounts.sh", data: "#!/bin/sh\n", mode: 0o755, mtime },
  { path: "util/compare_version.sh", data: "#!/bin/sh\n", mode: 0o755, mtime },
  { path: "provision.system/00000001", data: "#!/bin/bash\necho system\n", mode: 0o755, mtime },
  { path: "provision.user/00000002", data: "#!/bin/bash\necho user\n", mode: 0o755, mtime },
  { path: "provision.data/00000003", data: "payload\n", mtime },
  { path: "lima-guestagent", data: bigBinary, mode: 0o755, mtime },
];

function expectedContent(entry: IsoEntry): Buffer {
  return typeof entry.data === "string" ? Buffer.from(entry.data) : Buffer.from(entry.data);
}

describe("buildIso read back by real ISO tools", { skip: toolSkip }, () => {
  const iso = saveIso(buildIso("cidata", limaLayout));

  it("has the lowercase volume id `cidata` (isoinfo and blkid)", () => {
    assert.match(run("isoinfo", ["-d", "-i", iso]), /^Volume id: cidata$/m);
    assert.match(run("isoinfo", ["-d", "-i", iso]), /^Rock Ridge signatures version 1 found$/m);
    assert.equal(run("blkid", ["-o", "value", "-s", "LABEL", iso]).trim(), "cidata");
    assert.equal(run("blkid", ["-o", "value", "-s", "TYPE", iso]).trim(), "iso9660");
  });

  it("passes isovfy structure verification", () => {
    assert.match(run("isovfy", [iso]), /No errors found/);
  });

  it("lists the Rock Ridge names, modes and owners (xorriso)", () => {
    const listing = xorrisoListing(iso);
    const expectedDirs = ["/", "/boot.essential.Linux", "/boot.Linux", "/util", "/provision.system", "/provision.user", "/provision.data"];
    const expectedFiles = limaLayout.map((entry) => `/${entry.path}`);
    assert.deepEqual([...listing.keys()].sort(), [...expectedDirs, ...expectedFiles].sort());
    for (const dir of expectedDirs) assert.equal(listing.get(dir)?.mode, "drwxr-xr-x", dir);
    for (const entry of limaLayout) {
      const listed = listing.get(`/${entry.path}`);
      assert.equal(listed?.mode, entry.mode === 0o755 ? "-rwxr-xr-x" : "-rw-r--r--", entry.path);
      assert.equal(listed?.uid, "0");
      assert.equal(listed?.gid, "0");
      assert.equal(listed?.size, expectedContent(entry).length, entry.path);
    }
  });

  it("extracts every file byte-exact with its mode (xorriso -osirrox)", () => {
    const extracted = extractWithXorriso(iso);
    for (const entry of limaLayout) {
      const file = path.join(extracted, entry.path);
      assert.ok(readFileSync(file).equals(expectedContent(entry)), entry.path);
      assert.equal(statSync(file).mode & 0o777, entry.mode ?? 0o644, entry.path);
    }
  });

  it("reads files by Rock Ridge path with isoinfo -R -x, including the 5 MiB binary and the empty file", () => {
    for (const name of ["/user-data", "/boot.essential.Linux/00-foo.sh", "/provision.system/00000001", "/lima-guestagent", "/param.env"]) {
      const entry = limaLayout.find((candidate) => `/${candidate.path}` === name) as IsoEntry;
      assert.ok(runBytes("isoinfo", ["-R", "-x", name, "-i", iso]).equals(expectedContent(entry)), name);
    }
  });

  it("records modification times in Rock Ridge TF entries (isoinfo -R -l)", () => {
    const other = new Date("2021-11-23T01:02:03Z");
    const image = saveIso(buildIso("cidata", [{ path: "a/old", data: "x", mtime: other }, { path: "new", data: "y", mtime }]));
    const listing = run("isoinfo", ["-R", "-l", "-i", image]);
    assert.match(listing, /Nov 23 2021 \[[ \d]+ 00\]\s+old\s*$/m);
    assert.match(listing, /May {2}6 2024 \[[ \d]+ 00\]\s+new\s*$/m);
  });

  it("uses valid 8.3 primary names, unique even where the Rock Ridge names collide", () => {
    const image = saveIso(
      buildIso("cidata", [
        { path: "provision.system/00000001", data: "s" },
        { path: "provision.user/00000001", data: "u" },
        { path: "provision.dependency/00000001", data: "d" },
        { path: "a.sh", data: "lower" },
        { path: "A.sh", data: "upper" },
      ]),
    );
    const plain = run("isoinfo", ["-l", "-i", image]);
    const names = [...plain.matchAll(/\]\s+(\S+)\s*$/gm)].map((match) => match[1] as string).filter((name) => name !== "." && name !== "..");
    for (const name of names) assert.match(name, /^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{0,3};1)?$/, name);
    const rootNames = names.slice(0, 5);
    assert.equal(new Set(rootNames).size, rootNames.length);
    const extracted = extractWithXorriso(image);
    assert.equal(readFileSync(path.join(extracted, "provision.user/00000001"), "utf8"), "u");
    assert.equal(readFileSync(path.join(extracted, "provision.dependency/00000001"), "utf8"), "d");
    assert.equal(readFileSync(path.join(extracted, "a.sh"), "utf8"), "lower");
    assert.equal(readFileSync(path.join(extracted, "A.sh"), "utf8"), "upper");
  });

  it("handles long and non-ASCII names through continuation areas, and directories spanning several sectors", () => {
    const longName = `${"long-name-".repeat(24)}end.sh`; // 246 bytes: NM goes to a CE area
    const entries: IsoEntry[] = [
      { path: `${"d".repeat(200)}/${longName}`, data: "deep", mode: 0o700 },
      { path: longName, data: "top" },
      { path: "ünïcödé-名前.txt", data: "utf8" },
    ];
    for (let i = 0; i < 150; i++) entries.push({ path: `many/file-number-${String(i).padStart(4, "0")}-with-a-long-name`, data: `#${i}` });
    const image = saveIso(buildIso("cidata", entries));
    assert.match(run("isovfy", [image]), /No errors found/);
    const extracted = extractWithXorriso(image);
    const expectedTree = [
      `${"d".repeat(200)}/`,
      `${"d".repeat(200)}/${longName}`,
      longName,
      "many/",
      ...entries.slice(3).map((entry) => entry.path),
      "ünïcödé-名前.txt",
    ];
    assert.deepEqual(listTree(extracted).sort(), expectedTree.sort());
    for (const entry of entries) assert.ok(readFileSync(path.join(extracted, entry.path)).equals(expectedContent(entry)), entry.path);
    assert.equal(statSync(path.join(extracted, entries[0]?.path as string)).mode & 0o777, 0o700);
  });

  it("builds an image with no files at all", () => {
    const image = saveIso(buildIso("cidata", []));
    assert.deepEqual([...xorrisoListing(image).keys()], ["/"]);
    assert.equal(run("blkid", ["-o", "value", "-s", "LABEL", image]).trim(), "cidata");
  });
});

describe("buildIso", () => {
  it("is deterministic for the same input and mtime", () => {
    const first = buildIso("cidata", limaLayout);
    const second = buildIso("cidata", [...limaLayout].reverse());
    assert.ok(Buffer.from(first).equals(Buffer.from(second)));
    const later = limaLayout.map((entry) => ({ ...entry, mtime: new Date(mtime.getTime() + 1000) }));
    assert.ok(!Buffer.from(first).equals(Buffer.from(buildIso("cidata", later))));
  });

  it("sizes the image to whole sectors and stores large files without padding overhead", () => {
    const image = buildIso("cidata", [{ path: "blob", data: bigBinary }]);
    assert.equal(image.length % 2048, 0);
    assert.ok(image.length < bigBinary.length + 32 * 2048, `image is ${image.length} bytes`);
  });

  it("rejects invalid paths, names and volume ids", () => {
    assert.throws(() => buildIso("cidata", [{ path: "/abs", data: "" }]), /invalid ISO entry path "\/abs"/);
    assert.throws(() => buildIso("cidata", [{ path: "a/../b", data: "" }]), /invalid ISO entry path/);
    assert.throws(() => buildIso("cidata", [{ path: "a//b", data: "" }]), /invalid ISO entry path/);
    assert.throws(() => buildIso("cidata", [{ path: "x".repeat(251), data: "" }]), /longer than 250 bytes/);
    assert.throws(() => buildIso("cidata", [{ path: "a", data: "" }, { path: "a", data: "" }]), /duplicate ISO entry "a"/);
    assert.throws(() => buildIso("cidata", [{ path: "a", data: "" }, { path: "a/b", data: "" }]), /"a" is a file/);
    assert.throws(() => buildIso("cidata", [{ path: "a", data: "" }, { path: "a/b", data: "" }].reverse()), /duplicate ISO entry "a"/);
    assert.throws(() => buildIso("cidata", [{ path: "1/2/3/4/5/6/7/8/9", data: "" }]), /deeper than 8 levels/);
    assert.throws(() => buildIso("", []), /invalid ISO volume identifier/);
    assert.throws(() => buildIso("x".repeat(33), []), /invalid ISO volume identifier/);
  });
});

describe("writeIso", () => {
  it("replaces the target atomically and leaves no temporary file", async () => {
    const dir = mkdtempSync(path.join(workDir, "write-"));
    const file = path.join(dir, "cidata.iso");
    writeFileSync(file, "old contents");
    await writeIso(file, "cidata", limaLayout);
    assert.deepEqual(readdirSync(dir), ["cidata.iso"]);
    assert.ok(readFileSync(file).equals(Buffer.from(buildIso("cidata", limaLayout))));
  });

  it("leaves nothing behind when the input is invalid", async () => {
    const dir = mkdtempSync(path.join(workDir, "write-"));
    await assert.rejects(writeIso(path.join(dir, "cidata.iso"), "cidata", [{ path: "", data: "" }]), /invalid ISO entry path/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

function kernelMountSkip(): string | false {
  if (process.getuid?.() !== 0) return "mounting needs root";
  if (!readFileSync("/proc/filesystems", "utf8").includes("iso9660")) return "the kernel has no iso9660 (isofs) support here";
  return false;
}

describe("Linux isofs mount with Lima's options", { skip: kernelMountSkip() }, () => {
  it("mounts read-only and reads names, contents and the overridden modes", () => {
    const iso = saveIso(buildIso("cidata", limaLayout));
    const mountPoint = mkdtempSync(path.join(workDir, "mnt-"));
    const options = "loop,ro,mode=0700,dmode=0700,overriderockperm,exec,uid=0";
    const mounted = spawnSync("mount", ["-t", "iso9660", "-o", options, iso, mountPoint], { encoding: "utf8" });
    if (mounted.status !== 0) {
      assert.fail(`mount failed (loop devices unavailable?): ${mounted.stderr}`);
    }
    try {
      for (const entry of limaLayout) {
        const file = path.join(mountPoint, entry.path);
        assert.ok(readFileSync(file).equals(expectedContent(entry)), entry.path);
        assert.equal(statSync(file).mode & 0o777, 0o700, entry.path);
      }
      assert.equal(statSync(path.join(mountPoint, "boot.essential.Linux")).mode & 0o777, 0o700);
    } finally {
      execFileSync("umount", [mountPoint]);
    }
  });
});
