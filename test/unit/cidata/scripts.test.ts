// The guest scripts run for real under /bin/sh: pure helpers directly, and boot.sh end to end in
// a private mount namespace (tmpfs /run, overlay /etc) so that the host is never modified.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { bootScriptsDir } from "../../../src/cidata/layout.js";
import { renderLimaEnv, renderParamEnv } from "../../../src/cidata/render.js";
import { typicalArgs } from "./fixtures.js";

const BOOT = bootScriptsDir();

function sh(script: string): { status: number | null; stdout: string } {
  const res = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  return { status: res.status, stdout: res.stdout };
}

describe("util/compare_version.sh", () => {
  const compare = (a: string, op: string, b: string): number | null =>
    spawnSync("/bin/sh", [path.join(BOOT, "util/compare_version.sh"), a, op, b]).status;

  const holds: [string, string, string][] = [
    ["0.1.2", "-eq", "0.1.2"], ["0.1.2", "-ne", "0.1.3"], ["0.1.2", "-ge", "0.1.1"], ["0.1.2", "-ge", "0.1.2"],
    ["0.1.10", "-ge", "0.1.9"], ["0.1.2", "-gt", "0.1.1"], ["0.1.10", "-gt", "0.1.9"], ["0.1.2", "-le", "0.1.2"],
    ["0.1.2", "-le", "0.1.10"], ["0.1.2", "-lt", "0.1.10"], ["6.1.0-13-cloud-amd64", "-ge", "5.13"], ["5.4.0", "-lt", "5.13"],
  ];
  const fails: [string, string, string][] = [
    ["0.1.2", "-eq", "0.1.1"], ["0.1.2", "-ne", "0.1.2"], ["0.1.2", "-ge", "0.1.3"], ["0.1.2", "-gt", "0.1.2"],
    ["0.1.2", "-le", "0.1.1"], ["0.1.2", "-lt", "0.1.2"], ["6.1.0", "-lt", "5.13"],
  ];
  for (const [a, op, b] of holds) it(`${a} ${op} ${b}`, () => assert.equal(compare(a, op, b), 0));
  for (const [a, op, b] of fails) it(`not ${a} ${op} ${b}`, () => assert.equal(compare(a, op, b), 1));
  it("rejects bad usage", () => {
    assert.equal(compare("1", "-xx", "2"), 2);
    assert.equal(spawnSync("/bin/sh", [path.join(BOOT, "util/compare_version.sh"), "1"]).status, 2);
  });
});

describe("boot.sh helpers", () => {
  const lib = `LIMA_BOOT_SH_LIB=1 . '${path.join(BOOT, "boot.sh")}'`;

  it("normalises /etc/environment lines like pam_env", () => {
    const cases: [string, string][] = [
      ["FOO=bar", "FOO=bar"],
      ["  \texport FOO=bar", "FOO=bar"],
      ['FOO="quoted value"', "FOO=quoted value"],
      ["FOO='single'", "FOO=single"],
      ['FOO="unterminated', "FOO=unterminated"],
      ["FOO=bar # comment", "FOO=bar "],
      ["# only a comment", ""],
      ['FOO="a"b"', 'FOO=a"b'],
      ["URL=http://x/?a=b", "URL=http://x/?a=b"],
    ];
    for (const [input, expected] of cases) {
      const res = spawnSync("/bin/sh", ["-c", `${lib}; pam_env_line "$1"`, "sh", input], { encoding: "utf8" });
      assert.equal(res.stdout, `${expected}\n`, input);
    }
  });

  it("exports env files, skipping blank lines and tolerating a missing final newline", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "bootsh-"));
    try {
      await writeFile(path.join(dir, "a.env"), "A=1\n\nB=two words\nC=x=y");
      await writeFile(path.join(dir, "etc"), '#LIMA-START\n  export D="quoted"  \nE=e # c\n#LIMA-END');
      const res = sh(`${lib}; export_lines '${dir}/a.env'; export_pam_env '${dir}/etc'; printf '%s|' "$A" "$B" "$C" "$D" "$E"`);
      assert.equal(res.stdout, "1|two words|x=y|quoted|e |");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("infers yq output formats from the file name", () => {
    const res = sh(`${lib}; for f in a.json b.yml c.toml d.ini e.xml f.unknown; do yq_format_for "$f"; done`);
    assert.match(res.stdout, /^json\nyaml\ntoml\nini\nxml\nLIMA [^|]+\| WARNING: Cannot determine file type for f\.unknown, using yaml format\nyaml\n$/);
  });
});

function namespaceAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  const res = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs tmpfs /run"]);
  return res.status === 0;
}

