// The QEMU driver (spec: lima-runtime.md §6.1, §6.5): fills QEMU defaults, creates the disk,
// runs `qemu-system-*` in its own process group and stops it through QMP.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { driverDefaultsQEMU, validateQEMUConfig } from "../../config/index.js";
import { isUsernet, loadNetworksConfig } from "../../networks/config.js";
import { usernetSock } from "../../networks/usernet/paths.js";
import { existingLimaVersion, hostOS } from "../../config/host.js";
import { macAddress } from "../../config/mac.js";
import { parseSize } from "../../config/size.js";
import type { Arch, LimaYAML, OS, QEMUOpts } from "../../config/types.js";
import { logger } from "../../log/logger.js";
import { diskDir } from "../../store/dirnames.js";
import { lockDiskForInstance, releaseDiskLocks } from "../../store/disk.js";
import * as filenames from "../../store/filenames.js";
import type { Instance } from "../../store/instance.js";
import { isProcessAlive, readPidFile } from "../../store/pidfile.js";
import { LimaError, errorMessage, isErrno } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import type { SemVer } from "../../version.js";
import { type Driver, type DriverInfo, type GuestAgentConnection, NoDisplayError, type ScreenshotFormat, type StartedVM, type StopOptions } from "../driver.js";
import { Channel } from "../../util/channel.js";
import { checkCPUModel, chooseAccel, resolveCPUModel } from "./accel.js";
import { FD_CONNECT_PATTERN, type QemuArgsInput, type QemuMountInput, type QemuNetworkInput, VIRTIO_PORT, buildQemuCommandLine } from "./cmdline.js";
import { SUPPORTED_IMAGE_FORMATS, ensureDisk } from "./disk.js";
import { effectiveLegacyBIOS, resolveFirmware, usesNoFirmware } from "./firmware.js";
import { QMPError, humanMonitorCommand, qmpExecute } from "./qmp.js";
import { ppmToBMP } from "./screendump.js";
import { checkQemuVersion, inspectFeatures, minimumQemuVersion, qemuExecutable, qemuMachine, qemuVersion } from "./version.js";
import { VirtiofsDaemons, findVirtiofsd, virtiofsdUnusable } from "./virtiofsd.js";
import { pathExists } from "../../util/fsutil.js";
import { sleep } from "../../util/sleep.js";

const execFileAsync = promisify(execFile);

export const DEFAULT_STOP_TIMEOUT_MS = 3 * 60_000;
/**
 * A guest that is still booting drops a power-button press (nothing listens yet), so the button
 * is pressed again at this pace until the guest powers off or the stop times out.
 */
const DEFAULT_POWERDOWN_REPEAT_MS = 10_000;
const PID_FILE_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
const STDERR_TAIL_LINES = 20;
/** A screendump of a large display under TCG takes a moment; QEMU answers once the file is written. */
const SCREENDUMP_TIMEOUT_MS = 30_000;

export interface QemuDriverOptions {
  /** Graceful shutdown deadline before SIGKILL (Lima: 3 min). */
  stopTimeoutMs?: number;
  /** Pause between power-button presses while the guest has not powered off. */
  powerdownRepeatMs?: number;
  /** How long start() waits for QEMU to write `qemu.pid`, and again for it to answer on QMP. */
  pidFileTimeoutMs?: number;
  /** Environment for `QEMU_SYSTEM_*` and `LIMA_QEMU_ACCEL` (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Directory of `qemu-accel.json` (default limaCacheDir()). */
  cacheDir?: string;
}

/** A QEMU process: our child, or one found through `qemu.pid`. */
interface VMProcess {
  pid: number;
  child?: ChildProcess;
  /** Resolves with a description of how it ended. */
  ended: Promise<string>;
  stopping: boolean;
  stderrTail: string[];
}

const warnedOnce = new Set<string>();

function warnOnce(message: string): void {
  if (warnedOnce.has(message)) return;
  warnedOnce.add(message);
  logger.warn(message);
}

