// The libvirt driver: the instance runs as a libvirt domain (QEMU under libvirtd, locally or on
// another host), managed through virsh. The disk is made as for the QEMU driver; the host agent
// generates cidata.iso before start() and reaches SSH through slirp's forwarded port.
import { stat, rm } from "node:fs/promises";
import path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { parseSize } from "../../config/size.js";
import { macAddress } from "../../config/mac.js";
import type { LimaYAML } from "../../config/types.js";
import { logger } from "../../log/logger.js";
import * as filenames from "../../store/filenames.js";
import type { Instance, Status } from "../../store/instance.js";
import { Channel } from "../../util/channel.js";
import { LimaError, errorMessage } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { sleep } from "../../util/sleep.js";
import { type CallOptions, type DriverInfo, NotImplementedError, type StartedVM, type StopOptions } from "../driver.js";
import { DriverBase } from "../sdk/base.js";
import { detectImageFormat, ensureDisk } from "../qemu/disk.js";
import { type DiskSource, type DomainSpec, buildDomainXML } from "./domainxml.js";
import { type Connection, type LibvirtOpts, domainName, domainUUID, formatSnapshotList, isActiveState, libvirtOpts, parseConnection, statusOfDomain } from "./options.js";
import { Virsh, isNoDomain, virshMessage } from "./virsh.js";

export const DRIVER_NAME = "libvirt";
/** How often a running domain's state is polled (its end ends start()'s error stream). */
const DOMSTATE_POLL_MS = 1000;
/** A lost connection is reported after this many failed polls in a row. */
const MAX_FAILED_POLLS = 30;
/** As the QEMU driver: the guest gets 3 minutes to power off before the domain is destroyed. */
const STOP_TIMEOUT_MS = 3 * 60_000;
/** A booting guest may miss the power button; it is pressed again at this pace. */
const SHUTDOWN_REPEAT_MS = 10_000;
/** The storage pool of a remote connection when lima.yaml names none. */
const DEFAULT_REMOTE_POOL = "default";
const MOUNT_TYPES: readonly string[] = ["reverse-sshfs"];
const ARCHES: readonly string[] = ["x86_64", "aarch64"];

/** Instance files a domain uses; uploaded as volumes when they must reach another host. */
type InstanceFile = typeof filenames.Disk | typeof filenames.ISO | typeof filenames.CIDataISO | typeof filenames.Kernel | typeof filenames.Initrd;

export class LibvirtDriver extends DriverBase {
  private connection?: Connection;
  /** Set by stop(): the domain's end is then expected, not an error. */
  private stopping = false;

  async info(): Promise<DriverInfo> {
    const info: DriverInfo = {
      name: DRIVER_NAME, vsockPort: 0, virtioPort: "",
      features: {
        // the domain may run on another host: the host agent asks sshAddress() once it runs
        dynamicSSHAddress: true,
        staticSSHPort: false,
        skipSocketForwarding: false,
        noCloudInit: false,
        rosettaEnabled: false,
        rosettaBinFmt: false,
        supportedImageFormats: ["qcow2", "raw"],
      },
    };
    if (this.instance?.dir) info.instanceDir = this.instance.dir;
    return info;
  }

  override async configure(inst: Instance): Promise<Instance> {
    const config: LimaYAML = inst.config ?? {};
    config.vmType ??= DRIVER_NAME;
    if (config.mountType === undefined || (config.mountType as string) === "" || (config.mountType as string) === "default") config.mountType = "reverse-sshfs";
    inst.config = config;
    this.instance = inst;
    this.connection = undefined;
    return inst;
  }

  override async validate(): Promise<void> {
    const config = this.config();
    const where = path.join(this.inst.dir, filenames.LimaYAML);
    libvirtOpts(config);
    const arch = config.arch ?? this.inst.arch;
    if (!ARCHES.includes(arch)) throw new LimaError(`${where}: field \`arch\`: the libvirt driver runs ${ARCHES.join(" and ")} guests, got ${q(arch)}`);
    if (config.mountType !== undefined && !MOUNT_TYPES.includes(config.mountType)) {
      throw new LimaError(`${where}: field \`mountType\` must be \`reverse-sshfs\` for the libvirt driver, got ${q(config.mountType)}`);
    }
    if ((config.additionalDisks ?? []).length > 0) throw new LimaError(`${where}: field \`additionalDisks\` is not supported by the libvirt driver yet; remove it`);
    if ((config.networks ?? []).length > 0) throw new LimaError(`${where}: field \`networks\` is not supported by the libvirt driver; use \`vmOpts.libvirt.network\` to add a NIC on a libvirt network`);
    if (config.os !== undefined && config.os !== "Linux") throw new LimaError(`${where}: field \`os\`: the libvirt driver runs Linux guests, got ${q(config.os)}`);
    await this.virsh().run(["version"]);
  }