describe("boot.sh end to end (private mount namespace)", { skip: namespaceAvailable() ? false : "needs root and unshare" }, () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "bootsh-e2e-"));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** A cidata tree with boot.sh, util/, some real modules and test modules. */
  async function cidata(name: string, opts: { plain?: boolean; rebootRequired?: boolean; failingProvision?: boolean }): Promise<{ mnt: string; work: string }> {
    const work = path.join(tmp, name);
    const mnt = path.join(work, "cidata");
    await mkdir(path.join(mnt, "boot.Linux"), { recursive: true });
    await mkdir(path.join(mnt, "boot.essential.Linux"), { recursive: true });
    await mkdir(path.join(work, "out"), { recursive: true });
    await mkdir(path.join(work, "home"), { recursive: true });
    await copyFile(path.join(BOOT, "boot.sh"), path.join(mnt, "boot.sh"));
    await cp(path.join(BOOT, "util"), path.join(mnt, "util"), { recursive: true });
    for (const module of ["06-etc-hosts.sh", "07-etc-environment.sh"]) {
      await copyFile(path.join(BOOT, "boot.Linux", module), path.join(mnt, "boot.Linux", module));
    }
    const out = path.join(work, "out");
    const modules: Record<string, string> = {
      "boot.essential.Linux/00-essential.sh": `#!/bin/sh\ntouch '${out}/essential-ran'\n${opts.rebootRequired ? 'touch "$LIMA_REBOOT_REQUIRED"\n' : ""}`,
      "boot.Linux/01-env.sh": `#!/bin/sh\nprintf '%s|' "$LIMA_CIDATA_NAME" "$PARAM_GREETING" "$FOO" "$QUOTED" "$(command -v compare_version.sh)" >'${out}/env'\n`,
      "boot.Linux/02-fails.sh": "#!/bin/sh\necho progress\necho 'tar: bin/nerdctl: Not found in archive' >&2\nexit 3\n",
      "provision.system/00000001": `#!/bin/sh\necho "system $PARAM_GREETING" >'${out}/system'\n`,
      "provision.data/00000000": "key=value\n",
      ...(opts.failingProvision ? { "provision.system/00000002": "#!/bin/sh\necho 'provisioning went wrong' >&2\nexit 4\n" } : {}),
    };
    for (const [file, content] of Object.entries(modules)) {
      await mkdir(path.dirname(path.join(mnt, file)), { recursive: true });
      await writeFile(path.join(mnt, file), content);
      await chmod(path.join(mnt, file), 0o755);
    }
    const args = typicalArgs();
    args.user = "root";
    args.home = path.join(work, "home");
    args.plain = opts.plain ?? false;
    args.param = { GREETING: "hi there" };
    args.dataFiles = [{ fileName: "00000000", overwrite: true, owner: "root:root", path: path.join(out, "sub", "data.conf"), permissions: "600" }];
    await writeFile(path.join(mnt, "lima.env"), renderLimaEnv(args));
    await writeFile(path.join(mnt, "param.env"), renderParamEnv(args));
    await writeFile(path.join(mnt, "etc_environment"), '#LIMA-START\nFOO=bar\nQUOTED="x y"\n#LIMA-END\n');
    // loginctl would end real sessions on this host: record the call instead.
    await mkdir(path.join(work, "bin"));
    await writeFile(path.join(work, "bin", "loginctl"), `#!/bin/sh\necho "$@" >>'${out}/loginctl'\n`, { mode: 0o755 });
    return { mnt, work };
  }

  function boot(work: string, mnt: string, times = 1): number {
    const run = Array.from({ length: times }, () => `LIMA_CIDATA_MNT='${mnt}' sh '${mnt}/boot.sh' >>'${work}/boot.log' 2>&1; code=$?`).join("\n");
    const script = `set -u
mkdir -p '${work}/etc-up' '${work}/etc-work'
mount -t overlay overlay -o lowerdir=/etc,upperdir='${work}/etc-up',workdir='${work}/etc-work' /etc
mount -t tmpfs tmpfs /run
printf 'PATH="/usr/bin"\\n#LIMA-START\\nOLD=1\\n#LIMA-END\\n' >/etc/environment
export PATH='${work}/bin':"$PATH"
${run}
cp -a /run '${work}/run-copy'
exit "$code"`;
    return spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script]).status ?? -1;
  }

  it("runs modules and provisioning, writes the markers, reports failures", async () => {
    const { mnt, work } = await cidata("full", { failingProvision: true });
    assert.equal(boot(work, mnt, 2), 1, await readFile(path.join(work, "boot.log"), "utf8"));
    const read = (p: string) => readFile(path.join(work, p), "utf8");
    assert.equal(await read("run-copy/lima-ssh-ready"), "iid-1700000000\n");
    assert.equal(await read("run-copy/lima-boot-done"), "iid-1700000000\n");
    assert.equal(await read("out/env"), `default|hi there|bar|x y|${mnt}/util/compare_version.sh|`);
    assert.equal(await read("out/system"), "system hi there\n");
    assert.equal(await read("out/sub/data.conf"), "key=value\n");
    assert.equal((await stat(path.join(work, "out/sub/data.conf"))).mode & 0o777, 0o600);
    assert.equal(await read("etc-up/environment"), 'PATH="/usr/bin"\n#LIMA-START\nFOO=bar\nQUOTED="x y"\n#LIMA-END\n');
    // Changed on the first boot only: sessions are terminated once.
    assert.equal(await read("out/loginctl"), "terminate-user root\n");
    const hosts = await read("etc-up/hosts");
    assert.equal(hosts.match(/host\.lima\.internal/g)?.length, 1);
    assert.match(hosts, /\n192\.168\.5\.2\thost\.lima\.internal\n$/);
    assert.match(await read("boot.log"), /progress\ntar: bin\/nerdctl: Not found in archive\n.*WARNING: Failed to execute .*02-fails\.sh/);
    // The failure report the host agent shows instead of waiting for a requirement 02-fails.sh should meet.
    assert.equal(await read("run-copy/lima-boot-failed/iid"), "iid-1700000000\n");
    assert.equal(await read("run-copy/lima-boot-failed/02-fails.sh.log"), "02-fails.sh failed with exit status 3; the last lines of its error output:\n  tar: bin/nerdctl: Not found in archive\n");
    await assert.rejects(readFile(path.join(work, "run-copy/lima-boot-failed/boot.sh.log")), { code: "ENOENT" });
    await assert.rejects(readFile(path.join(work, "run-copy/lima-boot-failed/01-env.sh.log")), { code: "ENOENT" });
    // A failed provisioning script: its output is in the log, and a report for `limactl start`'s warning.
    assert.match(await read("boot.log"), /provisioning went wrong\n.*WARNING: Failed to execute .*provision\.system\/00000002/);
    assert.equal(await read("run-copy/lima-boot-failed/provision.system-00000002.log"), "provision.system/00000002 failed with exit status 4\n");
    await assert.rejects(readFile(path.join(work, "run-copy/lima-boot-failed/provision.system-00000001.log")), { code: "ENOENT" });
  });

  it("reports boot.sh stopping early", async () => {
    const { mnt, work } = await cidata("abort", {});
    // provision.data copies with `cp` under set -e: an unwritable target stops boot.sh.
    await writeFile(path.join(mnt, "lima.env"), `${await readFile(path.join(mnt, "lima.env"), "utf8")}LIMA_CIDATA_DATAFILE_00000000_PATH=/proc/version/x\n`);
    assert.notEqual(boot(work, mnt), 0);
    assert.match(await readFile(path.join(work, "run-copy/lima-boot-failed/boot.sh.log"), "utf8"), /^boot\.sh stopped early with exit status [1-9]\d* /);
    await assert.rejects(readFile(path.join(work, "run-copy/lima-boot-done")), { code: "ENOENT" });
  });

  it("runs only the essential modules in plain mode", async () => {
    const { mnt, work } = await cidata("plain", { plain: true });
    assert.equal(boot(work, mnt), 0, await readFile(path.join(work, "boot.log"), "utf8"));
    assert.equal(await readFile(path.join(work, "run-copy/lima-boot-done"), "utf8"), "iid-1700000000\n");
    await assert.rejects(readFile(path.join(work, "run-copy/lima-ssh-ready")), { code: "ENOENT" });
    await assert.rejects(readFile(path.join(work, "out/env")), { code: "ENOENT" });
    assert.equal(await readFile(path.join(work, "out/essential-ran"), "utf8"), "");
  });

  it("does not signal boot-done when a module requires a reboot", async () => {
    const { mnt, work } = await cidata("reboot", { plain: true, rebootRequired: true });
    boot(work, mnt);
    await assert.rejects(readFile(path.join(work, "run-copy/lima-boot-done")), { code: "ENOENT" });
    assert.match(await readFile(path.join(work, "boot.log"), "utf8"), /requested a reboot/);
  });
});

describe("shellcheck", { skip: spawnSync("shellcheck", ["--version"]).status === 0 ? false : "shellcheck not installed" }, () => {
  it("finds nothing in the boot scripts", () => {
    const files = execFileSync("find", [BOOT, "-name", "*.sh"], { encoding: "utf8" }).trim().split("\n");
    const res = spawnSync("shellcheck", ["-s", "sh", ...files], { encoding: "utf8" });
    assert.equal(res.status, 0, res.stdout);
  });
});