/** Go's time.Duration String() for whole milliseconds (`3m0s`, `1.5s`, `200ms`). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** The promise's value, or undefined once `ms` have passed. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Sends system_powerdown; returns the error instead of throwing. */
async function pressPowerButton(qmpSock: string, again: boolean): Promise<unknown> {
  logger.info(`Sending QMP system_powerdown command${again ? " again (a booting guest may have missed it)" : ""}`);
  try {
    await qmpExecute(qmpSock, "system_powerdown");
    return undefined;
  } catch (err) {
    if (again) logger.debug("failed to send system_powerdown again", { error: err });
    return err;
  }
}

export class QemuDriver implements Driver {
  private inst?: Instance;
  private vm?: VMProcess;
  private virtiofsd?: VirtiofsDaemons;

  constructor(private readonly options: QemuDriverOptions = {}) {}

  async info(): Promise<DriverInfo> {
    const info: DriverInfo = { name: "qemu", vsockPort: 0, virtioPort: this.virtioPort(), features: {
      canRunGui: false,
      dynamicSSHAddress: false,
      staticSSHPort: false,
      skipSocketForwarding: false,
      noCloudInit: false,
      rosettaEnabled: false,
      rosettaBinFmt: false,
      supportedImageFormats: [...SUPPORTED_IMAGE_FORMATS],
    } };
    if (this.inst?.dir) info.instanceDir = this.inst.dir;
    return info;
  }

  /** virtserialport is unreliable, so it is only used where unix socket forwarding is unavailable. */
  private virtioPort(): string {
    return process.platform === "win32" ? VIRTIO_PORT : "";
  }

  async configure(inst: Instance): Promise<Instance> {
    inst.config ??= {};
    await this.fillConfig(inst.config, path.join(inst.dir, filenames.LimaYAML));
    this.inst = inst;
    return inst;
  }

  async fillConfig(config: LimaYAML, filePath: string): Promise<void> {
    driverDefaultsQEMU(config, existingLimaVersion(path.dirname(filePath)), hostOS());
    validateQEMUConfig(config, hostOS());
  }

  async validate(): Promise<void> {
    const config = this.config();
    validateQEMUConfig(config, hostOS());
    const arch = this.arch();
    try {
      qemuExecutable(arch, this.env());
    } catch (err) {
      throw new LimaError(`failed to find the QEMU binary for the architecture ${q(arch)}: ${(err as Error).message}`, { cause: err });
    }
  }

  async create(): Promise<void> {}

  async createDisk(): Promise<void> {
    const inst = this.instance();
    await ensureDisk(inst.dir, this.diskBytes(), inst.name);
  }

  async start(): Promise<StartedVM> {
    const inst = this.instance();
    const config = this.config();
    if (config.ssh?.overVsock) logger.warn(".ssh.overVsock is not implemented yet for QEMU driver");
    await this.refuseRunningPidFile();
    try {
      return await this.launch();
    } catch (err) {
      // No QEMU runs with the additional disks: they must not stay locked for a VM that never ran.
      releaseDiskLocks(inst);
      throw err;
    }
  }

  private async launch(): Promise<StartedVM> {
    const inst = this.instance();
    const config = this.config();
    const input = await this.gatherArgsInput();
    const { args, warnings } = buildQemuCommandLine(input);
    for (const warning of warnings) logger.warn(warning);
    await removeStaleFiles(inst.dir);
    const { exe } = qemuExecutable(this.arch(), this.env());
    await this.startVirtiofsd(exe, input);
    let vm: VMProcess;
    try {
      const { args: finalArgs, sockets } = await resolveFdPlaceholders(args);
      logger.info(`Starting QEMU (hint: to watch the boot progress, see ${q(path.join(inst.dir, "serial*.log"))})`);
      logger.debug(`qCmd.Args: [${[exe, ...finalArgs].join(" ")}]`);
      vm = spawnQemu(exe, finalArgs, sockets);
    } catch (err) {
      await this.stopVirtiofsd();
      throw err;
    }
    this.vm = vm;
    // However QEMU ends (powered off, killed, crashed), its virtiofsd processes and sockets go with it.
    vm.ended = vm.ended.then(async (how) => {
      await this.stopVirtiofsd();
      return how;
    });
    await this.waitForPidFile(vm);
    await this.waitForQMP(vm);
    if (input.os === "Windows" && !(config.firmware?.legacyBIOS ?? false)) void this.sendEnter();
    const errors = new Channel<Error>();
    void vm.ended.then((how) => {
      if (!vm.stopping) errors.push(new LimaError(`QEMU exited unexpectedly (${how})${stderrSuffix(vm)}`));
      errors.close();
    });
    return { errors };
  }

