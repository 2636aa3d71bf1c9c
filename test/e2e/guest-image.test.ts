// The locally built Debian guest (scripts/guest-image): the template points at what build.sh
// writes, the recipe stamp makes a second build a no-op, and the image boots like Lima boots it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ensureGuestImage } from "../helpers/guest.js";
import { REPO } from "../helpers/limactl.js";

const SCRIPTS = path.join(REPO, "scripts", "guest-image");
const TEMPLATE = path.join(REPO, "share", "lima", "templates", "local-debian-12.yaml");
const IMAGE_DIR = path.join(process.env.LIMA_TS_GUEST_CACHE ?? "/var/cache/lima-ts/guest", "debian-12-x86_64");

interface LocalTemplate {
  images: { location: string; arch: string; kernel: { location: string; cmdline: string }; initrd: { location: string } }[];
  firmware: { legacyBIOS: boolean };
  mountType: string;
  mountTypesUnsupported?: string[];
}

describe("local Debian 12 guest image", { timeout: 30 * 60_000 }, () => {
  it("template points at the files build.sh writes and boots the whole disk as root", () => {
    const tpl = parse(readFileSync(TEMPLATE, "utf8")) as LocalTemplate;
    assert.equal(tpl.images.length, 1);
    const [image] = tpl.images;
    // A system-wide path, not under ~: the image is built by root and booted by any user.
    const defaultDir = "/var/cache/lima-ts/guest/debian-12-x86_64";
    assert.equal(image.location, path.join(defaultDir, "disk.qcow2"));
    assert.equal(image.kernel.location, path.join(defaultDir, "vmlinuz"));
    assert.equal(image.initrd.location, path.join(defaultDir, "initrd.img"));
    assert.equal(image.arch, "x86_64");
    assert.match(image.kernel.cmdline, /(^| )root=\/dev\/vda( |$)/);
    assert.match(image.kernel.cmdline, /(^| )console=ttyS0( |$)/);
    assert.equal(tpl.firmware.legacyBIOS, true);
    // The cloud kernel has no 9p; instances that boot vmlinuz-generic may still choose it.
    assert.equal(tpl.mountType, "reverse-sshfs");
    assert.equal(tpl.mountTypesUnsupported, undefined);
  });

  it("a second build with an unchanged recipe is a no-op", () => {
    ensureGuestImage();
    const recipe = createHash("sha256")
      .update(readFileSync(path.join(SCRIPTS, "build.sh")))
      .update(readFileSync(path.join(SCRIPTS, "packages.txt")))
      .digest("hex");
    assert.equal(readFileSync(path.join(IMAGE_DIR, "recipe.sha256"), "utf8").trim(), recipe);
    const started = Date.now();
    const res = spawnSync("bash", [path.join(SCRIPTS, "build.sh")], { encoding: "utf8", timeout: 60_000 });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stderr, /up to date/);
    assert.ok(Date.now() - started < 10_000, "an up-to-date check must not rebuild");
  });

  it("is found up to date by a user who is not root", (t) => {
    if (process.getuid?.() !== 0) return t.skip("this process is not root: it is itself the non-root user");
    ensureGuestImage();
    // setpriv (util-linux) drops to nobody without a login shell or a home directory.
    const res = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", path.join(SCRIPTS, "build.sh")], { encoding: "utf8", timeout: 60_000, env: { ...process.env, HOME: "/nonexistent" } });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stderr, /up to date/);
  });

  // vm.test.ts boots this image through limactl; booting it by hand again costs CI minutes, so
  // this check of the image alone runs on request (when the image recipe changes).
  const smoke = process.env.LIMA_TS_SMOKE === "1" ? false : "set LIMA_TS_SMOKE=1 to boot the image with smoke.sh";
  it("boots under TCG with a cidata ISO and answers SSH (smoke.sh)", { skip: smoke }, () => {
    ensureGuestImage();
    const res = spawnSync("bash", [path.join(SCRIPTS, "smoke.sh")], { encoding: "utf8", timeout: 20 * 60_000 });
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
    assert.match(res.stderr, /SSH ready after/);
    assert.match(res.stderr, /all checks passed/);
  });
});
