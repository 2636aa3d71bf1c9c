// Boots the test guest with every `provision` mode, two readiness probes (one that can never pass),
// `copyToHost` rules and `param` values, as Lima runs them: the first start follows cloud-init
// (`--progress`) and ends DEGRADED with the failing probe's hint; the guest is checked; `limactl
// stop` deletes the `deleteOnStop` copies; the second start (without the failing probe) runs the
// deprecated `ansible` provision and reaches READY, and shows that every boot provisions again.
// The first start also has a 9p mount that the test guest's cloud kernel cannot make (no 9p):
// a mount that did not appear is part of what DEGRADED reports.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureGuestImage, expectedGuestUser, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LimaHome, type RunResult } from "../helpers/limactl.js";

const home = new LimaHome();
const NAME = "prov";
const dir = path.join(home.dir, NAME);
const BOOT_MS = 15 * 60_000;
const GREETING = "hello-param";
const user = expectedGuestUser();
const hostTmp = mkdtempSync(path.join(os.tmpdir(), "lima-prov-"));
const playbook = path.join(hostTmp, "site.yml");
const ansibleRecord = path.join(hostTmp, "ansible-ran");
const unmountable = path.join(hostTmp, "shared dir");

/**
 * Ansible is not installed on the test host: this stand-in for `ansible-playbook` records what
 * `limactl start` passed and reaches the guest the way Ansible would, through the inventory's
 * host and SSH arguments.
 */
const ANSIBLE_STANDIN = `#!/bin/sh
[ "$1" = -i ] || exit 2
args="$(sed -n 's/^ *ansible_ssh_common_args: *//p' "$2")"
host="$(sed -n 's/^ *ansible_host: *//p' "$2")"
# shellcheck disable=SC2086
ssh $args "$host" "echo ansible $PARAM_GREETING >/tmp/ansible-ran" || exit 3
printf '%s\\n' "$3" "$PARAM_GREETING" >'${ansibleRecord}'
`;

const provision = [
  {
    mode: "dependency",
    skipDefaultDependencyResolution: true,
    script: "#!/bin/sh\necho DEPENDENCY-OUTPUT\necho \"dependency $PARAM_GREETING\" >/var/lib/lima-ts-dependency\n",
  },
  {
    mode: "system",
    // Runs after the dependency scripts (30-install-packages.sh), as root, with the params.
    script: [
      "#!/bin/sh",
      "set -eu",
      "test -f /var/lib/lima-ts-dependency",
      'echo "system $PARAM_GREETING $(id -u)" >/var/lib/lima-ts-system',
      "(umask 077 && echo root-only >/var/lib/lima-ts-secret)",
      "echo SYSTEM-OUTPUT",
    ].join("\n"),
  },
  { mode: "user", script: '#!/bin/sh\necho "user $PARAM_GREETING $(id -un) $XDG_RUNTIME_DIR" >"$HOME/user-provision"\n' },
  { mode: "boot", script: 'echo "boot $PARAM_GREETING" >>/var/lib/lima-ts-boot' },
  { mode: "data", path: "{{.Home}}/data/greeting.txt", content: "data {{.Param.GREETING}}\n", owner: "{{.User}}", permissions: "600" },
  { mode: "data", path: "/etc/debian_version", content: "never written\n", overwrite: false },
  { mode: "data", path: "/etc/motd", content: "motd {{.Param.GREETING}}\n", overwrite: true },
  { mode: "yq", path: "/etc/lima-ts-provision.json", expression: '.greeting = "{{.Param.GREETING}}"', format: "json" },
  { mode: "system", script: "#!/bin/sh\necho FAILING-OUTPUT\necho FAILING-STDERR >&2\nexit 3\n" },
  { mode: "ansible", playbook },
];
const FAILING_SCRIPT = "provision.system/00000008";

const passingProbe = {
  description: "the system provision to have run",
  script: '#!/bin/bash\nset -eu\ntest -f /var/lib/lima-ts-system\ntest "$PARAM_GREETING" = hello-param\n',
  hint: "PASSING-PROBE-HINT",
};
const failingProbe = {
  description: "a tool that is never installed",
  script: "#!/bin/sh\necho PROBE-STDERR >&2\nexit 1\n",
  hint: "PROBE-HINT: the tool was not installed; see /var/log/cloud-init-output.log in the guest",
};

const copyToHost = [
  { guest: "/var/lib/lima-ts-system", host: "{{.Dir}}/copied/system.txt" },
  { guest: "/var/lib/lima-ts-secret", host: "{{.Dir}}/copied/{{.Param.GREETING}}-secret.txt" },
  { guest: "{{.Home}}/user-provision", host: "{{.Dir}}/copied/user.txt", deleteOnStop: true },
  { guest: "/nonexistent", host: "{{.Dir}}/copied/missing.txt", skipIfMissing: true },
];