  async stop(options: StopOptions = {}): Promise<void> {
    const vm = this.vm ?? this.adoptRunningVM();
    if (!vm) {
      await this.stopVirtiofsd();
      return;
    }
    vm.stopping = true;
    if (options.force) {
      logger.info("Killing QEMU: the guest has not run yet");
      await this.killVM(vm);
      return;
    }
    logger.info("Shutting down QEMU with the power button");
    const qmpSock = this.qmpSocket();
    const firstError = await pressPowerButton(qmpSock, false);
    if (firstError !== undefined) {
      const what = firstError instanceof QMPError ? "failed to send system_powerdown command via" : "failed to connect to";
      logger.warn(`${what} the QMP socket ${q(qmpSock)}, forcibly killing QEMU`, { error: firstError });
      await this.killVM(vm);
      return;
    }
    const timeoutMs = this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const repeatMs = this.options.powerdownRepeatMs ?? DEFAULT_POWERDOWN_REPEAT_MS;
    while ((await withTimeout(vm.ended, Math.max(0, Math.min(repeatMs, deadline - Date.now())))) === undefined) {
      if (Date.now() >= deadline) {
        logger.warn(`QEMU did not exit in ${goDuration(timeoutMs)}, forcibly killing QEMU`);
        await this.killVM(vm);
        return;
      }
      // A failure here is QEMU closing QMP as it exits; the next wait tells.
      await pressPowerButton(qmpSock, true);
    }
    logger.info("QEMU has exited");
    await this.removeVNCFiles();
  }

  async delete(): Promise<void> {}

  async inspectStatus(): Promise<string> {
    return "";
  }

  async bootScripts(): Promise<Record<string, Uint8Array>> {
    return {};
  }

  async runGUI(): Promise<void> {}

  async changeDisplayPassword(password: string): Promise<void> {
    const qmpSock = this.qmpSocket();
    await qmpExecute(qmpSock, "change-vnc-password", { password });
  }

  async displayConnection(): Promise<string> {
    const info = (await qmpExecute(this.qmpSocket(), "query-vnc")) as { service?: string } | undefined;
    return info?.service ?? "";
  }

  async createSnapshot(tag: string): Promise<void> {
    await this.snapshotCommand("savevm", "-c", tag);
  }

  async applySnapshot(tag: string): Promise<void> {
    await this.snapshotCommand("loadvm", "-a", tag);
  }

  async deleteSnapshot(tag: string): Promise<void> {
    await this.snapshotCommand("delvm", "-d", tag);
  }

  async listSnapshots(): Promise<string> {
    if (this.isRunning()) {
      const out = await this.hmp("info", "snapshots");
      return out.replaceAll("\r", "").replace("List of snapshots present on all disks:\n", "").replace("There is no snapshot available.\n", "");
    }
    return (await this.qemuImgSnapshot("-l")).replace("Snapshot list:\n", "");
  }

  /** QMP `screendump` into the instance directory; BMP is converted from QEMU's PPM. */
  async captureScreenshot(format: ScreenshotFormat): Promise<Uint8Array> {
    if ((this.config().video?.display ?? "none") === "none") {
      throw new NoDisplayError(' (set video.display to "vnc" or "default" to enable screenshots)');
    }
    const dumpFormat = format === "png" ? "png" : "ppm";
    const file = path.join(this.instance().dir, `screenshot.${process.pid}.${dumpFormat}`);
    try {
      await qmpExecute(this.qmpSocket(), "screendump", { filename: file, format: dumpFormat }, { replyTimeoutMs: SCREENDUMP_TIMEOUT_MS });
      const data = await readFile(file);
      return format === "bmp" ? ppmToBMP(data) : data;
    } finally {
      await rm(file, { force: true });
    }
  }