  override async createDisk(): Promise<void> {
    const inst = this.inst;
    await ensureDisk(inst.dir, inst.disk ?? parseSize(this.config().disk ?? "100GiB"), inst.name);
  }

  async start(options: CallOptions = {}): Promise<StartedVM> {
    const name = this.domainName();
    const virsh = this.virsh();
    const state = await this.domainState(options.signal);
    if (state !== undefined && isActiveState(state)) {
      throw new LimaError(`libvirt domain ${q(name)} is already running on ${(await this.conn()).uri} (${state}); stop it with \`virsh destroy ${name}\``);
    }
    const spec = await this.domainSpec(options.signal);
    if (spec.serialLog !== undefined) await rm(spec.serialLog, { force: true });
    await virsh.runWithXML("define", buildDomainXML(spec), [], options.signal);
    const hint = spec.serialLog !== undefined ? `see ${q(spec.serialLog)}` : `run \`virsh -c ${(await this.conn()).uri} console ${name}\``;
    logger.info(`Starting libvirt domain ${q(name)} on ${(await this.conn()).uri} (hint: to watch the boot progress, ${hint})`);
    await virsh.run(["start", name], options.signal);
    this.stopping = false;
    const errors = new Channel<Error>();
    void this.watch(errors);
    return { errors };
  }

  async stop(options: StopOptions = {}): Promise<void> {
    this.stopping = true;
    const name = this.domainName();
    const virsh = this.virsh();
    if (!isActiveState((await this.domainState(options.signal)) ?? "shut off")) return;
    if (options.force) {
      logger.info(`Destroying libvirt domain ${q(name)}: the guest has not run yet`);
      await this.destroy();
      return;
    }
    logger.info(`Shutting down libvirt domain ${q(name)} (ACPI power button)`);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    let pressedAt = 0;
    while (Date.now() < deadline) {
      if (options.signal?.aborted) break;
      if (Date.now() - pressedAt >= SHUTDOWN_REPEAT_MS) {
        pressedAt = Date.now();
        const res = await virsh.tryRun(["shutdown", "--mode", "acpi", name]);
        if (res.code !== 0) logger.debug(`virsh shutdown: ${virshMessage(res)}`);
      }
      await sleep(DOMSTATE_POLL_MS, options.signal);
      if (!isActiveState((await this.domainState()) ?? "shut off")) {
        logger.info(`libvirt domain ${q(name)} has shut off`);
        return;
      }
    }
    logger.warn(`libvirt domain ${q(name)} did not shut off in ${STOP_TIMEOUT_MS / 1000}s, destroying it`);
    await this.destroy();
  }

  override async delete(options: CallOptions = {}): Promise<void> {
    const name = this.domainName();
    const virsh = this.virsh();
    const state = await this.domainState(options.signal);
    if (state !== undefined) {
      if (isActiveState(state)) await this.destroy();
      const undefineArgs = ["undefine", name, "--snapshots-metadata", "--managed-save", ...(this.firmware() === "efi" ? ["--nvram"] : [])];
      await virsh.run(undefineArgs, options.signal);
      logger.info(`Undefined libvirt domain ${q(name)}`);
    }
    const pool = await this.pool();
    if (pool === undefined) return;
    for (const file of [filenames.Disk, filenames.ISO, filenames.CIDataISO, filenames.Kernel, filenames.Initrd] as const) {
      const res = await virsh.tryRun(["vol-delete", "--pool", pool, this.volumeName(file)]);
      if (res.code === 0) logger.info(`Deleted volume ${q(this.volumeName(file))} from storage pool ${q(pool)}`);
    }
  }

  override async inspectStatus(inst: Instance, options: CallOptions = {}): Promise<string> {
    if (!this.instance) await this.configure(inst);
    let state: string | undefined;
    try {
      state = await this.domainState(options.signal);
    } catch (err) {
      inst.errors = [...(inst.errors ?? []), errorMessage(err)];
      return "Broken" satisfies Status;
    }
    const status = statusOfDomain(state);
    if (status === "Running") inst.sshAddress = await this.sshAddress();
    return status;
  }

