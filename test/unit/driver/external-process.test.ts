// The external driver client against real driver processes on the SDK (no VM): the protocol
// round trips, Lima's process model, and the crash cases.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { isProcessAlive } from "../../../src/store/pidfile.js";
import { driverProgram, FIXTURE_DRIVER, HELLO_DRIVER, tsDriverProgram } from "./helpers.js";

const home = mkdtempSync(path.join(os.tmpdir(), "lima-extdrv-"));
process.env.LIMA_HOME = home;
const { inspect } = await import("../../../src/store/store.js");
const { instanceJSON } = await import("../../../src/store/format.js");
const { ExternalDriver } = await import("../../../src/driver/external/client.js");
const { stopDriverServers } = await import("../../../src/driver/external/process.js");
type Instance = Awaited<ReturnType<typeof inspect>>;

const programs = path.join(home, "_programs");
const fixture = await tsDriverProgram(path.join(programs, "good"), "fixture", FIXTURE_DRIVER);

const LIMA_YAML = `vmType: fixture
images: [{location: /etc/profile}]
cpus: 2
memory: 1GiB
mounts: [{location: "~"}, {location: /tmp/lima, writable: true}]
portForwards: [{guestPort: 80, hostPort: 8080}]
provision: [{mode: system, script: "#!/bin/sh\\necho {{.Param.FIXTURE_FILL}} {{.Param.FIXTURE_INVALID}}"}]
param: {FIXTURE_FILL: "0", FIXTURE_INVALID: "0"}
message: "hello {{.Name}}"
`;

let counter = 0;
async function newInstance(param: Record<string, string> = {}): Promise<Instance> {
  const name = `i${++counter}`;
  mkdirSync(path.join(home, name));
  let yaml = LIMA_YAML;
  for (const [k, v] of Object.entries(param)) yaml = yaml.replace(`${k}: "0"`, `${k}: "${v}"`);
  writeFileSync(path.join(home, name, "lima.yaml"), yaml);
  return inspect(name);
}

const pidOf = (inst: Instance): number => Number(readFileSync(path.join(inst.dir, "fixture.drv.pid"), "utf8"));
const leftovers = (inst: Instance): string[] => ["fixture.drv.pid", "fixture.drv.sock"].filter((f) => existsSync(path.join(inst.dir, f)));
const LOST = /lima-driver-fixture.*driver\.stderr\.log/s;

async function collect(errors: AsyncIterable<Error>): Promise<string[]> {
  const out: string[] = [];
  for await (const err of errors) out.push(err.message);
  return out;
}

/** A good driver starts and runs where a broken one failed. */
async function goodDriverWorks(inst: Instance): Promise<void> {
  const driver = new ExternalDriver("fixture", fixture);
  await driver.configure(inst);
  const vm = await driver.start();
  await driver.stop();
  assert.deepEqual(await collect(vm.errors), []);
  driver.close();
  await stopDriverServers(inst.dir);
}

after(async () => {
  for (let i = 1; i <= counter; i++) await stopDriverServers(path.join(home, `i${i}`), { force: true });
  rmSync(home, { recursive: true, force: true });
});

