// Shell completion as cobra generates it: candidates with descriptions from `__complete`, without
// from `__completeNoDesc`, which `completion SHELL --no-descriptions` scripts call.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LimaHome, REPO, run } from "../helpers/limactl.js";

const home = new LimaHome();
after(() => home.cleanup());
const env = { ...home.env, PATH: `${path.join(REPO, "bin")}:${process.env.PATH ?? ""}` };

function hasShell(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

describe("completion", () => {
  it("__complete gives descriptions, __completeNoDesc does not", async () => {
    const desc = await home.limactl(["__complete", "st"]);
    assert.equal(desc.stdout, "start\tStart an instance of Lima\nstop\tStop an instance\n:4\n");
    const noDesc = await home.limactl(["__completeNoDesc", "st"]);
    assert.equal(noDesc.stdout, "start\nstop\n:4\n");
  });

  it("offers no hidden or deprecated command, and instance names to sub-commands that take them", async () => {
    const top = await home.limactl(["__completeNoDesc", ""]);
    const names = top.stdout.trim().split("\n");
    for (const hidden of ["hostagent", "start-at-login", "generate-doc", "usernet", "debug"]) assert.ok(!names.includes(hidden), hidden);
    for (const shown of ["disk", "snapshot", "network", "tunnel", "watch", "autostart"]) assert.ok(names.includes(shown), shown);
    const created = await home.limactl(["create", "--name", "snap1", "-"], { input: "{images: [{location: /etc/profile}]}\n" });
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await home.limactl(["__completeNoDesc", "snapshot", "create", "sn"])).stdout, "snap1\n:4\n");
    assert.equal((await home.limactl(["__completeNoDesc", "tunnel", ""])).stdout, "snap1\n:4\n");
    const disk = await home.limactl(["disk", "create", "data1", "--size", "1MiB"]);
    assert.equal(disk.code, 0, disk.stderr);
    assert.equal((await home.limactl(["__completeNoDesc", "disk", "delete", ""])).stdout, "data1\n:4\n");
  });

  it("completes the flags of a command after `--`, as the shell passes the words", async () => {
    const res = await home.limactl(["__completeNoDesc", "start", "--ti"]);
    assert.equal(res.stdout, "--timeout\n:4\n");
    const all = await home.limactl(["__completeNoDesc", "start", "--"]);
    assert.match(all.stdout, /^--timeout\n(?:--[\w-]+\n)+:4\n$/);
  });

  it("--no-descriptions scripts ask for no descriptions", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const withDesc = await home.limactl(["completion", shell]);
      const without = await home.limactl(["completion", shell, "--no-descriptions"]);
      assert.match(withDesc.stdout, /limactl __complete /, shell);
      assert.match(without.stdout, /limactl __completeNoDesc /, shell);
      assert.doesNotMatch(without.stdout, /limactl __complete /, shell);
    }
  });

  it("the bash script completes in a real bash", async () => {
    for (const flag of [[], ["--no-descriptions"]]) {
      const script = `source <(limactl completion bash ${flag.join(" ")}); COMP_WORDS=(limactl st); COMP_CWORD=1; __limactl_complete; echo "\${COMPREPLY[@]}"`;
      const res = await run("bash", ["-c", script], { env });
      assert.equal(res.stdout, "start stop\n", res.stderr);
    }
  });

  it("the fish script shows descriptions unless told not to", async (t) => {
    if (!hasShell("fish")) return t.skip("fish is not installed");
    const withDesc = await run("fish", ["-c", "limactl completion fish | source; complete -C 'limactl st'"], { env });
    assert.equal(withDesc.stdout, "start\tStart an instance of Lima\nstop\tStop an instance\n", withDesc.stderr);
    const without = await run("fish", ["-c", "limactl completion fish --no-descriptions | source; complete -C 'limactl st'"], { env });
    assert.equal(without.stdout, "start\nstop\n", without.stderr);
  });
});