  override async changeDisplayPassword(): Promise<void> {
    throw new NotImplementedError("the libvirt driver has no display password (use `virsh domdisplay`)");
  }

  override async displayConnection(): Promise<string> {
    return "";
  }

  override async createSnapshot(tag: string, options: CallOptions = {}): Promise<void> {
    await this.virsh().run(["snapshot-create-as", this.domainName(), tag], options.signal);
  }

  override async applySnapshot(tag: string, options: CallOptions = {}): Promise<void> {
    await this.virsh().run(["snapshot-revert", this.domainName(), tag], options.signal);
  }

  override async deleteSnapshot(tag: string, options: CallOptions = {}): Promise<void> {
    await this.virsh().run(["snapshot-delete", this.domainName(), tag], options.signal);
  }

  override async listSnapshots(options: CallOptions = {}): Promise<string> {
    return formatSnapshotList(await this.virsh().run(["snapshot-list", this.domainName()], options.signal));
  }

  override async sshAddress(): Promise<string> {
    const opts = this.opts();
    if (opts.sshAddress !== undefined) return opts.sshAddress;
    const conn = await this.conn();
    return conn.remote && conn.host !== undefined ? conn.host : "127.0.0.1";
  }

  // --- helpers ---

  private config(): LimaYAML {
    return this.inst.config ?? {};
  }

  private opts(): LibvirtOpts {
    return libvirtOpts(this.config());
  }

  private virsh(): Virsh {
    return new Virsh(this.opts().uri);
  }

  private domainName(): string {
    const inst = this.inst;
    return domainName(inst.name, inst.dir);
  }

  private volumeName(file: InstanceFile): string {
    return `${this.domainName()}-${file}`;
  }

  private firmware(): "bios" | "efi" {
    return this.config().firmware?.legacyBIOS ? "bios" : "efi";
  }

  /** The connection's facts, from the configured URI or the one libvirt picks (`virsh uri`). */
  private async conn(): Promise<Connection> {
    this.connection ??= parseConnection(this.opts().uri ?? (await this.virsh().run(["uri"])).trim());
    return this.connection;
  }

  /** The storage pool files are uploaded to, or undefined when the domain uses the instance's files in place. */
  private async pool(): Promise<string | undefined> {
    const pool = this.opts().pool;
    if (pool !== undefined) return pool;
    return (await this.conn()).remote ? DEFAULT_REMOTE_POOL : undefined;
  }

  /** `virsh domstate --reason`, or undefined when the domain is not defined. */
  private async domainState(signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.virsh().tryRun(["domstate", "--reason", this.domainName()], signal);
    if (isNoDomain(res)) return undefined;
    if (res.code !== 0) throw new LimaError(`failed to get the state of libvirt domain ${q(this.domainName())}: ${virshMessage(res)}`);
    return res.stdout.trim();
  }

  private async destroy(): Promise<void> {
    const res = await this.virsh().tryRun(["destroy", this.domainName()]);
    if (res.code !== 0 && isActiveState((await this.domainState()) ?? "shut off")) {
      throw new LimaError(`failed to destroy libvirt domain ${q(this.domainName())}: ${virshMessage(res)}`);
    }
  }

  /** Polls the domain until it is no longer active; its end closes the stream, an unexpected end is an error first. */
  private async watch(errors: Channel<Error>): Promise<void> {
    const name = this.domainName();
    let failures = 0;
    for (;;) {
      await sleep(DOMSTATE_POLL_MS);
      let state: string | undefined;
      try {
        state = await this.domainState();
        failures = 0;
      } catch (err) {
        if (++failures < MAX_FAILED_POLLS) continue;
        errors.push(new LimaError(`lost libvirt domain ${q(name)}: ${errorMessage(err)}`, { cause: err }));
        errors.close();
        return;
      }
      if (state !== undefined && isActiveState(state)) continue;
      if (!this.stopping) errors.push(new LimaError(`libvirt domain ${q(name)} stopped unexpectedly (${state ?? "no longer defined"})`));
      errors.close();
      return;
    }
  }