  async forwardGuestAgent(): Promise<boolean> {
    return this.virtioPort() === "";
  }

  async guestAgentConn(): Promise<GuestAgentConnection | undefined> {
    return undefined;
  }

  async sshAddress(): Promise<string> {
    return "127.0.0.1";
  }

  async additionalSetupForSSH(): Promise<void> {}

  // --- helpers ---

  private instance(): Instance {
    if (!this.inst) throw new LimaError("internal error: the QEMU driver is not configured");
    return this.inst;
  }

  private config(): LimaYAML {
    return this.instance().config ?? {};
  }

  private arch(): Arch {
    return (this.config().arch ?? this.instance().arch) as Arch;
  }

  private env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private diskBytes(): number {
    return this.instance().disk ?? parseSize(this.config().disk ?? "100GiB");
  }

  private isRunning(): boolean {
    return this.instance().status === "Running";
  }

  private async gatherArgsInput(): Promise<QemuArgsInput> {
    const inst = this.instance();
    const config = this.config();
    const arch = this.arch();
    const env = this.env();
    const { exe, args: leadingArgs } = qemuExecutable(arch, env);
    const features = await inspectFeatures(exe, qemuMachine(arch));
    const version = await detectVersion(exe, (config.vmOpts?.qemu as QEMUOpts | undefined)?.minimumVersion);
    const choice = await chooseAccel({
      arch, exe, qemuVersion: version, accelHelp: features.accelHelp,
      hardwareCPUModel: resolveCPUModel(config, arch, "kvm"), env, cacheDir: this.options.cacheDir,
    });
    if (choice.warning) warnOnce(choice.warning);
    const cpuModel = resolveCPUModel(config, arch, choice.accel);
    checkCPUModel(cpuModel, features.cpuHelp, exe);
    const legacyBIOS = effectiveLegacyBIOS(arch, config.firmware?.legacyBIOS ?? false);
    const firmware = usesNoFirmware(arch, legacyBIOS) ? undefined : await resolveFirmware(inst.dir, config, exe, arch);
    const mountType = config.mountType ?? "reverse-sshfs";
    if (config.tpm) throw new LimaError("`tpm` (swtpm) is not implemented yet by this QEMU driver");
    const mounts = await this.mountInputs(mountType);
    const file = (name: string): boolean => existsSync(path.join(inst.dir, name));
    return {
      name: inst.name,
      instDir: inst.dir,
      arch,
      os: (config.os ?? "Linux") as OS,
      hostPlatform: process.platform,
      leadingArgs,
      qemuVersion: version,
      memoryBytes: inst.memory ?? parseSize(config.memory ?? "4GiB"),
      cpus: inst.cpus ?? config.cpus ?? 4,
      cpuModel,
      accel: choice.accel,
      firmware,
      files: {
        disk: file(filenames.Disk), iso: file(filenames.ISO), kernel: file(filenames.Kernel), initrd: file(filenames.Initrd),
        virtioWin: file("virtio-win"), winDoneInstallation: file("win-done-installation"),
      },
      kernelCmdline: readOptional(path.join(inst.dir, filenames.KernelCmdline)),
      additionalDisks: await this.lockAdditionalDisks(),
      tpm: false,
      sshAddress: inst.sshAddress ?? "127.0.0.1",
      sshLocalPort: inst.sshLocalPort ?? config.ssh?.localPort ?? 0,
      macAddress: macAddress(inst.dir),
      networks: this.networkInputs(),
      audio: { device: config.audio?.device ?? "", interface: config.audio?.interface ?? "" },
      display: config.video?.display ?? "none",
      vncDisplay: config.video?.vnc?.display,
      mountType,
      mounts,
      virtioGA: this.virtioPort() !== "",
    };
  }

