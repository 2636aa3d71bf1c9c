// The npm package as a user installs it: `npm pack`, `npm i -g` into an empty prefix, then the
// installed limactl creates an instance and starts it as far as cidata.iso. A fake QEMU that
// exits 1 ends the start there, so no VM boots.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO, run } from "../helpers/limactl.js";

const NPM_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const NAME = "pkg";

const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-pkg-"));
const prefix = path.join(tmp, "prefix");
const limaHome = path.join(tmp, "lima-home");
const fakeBin = path.join(tmp, "fake-bin");
const installed = path.join(prefix, "lib", "node_modules", "lima-ts");
const limactl = path.join(prefix, "bin", "limactl");

function env(): NodeJS.ProcessEnv {
  return { LIMA_HOME: limaHome, LIMA_TEMPLATES_PATH: "", PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ""}` };
}

/** `qemu-system-x86_64` that fails every call: start must get through cidata before it runs QEMU. */
function writeFakeQemu(): void {
  mkdirSync(fakeBin);
  const qemu = path.join(fakeBin, "qemu-system-x86_64");
  writeFileSync(qemu, "#!/bin/sh\necho 'fake qemu: refusing to run' >&2\nexit 1\n");
  chmodSync(qemu, 0o755);
}

describe("the npm package, installed", { skip: os.arch() !== "x64" ? "the fake QEMU is x86_64 only" : false }, () => {
  before(async () => {
    writeFakeQemu();
    // The suite builds dist first (`npm test`); --ignore-scripts packs that build instead of rebuilding.
    const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", tmp], { timeoutMs: NPM_TIMEOUT_MS });
    assert.equal(pack.code, 0, pack.stderr);
    const tarball = readdirSync(tmp).find((f) => /^lima-ts-.*\.tgz$/.test(f));
    assert.ok(tarball, `npm pack wrote no tarball into ${tmp}`);
    const install = await run("npm", ["i", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", path.join(tmp, tarball)], {
      cwd: tmp,
      timeoutMs: NPM_TIMEOUT_MS,
    });
    assert.equal(install.code, 0, install.stderr);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("stays small: the compiled guest agent (~110 MB) is built by `npm run build`, not shipped", () => {
    const tarball = readdirSync(tmp).find((f) => /^lima-ts-.*\.tgz$/.test(f)) ?? "";
    const size = statSync(path.join(tmp, tarball)).size;
    assert.ok(size < 10 * 2 ** 20, `the tarball is ${size} bytes`);
    assert.deepEqual(readdirSync(path.join(installed, "share/lima")).filter((f) => f.startsWith("lima-guestagent")), []);
  });

  it("carries the boot scripts, the templates and the guest-image recipe", () => {
    for (const file of ["src/cidata/boot/boot.sh", "src/cidata/boot/boot.Linux/25-guestagent-base.sh", "share/lima/templates/default.yaml", "scripts/guest-image/build.sh", "scripts/nerdctl-archive/build.sh", "scripts/nerdctl-archive/stand-ins/bin/nerdctl", "bin/lima", "bin/nerdctl.lima"]) {
      assert.ok(existsSync(path.join(installed, file)), `the installed package lacks ${file}`);
    }
  });

  it("creates an instance and starts it through cidata generation up to QEMU", async () => {
    const image = path.join(tmp, "image.raw");
    writeFileSync(image, Buffer.alloc(1024 * 1024));
    const created = await run(limactl, ["create", "--tty=false", "--name", NAME, "--set", `.images = [{"location": "${image}", "arch": "x86_64"}]`, "template:local-debian-12"], {
      cwd: tmp,
      env: env(),
    });
    assert.equal(created.code, 0, created.stderr);

    const started = await run(limactl, ["start", "--tty=false", NAME], { cwd: tmp, env: env(), timeoutMs: START_TIMEOUT_MS });
    const instDir = path.join(limaHome, NAME);
    assert.notEqual(started.code, 0, "start must fail: QEMU is fake");
    // The first thing that fails is the first QEMU call, after cidata.
    assert.match(started.stderr, /level=fatal msg=.*fake-bin\/qemu-system-x86_64 .*fake qemu: refusing to run/);
    const iso = readFileSync(path.join(instDir, "cidata.iso"));
    const bootSh = readFileSync(path.join(REPO, "src", "cidata", "boot", "boot.sh"));
    assert.ok(iso.includes(bootSh), "cidata.iso carries boot.sh");
  });
});