describe("external driver client and SDK server", { concurrency: true }, () => {
  it("Configure sends the instance JSON and returns the driver's; Info carries the driver's JSON", async () => {
    const inst = await newInstance({ FIXTURE_FILL: "1" });
    const driver = new ExternalDriver("fixture", fixture);
    const configured = await driver.configure(inst);
    const received = JSON.parse(readFileSync(path.join(inst.dir, "fixture-received.json"), "utf8"));
    assert.deepEqual(received, instanceJSON(inst, false));
    const expected = structuredClone(inst);
    expected.config = { ...expected.config, video: { display: "fixture-display" } };
    assert.deepEqual(instanceJSON(configured, false), instanceJSON(expected, false));
    assert.equal(configured.config?.video?.display, "fixture-display");
    const info = await driver.info();
    assert.deepEqual(info, {
      name: "fixture",
      vsockPort: 0,
      virtioPort: "",
      instanceDir: inst.dir,
      features: { dynamicSSHAddress: true, staticSSHPort: false, skipSocketForwarding: false, noCloudInit: false, rosettaEnabled: false, rosettaBinFmt: false, supportedImageFormats: ["raw"] },
    });
    assert.equal(await driver.sshAddress(), "192.0.2.7");
    assert.equal(await driver.forwardGuestAgent(), true);
    await assert.rejects(driver.listSnapshots(), { message: "unimplemented: ListSnapshots" });
    assert.ok(isProcessAlive(pidOf(inst)));
    driver.close();
  });

  it("a driver's error keeps its message", async () => {
    const inst = await newInstance({ FIXTURE_INVALID: "1" });
    const driver = new ExternalDriver("fixture", fixture);
    await driver.configure(inst);
    await assert.rejects(driver.validate(), { message: "fixture: this config cannot run" });
    driver.close();
  });

  it("Start streams runtime errors and ends when the VM exits; a failed start rejects", async () => {
    const inst = await newInstance();
    const driver = new ExternalDriver("fixture", fixture);
    await driver.configure(inst);
    writeFileSync(path.join(inst.dir, "fixture-start"), "errors");
    const vm = await driver.start();
    assert.deepEqual(await collect(vm.errors), ["fixture: runtime error"]);
    writeFileSync(path.join(inst.dir, "fixture-start"), "fail");
    await assert.rejects(driver.start(), { message: "fixture: cannot boot" });
    writeFileSync(path.join(inst.dir, "fixture-start"), "");
    const running = await driver.start();
    await driver.stop();
    assert.deepEqual(await collect(running.errors), []);
    driver.close();
  });

  it("reuses a live server; stopDriverServers stops it and removes its files", async () => {
    const inst = await newInstance();
    const first = new ExternalDriver("fixture", fixture);
    await first.configure(inst);
    const pid = pidOf(inst);
    const second = new ExternalDriver("fixture", fixture);
    await second.configure(inst);
    assert.equal(pidOf(inst), pid);
    first.close();
    second.close();
    await stopDriverServers(inst.dir);
    assert.equal(isProcessAlive(pid), false);
    assert.deepEqual(leftovers(inst), []);
    await first.configure(inst);
    const forced = pidOf(inst);
    assert.notEqual(forced, pid);
    first.close();
    await stopDriverServers(inst.dir, { force: true });
    assert.equal(isProcessAlive(forced), false);
    assert.deepEqual(leftovers(inst), []);
  });

  it("--inspect-status sends the instance and takes back the driver's answer", async () => {
    const inst = await newInstance();
    const before = instanceJSON(inst, false);
    const status = await new ExternalDriver("fixture", fixture).inspectStatus(inst);
    assert.equal(status, "Running");
    assert.deepEqual(instanceJSON(inst, false), { ...before, status: "Running", sshLocalPort: 4242, sshAddress: "192.0.2.7" });
  });

  it("the hello driver example runs", async () => {
    const inst = await newInstance();
    const hello = await tsDriverProgram(path.join(programs, "hello"), "hello", HELLO_DRIVER);
    const driver = new ExternalDriver("hello", hello);
    await driver.configure(inst);
    assert.equal((await driver.info()).name, "hello");
    const vm = await driver.start();
    await driver.stop();
    assert.deepEqual(await collect(vm.errors), []);
    driver.close();
    await stopDriverServers(inst.dir);
    assert.equal(existsSync(path.join(inst.dir, "hello.drv.sock")), false);
  });

  it("a driver killed before Start answers: the error names the program and its log; the next start works", async () => {
    const inst = await newInstance();
    const driver = new ExternalDriver("fixture", fixture);
    await driver.configure(inst);
    writeFileSync(path.join(inst.dir, "fixture-start"), "hang");
    const starting = driver.start();
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pidOf(inst), "SIGKILL");
    await assert.rejects(starting, LOST);
    assert.deepEqual(leftovers(inst), []);
    writeFileSync(path.join(inst.dir, "fixture-start"), "");
    await goodDriverWorks(inst);
  });

  it("a driver killed while the VM runs: the error stream says so and ends", async () => {
    const inst = await newInstance();
    const driver = new ExternalDriver("fixture", fixture);
    await driver.configure(inst);
    const vm = await driver.start();
    process.kill(pidOf(inst), "SIGKILL");
    const errors = await collect(vm.errors);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? "", LOST);
    assert.deepEqual(leftovers(inst), []);
    await goodDriverWorks(inst);
  });

  it("a driver that exits at once: the error quotes its log", async () => {
    const inst = await newInstance();
    const broken = driverProgram(path.join(programs, "exits"), "fixture", "echo 'boom: missing libfixture.so' >&2\nexit 3");
    const err = await new ExternalDriver("fixture", broken).configure(inst).then(() => undefined, (e: Error) => e);
    assert.match(err?.message ?? "", /lima-driver-fixture exited \(exit status 3\) before opening .*fixture\.drv\.sock.*driver\.stderr\.log ends with:\nboom: missing libfixture\.so/s);
    assert.deepEqual(leftovers(inst), []);
    await goodDriverWorks(inst);
  });

  it("a driver that never opens its socket is killed after 10 s", async () => {
    const inst = await newInstance();
    const silent = driverProgram(path.join(programs, "silent"), "fixture", "echo 'waiting for nothing' >&2\nexec sleep 60");
    const started = Date.now();
    const err = await new ExternalDriver("fixture", silent).configure(inst).then(() => undefined, (e: Error) => e);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 10_000 && elapsed < 14_000, `gave up after ${elapsed} ms`);
    assert.match(err?.message ?? "", /lima-driver-fixture did not open .*fixture\.drv\.sock within 10s and was killed; .*driver\.stderr\.log ends with:\nwaiting for nothing/s);
    assert.deepEqual(leftovers(inst), []);
    await goodDriverWorks(inst);
  });

  it("a driver that accepts on its socket but does not speak gRPC: named error, killed, next start works", async () => {
    const inst = await newInstance();
    const script = path.join(programs, "garbage.cjs");
    writeFileSync(
      script,
      `const net = require("node:net"); const path = require("node:path");
       const dir = process.argv[process.argv.indexOf("--inst-dir") + 1];
       net.createServer((c) => { c.on("error", () => {}); c.end("garbage, not HTTP/2\\n"); }).listen(path.join(dir, "fixture.drv.sock"));
       process.stderr.write("garbage server up\\n");`,
    );
    const garbage = driverProgram(path.join(programs, "garbage"), "fixture", `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"`);
    const err = await new ExternalDriver("fixture", garbage).configure(inst).then(() => undefined, (e: Error) => e);
    assert.match(err?.message ?? "", /lima-driver-fixture: Configure: lost the driver .*driver\.stderr\.log ends with:\ngarbage server up/s);
    assert.deepEqual(leftovers(inst), []);
    await goodDriverWorks(inst);
  });

  it("--inspect-status garbage or failure: the error names the program and the log holding its stderr", async () => {
    const inst = await newInstance();
    const garbage = driverProgram(path.join(programs, "inspect-garbage"), "fixture", "cat >/dev/null\necho 'complaint on stderr' >&2\necho 'not JSON at all'");
    await assert.rejects(new ExternalDriver("fixture", garbage).inspectStatus(inst), /lima-driver-fixture --inspect-status wrote a bad answer: .*"not JSON at all.*driver\.stderr\.log ends with:\ncomplaint on stderr/s);
    const failing = driverProgram(path.join(programs, "inspect-fails"), "fixture", "echo 'cannot inspect' >&2\nexit 2");
    await assert.rejects(new ExternalDriver("fixture", failing).inspectStatus(inst), /lima-driver-fixture --inspect-status failed \(exit status 2\).*driver\.stderr\.log ends with:\ncannot inspect/s);
  });
});