  private async mountInputs(mountType: string): Promise<QemuMountInput[]> {
    if (mountType !== "9p" && mountType !== "virtiofs") return [];
    const mounts: QemuMountInput[] = [];
    for (const m of this.config().mounts ?? []) {
      await mkdir(m.location, { recursive: true, mode: 0o755 });
      mounts.push({
        location: m.location, mountPoint: m.mountPoint ?? m.location, writable: m.writable ?? false,
        securityModel: m["9p"]?.securityModel, queueSize: m.virtiofs?.queueSize,
      });
    }
    return mounts;
  }

  /** One virtiofsd per mount, serving before QEMU connects to it. */
  private async startVirtiofsd(qemuExe: string, input: QemuArgsInput): Promise<void> {
    if (input.mountType !== "virtiofs" || input.mounts.length === 0) return;
    const virtiofsd = await findVirtiofsd(qemuExe);
    const unusable = virtiofsdUnusable(virtiofsd, process.geteuid?.() ?? 0, path.join(input.instDir, filenames.LimaYAML));
    if (unusable !== undefined) throw new LimaError(unusable);
    logger.info(`Starting virtiofsd ${q(virtiofsd.binary)} (${virtiofsd.version}) for ${input.mounts.length} mount(s)`);
    const daemons = new VirtiofsDaemons(input.instDir);
    this.virtiofsd = daemons;
    await daemons.start(virtiofsd, input.mounts);
  }

  private async stopVirtiofsd(): Promise<void> {
    const daemons = this.virtiofsd;
    this.virtiofsd = undefined;
    await daemons?.stop();
  }

  private networkInputs(): QemuNetworkInput[] {
    return (this.config().networks ?? []).map((nw, i): QemuNetworkInput => {
      if (nw.lima) return limaNetworkInput(nw.lima, nw.macAddress ?? "");
      if (nw.socket) return { kind: "socket", socketPath: nw.socket, macAddress: nw.macAddress ?? "" };
      throw new LimaError(`invalid network spec networks[${i}]: ${JSON.stringify(nw)}`);
    });
  }

  /** Locks each additional disk for this instance (`_disks/<name>/in_use_by` -> `$INST`). */
  private async lockAdditionalDisks(): Promise<string[]> {
    const instDir = this.instance().dir;
    const disks: string[] = [];
    for (const d of this.config().additionalDisks ?? []) {
      const dataDisk = path.join(diskDir(d.name), filenames.DataDisk);
      try {
        await stat(dataDisk);
      } catch (err) {
        throw new LimaError(`could not load disk ${q(d.name)}: ${(err as Error).message}`, { cause: err });
      }
      logger.info(`Mounting disk ${q(d.name)} on ${q(`/mnt/lima-${d.name}`)}`);
      try {
        lockDiskForInstance(d.name, instDir);
      } catch (err) {
        throw new LimaError(`could not attach disk ${q(d.name)}: ${errorMessage(err)}`, { cause: err });
      }
      disks.push(dataDisk);
    }
    return disks;
  }

  /** QEMU refuses a locked pid file; an unlocked stale one would fool waitForPidFile. */
  private async refuseRunningPidFile(): Promise<void> {
    const pidFile = path.join(this.instance().dir, filenames.pidFile("qemu"));
    const pid = readPidFile(pidFile);
    if (pid !== 0) throw new LimaError(`QEMU is already running for this instance (pid ${pid}, ${q(pidFile)})`);
  }