async function shell(script: string): Promise<string> {
  const res = await home.limactl(["shell", NAME, "sh", "-c", script]);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

/** The logrus text lines of `limactl start`, message text only (escapes undone). */
function messages(res: RunResult): string {
  return res.stderr.replaceAll("\\n", "\n").replaceAll('\\"', '"');
}

describe("provisioning, probes, copyToHost and --progress in a real VM", { timeout: 40 * 60_000 }, () => {
  let first: RunResult;

  before(async () => {
    ensureGuestImage();
    writeFileSync(playbook, "- hosts: all\n  tasks: []\n");
    const set = [
      `.param = {"GREETING": "${GREETING}"}`,
      `.provision = ${JSON.stringify(provision)}`,
      `.probes = ${JSON.stringify([passingProbe, failingProbe])}`,
      `.copyToHost = ${JSON.stringify(copyToHost)}`,
      '.mountType = "9p"',
      `.mounts = [{"location": ${JSON.stringify(unmountable)}}]`,
    ].join(" | ");
    const created = await home.limactl(["create", "--name", NAME, "--set", set, GUEST_TEMPLATE]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /level=warning msg="provision mode `ansible` is deprecated, use `ansible-playbook `[^`]+site\.yml`` instead"/);
    first = await home.limactl(["start", "--progress", NAME], { timeoutMs: BOOT_MS });
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
  });

  it("start ends DEGRADED (exit 1) with the failing probe's hint and the mount that did not appear; the passing probe is not reported", () => {
    const out = messages(first);
    assert.equal(first.code, 1, first.stderr);
    // As Lima's: the deprecation is said at create (and when start edits the config), not at every start.
    assert.doesNotMatch(out, /deprecated/);
    assert.match(out, /failed to satisfy the requirement "a tool that is never installed" within 60 s after the boot scripts finished:\nPROBE-STDERR\nPROBE-HINT: the tool was not installed/);
    assert.doesNotMatch(out, /PASSING-PROBE-HINT/);
    assert.match(out, /level=warning msg="DEGRADED\. The VM seems running, but file sharing and port forwarding may not work\./);
    assert.match(out, /level=fatal msg="degraded, status=/);
    assert.ok(out.includes(`${JSON.stringify(unmountable)} is not mounted at ${JSON.stringify(unmountable)} in the guest (mountType: 9p, tag lima-`), out);
    // A degraded start stops before the ansible playbooks, as Lima's.
    assert.doesNotMatch(out, /Waiting for ansible playbook/);
    assert.equal(existsSync(ansibleRecord), false);
  });

  it("--progress shows cloud-init's output as it comes: the provisioning scripts' lines, up to cloud-init's end", () => {
    const out = messages(first);
    assert.match(out, /msg="Cloud-init provisioning started\.\.\."/);
    for (const line of ["DEPENDENCY-OUTPUT", "SYSTEM-OUTPUT", "FAILING-OUTPUT", "FAILING-STDERR"]) assert.match(out, new RegExp(`msg="\\[cloud-init\\] ${line}"`));
    assert.match(out, /msg="\[cloud-init\] Cloud-init v\. [^"]* finished at /);
    assert.match(out, /msg="Cloud-init progress monitoring done\."/);
    const events = readFileSync(path.join(dir, "ha.stdout.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { status: { cloudInitProgress?: Record<string, unknown> } });
    const progress = events.flatMap((e) => (e.status.cloudInitProgress ? [e.status.cloudInitProgress] : []));
    assert.deepEqual(progress[0], { active: true });
    assert.ok(progress.some((p) => p.logLine === "SYSTEM-OUTPUT" && p.active === true && Object.keys(p).join() === "logLine,active"));
    assert.deepEqual(progress.at(-1), { logLine: "Cloud-init monitoring completed successfully", completed: true });
  });

  it("a failing provisioning script is named by start, with the guest log that holds its output", async () => {
    assert.match(messages(first), new RegExp(`The boot scripts reported failures \\(the output is in "/var/log/cloud-init-output\\.log" in the guest\\):\n${FAILING_SCRIPT} failed with exit status 3`));
    const log = await shell("sudo cat /var/log/cloud-init-output.log");
    for (const line of ["DEPENDENCY-OUTPUT", "SYSTEM-OUTPUT", "FAILING-OUTPUT", "FAILING-STDERR"]) assert.match(log, new RegExp(`^${line}$`, "m"));
    assert.match(log, new RegExp(`WARNING: Failed to execute /mnt/lima-cidata/${FAILING_SCRIPT}`));
    assert.match(log, /LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION is set/);
  });

  it("system, user, boot and dependency scripts ran with the params, as root or as the user", async () => {
    assert.equal(await shell("cat /var/lib/lima-ts-dependency"), `dependency ${GREETING}\n`);
    assert.equal(await shell("cat /var/lib/lima-ts-system"), `system ${GREETING} 0\n`);
    assert.equal(await shell('cat "$HOME/user-provision"'), `user ${GREETING} ${user.name} /run/user/${user.uid}\n`);
    assert.equal(await shell("cat /var/lib/lima-ts-boot"), `boot ${GREETING}\n`);
  });

  it("data files: content (a template), owner, permissions; overwrite false keeps an existing file, true replaces it", async () => {
    assert.equal(await shell(`cat ${user.home}/data/greeting.txt`), `data ${GREETING}\n`);
    assert.equal(await shell(`stat -c '%U %a' ${user.home}/data/greeting.txt`), `${user.name} 600\n`);
    assert.match(await shell("cat /etc/debian_version"), /^12\.\d+\n$/);
    assert.equal(await shell("cat /etc/motd; stat -c '%U:%G %a' /etc/motd"), `motd ${GREETING}\nroot:root 644\n`);
    assert.deepEqual(JSON.parse(await shell("cat /etc/lima-ts-provision.json")), { greeting: GREETING });
  });

  it("copyToHost: copied after the requirements (0600; root-only files through sudo), a missing file skipped", () => {
    const copied = path.join(dir, "copied");
    assert.equal(readFileSync(path.join(copied, "system.txt"), "utf8"), `system ${GREETING} 0\n`);
    assert.equal(readFileSync(path.join(copied, `${GREETING}-secret.txt`), "utf8"), "root-only\n");
    assert.equal(readFileSync(path.join(copied, "user.txt"), "utf8"), `user ${GREETING} ${user.name} /run/user/${user.uid}\n`);
    assert.equal(statSync(path.join(copied, "system.txt")).mode & 0o777, 0o600);
    assert.equal(statSync(copied).mode & 0o777, 0o700);
    assert.equal(existsSync(path.join(copied, "missing.txt")), false);
    assert.match(messages(first), /Skip missing \/nonexistent/);
  });

  it("stop deletes the deleteOnStop copies only", async () => {
    await shell(`echo changed >${user.home}/data/greeting.txt`);
    const res = await home.limactl(["stop", NAME], { timeoutMs: 5 * 60_000 });
    assert.equal(res.code, 0, res.stderr);
    const copied = path.join(dir, "copied");
    assert.equal(existsSync(path.join(copied, "user.txt")), false);
    assert.equal(existsSync(path.join(copied, "system.txt")), true);
    assert.equal(existsSync(path.join(copied, `${GREETING}-secret.txt`)), true);
  });

  it("the `running` event names the missing 9p mount, why (the kernel has no 9p) and the fix", () => {
    const events = readFileSync(path.join(dir, "ha.stdout.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { status: { running?: boolean; degraded?: boolean; errors?: string[] } });
    const running = events.find((e) => e.status.running === true);
    assert.equal(running?.status.degraded, true);
    const error = (running?.status.errors ?? []).find((e) => e.includes("9p mounts")) ?? "";
    assert.match(error, /the guest kernel \S+-cloud-amd64 has no 9p file system/);
    assert.match(error, /set `mountType: reverse-sshfs` or `mountType: virtiofs` in ".*lima\.yaml"/);
  });

  it("the next start (failing probe and unmountable mount removed) runs the ansible playbook with the params, reaches READY, and provisions again", async () => {
    const edited = await home.limactl(["edit", NAME, "--set", "del(.probes[1]) | .mounts = []"]);
    assert.equal(edited.code, 0, edited.stderr);
    const bin = mkdtempSync(path.join(os.tmpdir(), "lima-ansible-"));
    writeFileSync(path.join(bin, "ansible-playbook"), ANSIBLE_STANDIN, { mode: 0o755 });
    const res = await home.limactl(["start", NAME], { timeoutMs: BOOT_MS, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } });
    assert.equal(res.code, 0, res.stderr);
    const out = messages(res);
    assert.match(out, /msg="Waiting for ansible playbook `[^`]+site\.yml`"/);
    assert.match(out, /msg="READY\. Run `limactl shell prov` to open the shell\."/);
    assert.doesNotMatch(out, /\[cloud-init\]/, "no progress without --progress");
    assert.equal(readFileSync(ansibleRecord, "utf8"), `${playbook}\n${GREETING}\n`);
    assert.equal(await shell("cat /tmp/ansible-ran"), `ansible ${GREETING}\n`);
    assert.equal(await shell("cat /var/lib/lima-ts-boot"), `boot ${GREETING}\nboot ${GREETING}\n`);
    assert.equal(await shell(`cat ${user.home}/data/greeting.txt`), `data ${GREETING}\n`, "overwrite (default true) restores it");
    assert.equal(readFileSync(path.join(dir, "copied", "user.txt"), "utf8"), `user ${GREETING} ${user.name} /run/user/${user.uid}\n`);
  });
});
