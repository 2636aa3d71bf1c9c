import assert from "node:assert/strict";
import os from "node:os";
import { describe, it } from "node:test";
import { yqExpressionFromFlags } from "../../../src/cli/editflags.js";
import { configureLogger } from "../../../src/log/logger.js";

configureLogger({ write: () => {} });
const fresh = { existingInstance: false };

describe("edit flags -> yq", () => {
  it("translates each flag as Lima does, in Lima's order", () => {
    assert.equal(yqExpressionFromFlags({ cpus: "4", memory: "1.5", disk: "20" }, fresh), '.cpus = 4 | .memory = "1.5GiB" | .disk= "20GiB"');
    assert.equal(yqExpressionFromFlags({ memory: "2" }, fresh), '.memory = "2GiB"');
    assert.equal(yqExpressionFromFlags({ mountNone: true }, fresh), ".mounts = null");
    assert.equal(yqExpressionFromFlags({ vmType: "qemu", mountType: "9p" }, fresh), '.mountType = "9p" | .vmType = "qemu"');
    assert.equal(yqExpressionFromFlags({ network: ["vzNAT", "lima:user-v2"] }, fresh), '.networks += [{"vzNAT": true},{"lima": "user-v2"}] | .networks |= unique_by(.lima)');
    assert.equal(yqExpressionFromFlags({ containerd: "none" }, fresh), ".containerd.user = false | .containerd.system = false");
    assert.equal(yqExpressionFromFlags({ set: [".a = 1", ".b = 2"] }, fresh), ".a = 1 | .b = 2");
    assert.equal(yqExpressionFromFlags({ shell: "/bin/zsh" }, fresh), '.user.shell = "/bin/zsh"');
  });

  it("builds mounts in reverse order with ~ expanded and :w writable", () => {
    const expr = yqExpressionFromFlags({ mount: ["~/a", "/b:w"] }, fresh);
    assert.equal(expr, `.mounts = [{"location": "/b", "mountPoint": "/b", "writable": true},{"location": "${os.homedir()}/a", "mountPoint": "${os.homedir()}/a", "writable": false}] + .mounts`);
  });

  it("parses port forwards", () => {
    assert.equal(yqExpressionFromFlags({ portForward: ["8080:80", "9090:9090,static=true"] }, fresh), '.portForwards += [{"guestPort": "80", "hostPort": "8080", "static": false},{"guestPort": "9090", "hostPort": "9090", "static": true}]');
    assert.throws(() => yqExpressionFromFlags({ portForward: ["8080"] }, fresh), /error while processing flag `port-forward`: invalid port forward format `8080`, expected HOST:GUEST/);
    assert.throws(() => yqExpressionFromFlags({ portForward: ["1:2,static=maybe"] }, fresh), /invalid value for static parameter: `maybe`/);
  });

  it("rejects bad values with Lima's messages", () => {
    assert.throws(() => yqExpressionFromFlags({ cpus: "-1" }, fresh), /error while processing flag `cpus`: invalid value for number of cpus, must be >= 0/);
    assert.throws(() => yqExpressionFromFlags({ containerd: "both" }, fresh), /expected one of \[`user`, `system`, `user\+system`, `none`\], got `both`/);
    assert.throws(() => yqExpressionFromFlags({ network: ["bridged"] }, fresh), /network name must be `vzNAT` or `lima:\*`, got `bridged`/);
    assert.throws(() => yqExpressionFromFlags({ mount: ["/a"], mountNone: true }, fresh), /flag `--mount-none` conflicts with `mount`/);
    assert.throws(() => yqExpressionFromFlags({ param: ["X"] }, { existingInstance: false, templateParams: [] }), /invalid parameter `X`, expected NAME=VALUE/);
    assert.throws(() => yqExpressionFromFlags({ param: ["X=1"] }, { existingInstance: false, templateParams: ["Y"] }), /template does not define param `X`/);
  });

  it("skips create-only flags on existing instances", () => {
    assert.equal(yqExpressionFromFlags({ arch: "aarch64", cpus: "2" }, { existingInstance: true }), ".cpus = 2");
    assert.equal(yqExpressionFromFlags({ param: ["X=a=b"] }, { existingInstance: false, templateParams: ["X"] }), '.param["X"] = "a=b"');
  });
});