  private async waitForPidFile(vm: VMProcess): Promise<void> {
    const pidFile = path.join(this.instance().dir, filenames.pidFile("qemu"));
    const deadline = Date.now() + (this.options.pidFileTimeoutMs ?? PID_FILE_TIMEOUT_MS);
    let ended: string | undefined;
    void vm.ended.then((how) => (ended = how));
    while (!(await pathExists(pidFile))) {
      if (ended !== undefined) throw new LimaError(`QEMU exited before writing ${q(pidFile)} (${ended})${stderrSuffix(vm)}`);
      if (Date.now() > deadline) {
        await this.killVM(vm);
        throw new LimaError(`timeout waiting for ${pidFile}`);
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * QEMU writes `qemu.pid` before it opens the disks and builds the machine, so a QEMU that is about
   * to fail (a missing cidata.iso) can look started. Its QMP monitor answers only from the main
   * loop on, once the machine exists: that is when the VM runs.
   */
  private async waitForQMP(vm: VMProcess): Promise<void> {
    const qmpSock = this.qmpSocket();
    const deadline = Date.now() + (this.options.pidFileTimeoutMs ?? PID_FILE_TIMEOUT_MS);
    let ended: string | undefined;
    void vm.ended.then((how) => (ended = how));
    for (;;) {
      const answered = await qmpExecute(qmpSock, "query-status").then(
        () => true,
        () => false,
      );
      if (ended !== undefined) throw new LimaError(`QEMU exited while starting (${ended})${stderrSuffix(vm)}`);
      if (answered) return;
      if (Date.now() > deadline) {
        await this.killVM(vm);
        throw new LimaError(`timeout waiting for QEMU to answer on ${qmpSock}${stderrSuffix(vm)}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** A QEMU started by another process (e.g. a previous host agent), known only by `qemu.pid`. */
  private adoptRunningVM(): VMProcess | undefined {
    const pid = readPidFile(path.join(this.instance().dir, filenames.pidFile("qemu")));
    if (pid === 0) return undefined;
    const ended = (async (): Promise<string> => {
      while (isProcessAlive(pid)) await sleep(POLL_MS);
      return "exited";
    })();
    return { pid, ended, stopping: false, stderrTail: [] };
  }

  private async killVM(vm: VMProcess): Promise<void> {
    try {
      process.kill(vm.pid, "SIGKILL");
    } catch (err) {
      if (!isErrno(err, "ESRCH")) logger.warn("failed to kill QEMU", { error: err });
    }
    const how = await vm.ended;
    logger.info("QEMU has exited, after killing forcibly", { error: how });
    await rm(path.join(this.instance().dir, filenames.pidFile("qemu")), { force: true });
    await this.removeVNCFiles();
  }

  private async removeVNCFiles(): Promise<void> {
    const dir = this.instance().dir;
    await rm(path.join(dir, "vncdisplay"), { force: true });
    await rm(path.join(dir, "vncpassword"), { force: true });
  }

  /** start() returns only once QEMU answers here (waitForQMP), so no caller needs to wait for it. */
  private qmpSocket(): string {
    return path.join(this.instance().dir, filenames.QMPSock);
  }

  /** Presses Enter a few times so the Windows installer ISO boots ("Press any key"). */
  private async sendEnter(): Promise<void> {
    const key = (down: boolean): Record<string, unknown> => ({ type: "key", data: { down, key: { type: "qcode", data: "ret" } } });
    try {
      const qmpSock = this.qmpSocket();
      for (let i = 0; i < 5; i++) {
        await qmpExecute(qmpSock, "input-send-event", { events: [key(true), key(false)] });
        await sleep(1000);
      }
    } catch (err) {
      logger.error("failed to send a keypress event", { error: err });
    }
  }

  private async hmp(command: string, tag: string): Promise<string> {
    logger.info(`Sending HMP ${command} command`);
    return humanMonitorCommand(this.qmpSocket(), `${command} ${tag}`);
  }

  private async qemuImgSnapshot(flag: string, tag?: string): Promise<string> {
    const args = ["snapshot", flag, ...(tag === undefined ? [] : [tag]), path.join(this.instance().dir, filenames.Disk)];
    logger.debug(`Running qemu-img [${args.join(" ")}] command`);
    try {
      return (await execFileAsync("qemu-img", args)).stdout;
    } catch (err) {
      const e = err as { stderr?: string; code?: number };
      throw new LimaError(`${(e.stderr ?? "").trim() || (err as Error).message}`, { cause: err });
    }
  }

  private async snapshotCommand(hmpCommand: string, qemuImgFlag: string, tag: string): Promise<void> {
    if (!this.isRunning()) {
      await this.qemuImgSnapshot(qemuImgFlag, tag);
      return;
    }
    // HMP reports problems as text, even when the command "succeeds"
    const out = await this.hmp(hmpCommand, tag);
    if (out !== "") logger.warn(`output: ${out.trim()}`);
  }
}

async function detectVersion(exe: string, templateMinimum: string | undefined): Promise<SemVer> {
  let version: SemVer;
  try {
    version = await qemuVersion(exe);
  } catch (err) {
    logger.warn("Failed to detect QEMU version", { error: err });
    return { major: 0, minor: 0, patch: 0 };
  }
  const warning = checkQemuVersion(version, minimumQemuVersion(), templateMinimum);
  if (warning) logger.warn(warning);
  return version;
}

/**
 * A `lima:` network's NIC. A user-v2 network is the network's switch socket (its daemon runs
 * before QEMU, see src/networks/reconcile.ts); unlike Lima, net0 stays slirp (SSH, DNS, internet)
 * because lima-ts's user-v2 network is a plain switch without a router. The other modes are
 * socket_vmnet, macOS-only in Lima.
 */
function limaNetworkInput(name: string, macAddress: string): QemuNetworkInput {
  if (isUsernet(loadNetworksConfig(), name)) return { kind: "socket", socketPath: usernetSock(name, "qemu"), macAddress };
  throw new LimaError(`networks.yaml '${name}' configuration is only supported on macOS right now`);
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Serial logs/sockets and the QMP socket of a previous run. */
async function removeStaleFiles(instDir: string): Promise<void> {
  const stale = [
    filenames.SerialSock, filenames.SerialLog, filenames.SerialPCISock, filenames.SerialPCILog,
    filenames.SerialVirtioSock, filenames.SerialVirtioLog, filenames.QMPSock,
  ];
  await Promise.all(stale.map((name) => rm(path.join(instDir, name), { force: true })));
}

/** Replaces `{{ fd_connect "PATH" }}` with the FD number of a connection to PATH (3, 4, ...). */
async function resolveFdPlaceholders(args: string[]): Promise<{ args: string[]; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const resolved: string[] = [];
  for (const arg of args) {
    let out = arg;
    for (const match of [...arg.matchAll(FD_CONNECT_PATTERN)]) {
      const socketPath = JSON.parse(match[1] as string) as string;
      sockets.push(await connectUnix(socketPath));
      out = out.replace(match[0], String(2 + sockets.length));
    }
    resolved.push(out);
  }
  return { args: resolved, sockets };
}

function connectUnix(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once("connect", () => resolve(socket));
    socket.once("error", (err) => reject(new LimaError(`fd_connect: dial unix ${socketPath}: ${err.message}`, { cause: err })));
  });
}

function stderrSuffix(vm: VMProcess): string {
  return vm.stderrTail.length > 0 ? `: ${vm.stderrTail.join("\n")}` : "";
}

function pipeToDebugLog(stream: NodeJS.ReadableStream | null, header: string, tail?: string[]): void {
  if (!stream) return;
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      logger.debug(`${header}: ${line}`);
      if (!tail) continue;
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    }
  });
}

/** QEMU in its own process group, so a Ctrl-C in the user's terminal does not reach it. */
function spawnQemu(exe: string, args: string[], sockets: net.Socket[]): VMProcess {
  const child = spawn(exe, args, { detached: true, stdio: ["ignore", "pipe", "pipe", ...sockets] });
  const vm: VMProcess = { pid: child.pid ?? 0, child, stopping: false, stderrTail: [], ended: Promise.resolve("") };
  vm.ended = new Promise((resolve) => {
    child.once("error", (err) => resolve(err.message));
    child.once("exit", (code, signal) => resolve(signal ? `signal: ${signal === "SIGKILL" ? "killed" : signal}` : `exit status ${code}`));
  });
  // the child holds its own copies of the connected FDs
  child.once("spawn", () => sockets.forEach((s) => s.destroy()));
  pipeToDebugLog(child.stdout, "qemu[stdout]");
  pipeToDebugLog(child.stderr, "qemu[stderr]", vm.stderrTail);
  return vm;
}