  private async domainSpec(signal?: AbortSignal): Promise<DomainSpec> {
    const inst = this.inst;
    const config = this.config();
    const opts = this.opts();
    const conn = await this.conn();
    const has = (file: string): boolean => existsSync(path.join(inst.dir, file));
    if (!has(filenames.CIDataISO)) throw new LimaError(`${path.join(inst.dir, filenames.CIDataISO)} does not exist: the host agent creates it before starting the domain`);
    const pool = await this.pool();
    const source = async (file: InstanceFile, format: string): Promise<DiskSource> => {
      const local = path.join(inst.dir, file);
      if (pool === undefined) return { kind: "file", path: local, format };
      // the domain's disk lives in the pool from its first start on; the other files are re-sent
      await this.upload(pool, file, local, file !== filenames.Disk, signal);
      return { kind: "volume", pool, volume: this.volumeName(file), format };
    };
    const filePath = async (file: InstanceFile): Promise<string> => {
      const src = await source(file, "raw");
      if (src.kind === "file") return src.path;
      return (await this.virsh().run(["vol-path", "--pool", src.pool, src.volume], signal)).trim();
    };
    const runsHere = !conn.remote && pool === undefined;
    return {
      name: this.domainName(),
      uuid: domainUUID(inst.dir),
      instanceDir: inst.dir,
      instanceName: inst.name,
      arch: (config.arch ?? inst.arch) as DomainSpec["arch"],
      // TCG: nested KVM is not reliable where lima-ts is tested, and a remote host's may differ
      domainType: "qemu",
      memoryBytes: inst.memory ?? parseSize(config.memory ?? "4GiB"),
      cpus: inst.cpus ?? config.cpus ?? 4,
      firmware: this.firmware(),
      disk: await source(filenames.Disk, await detectImageFormat(path.join(inst.dir, filenames.Disk))),
      ...(has(filenames.ISO) ? { iso: await source(filenames.ISO, "raw") } : {}),
      cidata: await source(filenames.CIDataISO, "raw"),
      ...(has(filenames.Kernel)
        ? { kernel: {
          path: await filePath(filenames.Kernel),
          ...(has(filenames.Initrd) ? { initrd: await filePath(filenames.Initrd) } : {}),
          ...(has(filenames.KernelCmdline) ? { cmdline: readFileSync(path.join(inst.dir, filenames.KernelCmdline), "utf8") } : {}),
        } }
        : {}),
      // locally only this host may connect; a remote host's forward must be reachable from here
      sshForward: { address: conn.remote ? "" : "127.0.0.1", port: inst.sshLocalPort ?? config.ssh?.localPort ?? 0 },
      macAddress: macAddress(inst.dir),
      ...(opts.network !== undefined ? { libvirtNetwork: { name: opts.network, macAddress: macAddress(`${inst.dir}#${opts.network}`) } } : {}),
      ...(runsHere ? { serialLog: path.join(inst.dir, filenames.SerialLog) } : {}),
      // QEMU under the system daemon runs as libvirt-qemu, which cannot enter a 0700 instance
      // directory: it runs as the instance's owner instead, without relabelling the files
      ...(runsHere && conn.system ? { runAs: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } } : {}),
      unconfinedModels: runsHere ? await this.confiningSecurityModels() : [],
    };
  }

  /** Host security drivers (AppArmor, SELinux) that would confine QEMU to paths they know. */
  private async confiningSecurityModels(): Promise<string[]> {
    const caps = await this.virsh().run(["capabilities"]);
    const models = [...caps.matchAll(/<secmodel>\s*<model>([^<]+)<\/model>/g)].map((m) => m[1] as string);
    return models.filter((m) => m !== "none" && m !== "dac");
  }

  /** Puts an instance file into the pool as a volume (`vol-upload`), unless it is there and `replace` is false. */
  private async upload(pool: string, file: InstanceFile, local: string, replace: boolean, signal?: AbortSignal): Promise<void> {
    const virsh = this.virsh();
    const volume = this.volumeName(file);
    const exists = (await virsh.tryRun(["vol-info", "--pool", pool, volume], signal)).code === 0;
    if (exists && !replace) return;
    if (exists) await virsh.run(["vol-delete", "--pool", pool, volume], signal);
    const { size } = await stat(local);
    logger.info(`Uploading ${q(local)} to libvirt storage pool ${q(pool)} as ${q(volume)}`);
    await virsh.run(["vol-create-as", pool, volume, String(size), "--format", "raw"], signal);
    await virsh.run(["vol-upload", "--pool", pool, volume, local], signal);
  }
}
