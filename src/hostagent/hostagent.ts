// The host agent: one detached process per running instance. It owns the VM (through the driver),
// reports progress as events on stdout, serves `ha.sock`, and shuts the VM down on SIGINT/SIGTERM.
import { spawnSync } from "node:child_process";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type http from "node:http";
import { generateCidata } from "../cidata/index.js";
import type { Driver, DriverInfo } from "../driver/driver.js";
import { configuredDriver } from "../instance/driverutil.js";
import { hostResolverHosts, type HostResolver, startHostResolver } from "../hostresolver/index.js";
import { logger } from "../log/logger.js";
import { usernetAddresses, usernetHosts, usesUsernet } from "../networks/usernet/attach.js";
import { ReverseSSHFS } from "../mount/reversesshfs.js";
import { releaseDiskLocks } from "../store/disk.js";
import { instanceDir } from "../store/dirnames.js";
import { stopDriverServers } from "../driver/external/process.js";
import { offerGuestAgentConnection } from "../driver/gaconn.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { readPidFile } from "../store/pidfile.js";
import { inspect } from "../store/store.js";
import { forwardSSH } from "../portfwd/sshforwarder.js";
import { PortForwarder } from "../portfwd/index.js";
import { executeScript } from "../sshutil/exec.js";
import { DEFAULT_SSH_ADDRESS, publicKeys, type SSHEndpoint, sshArgs, sshOpts, writeSSHConfig } from "../sshutil/sshutil.js";
import { firstOf } from "../util/channel.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { serveAPI } from "./api.js";
import { GuestAgentLink } from "./guestagent.js";
import { MountInotify } from "./inotify.js";
import { runTimeSync } from "./timesync.js";
import { watchCloudInitProgress } from "./cloudinit.js";
import { copyToHost, deleteCopiesOnStop } from "./copytohost.js";
import { EventEmitter, eventLine } from "./events.js";
import {
  bootFailureReportsScript,
  bootFailureWarning,
  essentialRequirements,
  finalRequirements,
  mountRequirements,
  optionalRequirements,
  runRequirements,
} from "./requirements.js";

export interface HostAgentOptions {
  pidFile: string;
  socket: string;
  debug: boolean;
  guestAgentBinary?: string;
  nerdctlArchive?: string;
  /** `--progress`: follow cloud-init in the guest and emit `cloudInitProgress` events. */
  progress?: boolean;
}

/** Pause between requirement attempts: Lima waits 3 s; 1 s notices a ready guest sooner. */
const REQUIREMENT_RETRY_MS = 1000;
/** Attempts per requirement: 10 minutes at that pace, as Lima's 200 × 3 s. */
const REQUIREMENT_RETRIES = 600;
/** How long the final requirements wait for the guest agent's first answer (Lima: 1 min). */
const GUEST_AGENT_WAIT_MS = 60_000;
/** Reading boot.sh's failure reports over the running ControlMaster. */
const BOOT_REPORTS_TIMEOUT_MS = 30_000;
/** Where the guest agent listens in the guest when no vsock or virtio port is used. */
const GUEST_AGENT_GUEST_SOCKET = "/run/lima-guestagent.sock";

/** Writes the pid file exclusively; refuses when it names a live process. */
function writePidFile(file: string): void {
  if (readPidFile(file) > 0) throw new LimaError(`pidfile ${JSON.stringify(file)} already exists (another host agent is running)`);
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o644);
  } catch (err) {
    throw new LimaError(`pidfile ${JSON.stringify(file)} already exists: ${errorMessage(err)}`);
  }
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
}

export function freeTCPPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Why the host agent stops: SIGINT/SIGTERM, or a failure of its own. Created before anything is
 * started, so a signal at any moment (even during the driver's start) stops what exists so far
 * instead of killing the host agent and orphaning the VM.
 */
export class StopRequest {
  private resolve: (errors: string[]) => void = () => undefined;
  /** Resolves with the reasons to report (none for a signal). */
  readonly requested = new Promise<string[]>((resolve) => (this.resolve = resolve));
  isRequested = false;

  constructor() {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.on(sig, () => {
        logger.info(`Received ${sig}, shutting down the host agent`);
        this.request([]);
      });
    }
  }

  request(errors: string[]): void {
    if (this.isRequested) return;
    this.isRequested = true;
    this.resolve(errors);
  }
}

class HostAgent {
  private readonly events = new EventEmitter(1);
  private readonly abort = new AbortController();
  private server?: http.Server;
  private driver?: Driver;
  private driverInfo?: DriverInfo;
  /** 127.0.0.1 and the forwarded port until a driver with a dynamic address says otherwise. */
  private endpoint: SSHEndpoint = { address: DEFAULT_SSH_ADDRESS, port: 0 };
  private hostResolver?: HostResolver;
  private portForwarder?: PortForwarder;
  private guestAgent?: GuestAgentLink;
  private mountInotify?: MountInotify;
  /** Cancels the SSH forward of `ga.sock` (and removes the socket file), when one was made. */
  private cancelGuestAgentForward?: () => Promise<void>;
  private reverseSSHFS?: ReverseSSHFS;
  private stopping = false;
  private forceStop = false;
  /** The `--progress` watch; awaited at shutdown so that no event follows `exiting`. */
  private cloudInitWatch?: Promise<void>;
  /** Set once copyToHost ran: only then are its `deleteOnStop` copies removed at stop (as Lima's cleanup order). */
  private copiedToHost = false;

  constructor(
    private inst: Instance,
    private readonly options: HostAgentOptions,
    private readonly stop: StopRequest,
  ) {}

  private get config() {
    const config = this.inst.config;
    if (!config) throw new LimaError(`instance ${JSON.stringify(this.inst.name)} has no configuration`);
    return config;
  }

  async run(): Promise<void> {
    const chosenPort = (this.config.ssh?.localPort ?? 0) > 0 ? (this.config.ssh?.localPort ?? 0) : await freeTCPPort();
    const { driver, info, instance } = await configuredDriver(this.inst, chosenPort);
    this.driver = driver;
    this.driverInfo = info;
    this.inst = instance;
    // A driver with a port of its own (features.staticSSHPort) keeps it.
    const port = instance.sshLocalPort || chosenPort;
    this.endpoint = { address: DEFAULT_SSH_ADDRESS, port };
    this.hostResolver = await this.startHostResolver();
    const { iid } = await generateCidata(this.inst, {
      sshLocalPort: port,
      udpDNSLocalPort: this.hostResolver?.udpPort ?? 0,
      tcpDNSLocalPort: this.hostResolver?.tcpPort ?? 0,
      pubKeys: publicKeys(this.config.ssh?.loadDotSSHPubKeys === true),
      guestAgentBinary: this.options.guestAgentBinary,
      nerdctlArchive: this.options.nerdctlArchive,
      debug: this.options.debug,
      vsockPort: info.vsockPort,
      virtioPort: info.virtioPort,
      noCloudInit: info.features.noCloudInit,
      rosettaEnabled: false,
      rosettaBinFmt: false,
      driverBootScripts: await driver.bootScripts(),
      usernetAddresses: await usernetAddresses(this.inst.name, this.config),
    });
    writeSSHConfig(this.inst.dir, this.inst.name, this.config, this.endpoint);
    this.server = await serveAPI(this.options.socket, {
      info: () => ({ sshLocalPort: port }),
      screenshot: driver.captureScreenshot?.bind(driver),
      driverName: info.name,
    });
    if (this.stop.isRequested) return this.shutdown(undefined, await this.stop.requested);
    const started = await driver.start();
    // However the driver reports the end (an error, or the stream ending), the host agent stops.
    const vmExited = firstOf(started.errors).then((err) => err ?? new LimaError("the VM exited"));
    try {
      await this.reachSSH(driver, info);
    } catch (err) {
      // The VM runs: stop it rather than leave it behind.
      return this.shutdown(undefined, [errorMessage(err)]);
    }
    this.events.emit({ sshLocalPort: port });
    // Asked to stop while the VM was starting: the guest has not run yet, so nothing is lost by killing it.
    if (this.stop.isRequested) {
      this.forceStop = true;
      return this.shutdown(undefined, await this.stop.requested);
    }
    const routines = this.stopOnFailure(this.runRoutines(iid));
    const exitReason = await Promise.race([vmExited, this.stop.requested]);
    this.abort.abort();
    await routines;
    if (exitReason instanceof Error) return this.shutdown(exitReason);
    return this.shutdown(undefined, exitReason);
  }

  /** Lima's order after Start: the driver's SSH set-up, then its address when only it knows it. */
  private async reachSSH(driver: Driver, info: DriverInfo): Promise<void> {
    await driver.additionalSetupForSSH();
    if (!info.features.dynamicSSHAddress) return;
    this.endpoint = { ...this.endpoint, address: await driver.sshAddress() };
    logger.info(`SSH address of the VM: ${this.endpoint.address}`);
    writeSSHConfig(this.inst.dir, this.inst.name, this.config, this.endpoint);
  }

  /**
   * The DNS server the guest uses through 192.168.5.3 (§3.12): unless `hostResolver.enabled` is false.
   */
  private async startHostResolver(): Promise<HostResolver | undefined> {
    const hostResolver = this.config.hostResolver;
    if (hostResolver?.enabled === false) return undefined;
    // On a user-v2 network the guests keep their slirp NIC, so this resolver also answers
    // `lima-<instance>.internal` of the other instances there (Lima's gvisor DNS does that).
    const dynamicHosts = usesUsernet(this.config) ? usernetHosts(this.config) : undefined;
    try {
      return await startHostResolver({ ipv6: hostResolver?.ipv6 === true, staticHosts: hostResolverHosts(this.inst.name, this.config), ...(dynamicHosts ? { dynamicHosts } : {}) });
    } catch (err) {
      throw new LimaError(`cannot start DNS server: ${errorMessage(err)}`);
    }
  }

  /** A failure (not a requirement that is unmet, but an exception) stops the VM with the reason. */
  private async stopOnFailure(routines: Promise<void>): Promise<void> {
    try {
      await routines;
    } catch (err) {
      logger.error("the readiness checks failed; stopping the instance", { error: errorMessage(err) });
      this.stop.request([`the readiness checks failed: ${errorMessage(err)}`]);
    }
  }

  private async runRoutines(iid: string): Promise<void> {
    const opts = sshOpts(this.inst.dir, this.config);
    const endpoint = this.endpoint;
    const { port } = endpoint;
    const runner = { ...endpoint, opts, retries: REQUIREMENT_RETRIES, intervalMs: REQUIREMENT_RETRY_MS, signal: this.abort.signal };
    const essential = await runRequirements("essential", essentialRequirements(this.config, iid), runner);
    if (this.abort.signal.aborted) return;
    if (essential.length > 0) {
      // The `exiting` event carries the errors.
      logger.error("essential requirements failed; stopping the instance", { errors: essential });
      this.stop.request(essential);
      return;
    }
    const mountErrors = await this.mountReverseSSHFS(endpoint, opts);
    this.portForwarder = new PortForwarder({
      instDir: this.inst.dir,
      instName: this.inst.name,
      rules: this.config.portForwards ?? [],
      sshLocalPort: port,
      sshAddress: endpoint.address,
      sshArgs: sshArgs(opts),
      client: () => this.guestAgent?.current(),
      emit: (portForward) => this.events.emitWith({ portForward }),
    });
    await this.portForwarder.forwardStatic();
    const withGuestAgent = !this.config.plain && (this.config.os ?? "Linux") === "Linux";
    if (withGuestAgent) await this.startGuestAgentLink(endpoint, opts);
    if (withGuestAgent && this.config.mountInotify === true) await this.startMountInotify();
    if (withGuestAgent && this.options.progress) {
      this.cloudInitWatch = watchCloudInitProgress({ ...endpoint, opts, signal: this.abort.signal, emit: (cloudInitProgress) => this.events.emitWith({ cloudInitProgress }) });
    }
    const optional = await runRequirements("optional", optionalRequirements(this.config, iid, path.join(this.inst.dir, filenames.LimaYAML)), runner);
    if (withGuestAgent) optional.push(...(await this.waitForGuestAgent()));
    const final = await runRequirements("final", [...finalRequirements(iid, this.config, path.join(this.inst.dir, filenames.LimaYAML)), ...mountRequirements(this.config, path.join(this.inst.dir, filenames.LimaYAML))], runner);
    if (this.abort.signal.aborted) return;
    await this.warnBootFailures(endpoint, opts, iid);
    const copied = await this.copyToHost(endpoint, opts);
    if (this.abort.signal.aborted) return;
    const errors = [...mountErrors, ...optional, ...final, ...copied];
    this.events.emit({ running: true, sshLocalPort: port, ...(errors.length > 0 ? { degraded: true, errors } : {}) });
  }

  /**
   * Lima says nothing of a failed provisioning script (the boot goes on, the instance is READY):
   * `limactl start` at least warns, with the log to read.
   */
  private async warnBootFailures(endpoint: SSHEndpoint, opts: string[], iid: string): Promise<void> {
    const res = await executeScript(endpoint, opts, bootFailureReportsScript(iid), BOOT_REPORTS_TIMEOUT_MS, this.abort.signal);
    const warning = bootFailureWarning(res.code === 0 ? res.stdout : "");
    if (warning) logger.warn(warning);
  }

  /** After the requirements, as Lima: a failed copy makes the instance degraded. */
  private async copyToHost(endpoint: SSHEndpoint, opts: string[]): Promise<string[]> {
    const errors: string[] = [];
    for (const rule of this.config.copyToHost ?? []) {
      const err = await copyToHost({ ...endpoint, opts, signal: this.abort.signal }, rule);
      if (err) errors.push(err);
    }
    this.copiedToHost = true;
    return errors;
  }

  /** `mountType: reverse-sshfs` (not plain): every mount, before the port forwards, as Lima; failures make the instance degraded. */
  private async mountReverseSSHFS(endpoint: SSHEndpoint, opts: string[]): Promise<string[]> {
    const mounts = this.config.mounts ?? [];
    if (this.config.mountType !== "reverse-sshfs" || this.config.plain || mounts.length === 0) return [];
    this.reverseSSHFS = new ReverseSSHFS({ sshArgs: sshArgs(opts), ...endpoint }, this.abort.signal);
    return this.reverseSSHFS.mountAll(mounts);
  }

  /** Lima's GA watcher: `ga.sock` forwarded over SSH (when the driver wants it), events to the port forwarder, time sync. */
  private async startGuestAgentLink(endpoint: SSHEndpoint, opts: string[]): Promise<void> {
    const driver = this.driver;
    if (!driver || !this.portForwarder) return;
    const forwarder = this.portForwarder;
    const target = { sshArgs: sshArgs(opts), ...endpoint };
    const gaSock = path.join(this.inst.dir, filenames.GuestAgentSock);
    // forwardSSH removes the host socket after a cancel, even a failed one.
    const cancel = (): Promise<void> => forwardSSH(target, gaSock, GUEST_AGENT_GUEST_SOCKET, "cancel", false).catch(() => undefined);
    const overSSH = await driver.forwardGuestAgent();
    const forward = overSSH
      ? async (): Promise<void> => {
          await cancel();
          await forwardSSH(target, gaSock, GUEST_AGENT_GUEST_SOCKET, "forward", false);
        }
      : async (): Promise<void> => {
          // The driver reaches the agent itself (vsock, ...); an external driver splices it into ga.sock.
          const connection = await driver.guestAgentConn({ signal: this.abort.signal });
          if (connection) await offerGuestAgentConnection(connection, gaSock);
        };
    if (overSSH) this.cancelGuestAgentForward = cancel;
    this.guestAgent = new GuestAgentLink({
      instDir: this.inst.dir,
      forward,
      onEvent: (event) => forwarder.handleEvent(event),
      signal: this.abort.signal,
    });
    const link = this.guestAgent;
    void link.run();
    void runTimeSync(() => link.current(), link.alive, this.abort.signal);
    if (!this.driverInfo?.features.skipSocketForwarding) await forwarder.forwardSockets();
  }

  /** Host changes under writable mounts → the guest agent (which touches the guest path). */
  private async startMountInotify(): Promise<void> {
    const link = this.guestAgent;
    if (!link) return;
    this.mountInotify = await MountInotify.start({ mounts: this.config.mounts ?? [], client: () => link.current() });
    // Stopped while the trees were being watched: shutdown has run already.
    if (this.abort.signal.aborted) this.mountInotify.close();
  }

  private async waitForGuestAgent(): Promise<string[]> {
    const link = this.guestAgent;
    if (!link) return [];
    logger.info("Waiting for the guest agent to be running");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), GUEST_AGENT_WAIT_MS)));
    // A stop while waiting must not wait out the minute.
    const stopped = new Promise<boolean>((resolve) => this.abort.signal.addEventListener("abort", () => resolve(false), { once: true }));
    const late = await Promise.race([link.alive.then(() => false), timedOut, stopped]);
    clearTimeout(timer);
    if (!late) return [];
    const message = "guest agent does not seem to be running; port forwards will not work";
    logger.warn(message);
    return [message];
  }

  /** `vmError`: the VM is gone already (nothing to stop); `reasons`: why the host agent stops. */
  private async shutdown(vmError: Error | undefined, reasons: string[] = []): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.copiedToHost) for (const err of deleteCopiesOnStop(this.config.copyToHost ?? [])) logger.warn(err);
    this.abort.abort();
    this.mountInotify?.close();
    await this.cloudInitWatch;
    this.guestAgent?.close();
    await this.portForwarder?.close().catch((err: unknown) => logger.warn(`port forwarding: ${errorMessage(err)}`));
    await this.cancelGuestAgentForward?.();
    await this.reverseSSHFS?.unmountAll();
    this.closeControlMaster();
    const errors: string[] = [...reasons];
    if (vmError) errors.push(vmError.message);
    else {
      try {
        await this.driver?.stop({ force: this.forceStop });
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    await stopDriverServers(this.inst.dir);
    for (const disk of releaseDiskLocks(this.inst)) logger.info(`Unmounting disk ${q(disk)}`);
    await this.hostResolver?.close();
    this.events.emit({ exiting: true, ...(errors.length > 0 ? { errors } : {}) });
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.options.socket, { force: true });
  }

  private closeControlMaster(): void {
    const sock = path.join(this.inst.dir, filenames.SSHSock);
    spawnSync("ssh", ["-o", `ControlPath=${sock}`, "-O", "exit", "lima-control"], { stdio: "ignore", timeout: 5000 });
    rmSync(sock, { force: true });
  }
}

/** `stop` must exist before the pid file does: the pid file is what tells others whom to signal. */
export async function runHostAgent(name: string, options: HostAgentOptions, stop = new StopRequest()): Promise<void> {
  writePidFile(options.pidFile);
  try {
    const inst = await inspect(name);
    await new HostAgent(inst, options, stop).run();
  } catch (err) {
    logger.error(errorMessage(err));
    // A driver program started for a set-up that failed must not outlive it.
    await stopDriverServers(instanceDir(name));
    // Lima emits nothing when set-up fails; one `exiting` event with the reason lets `start` say why at once.
    writeSync(1, eventLine({ exiting: true, errors: [errorMessage(err)] }));
    throw err;
  } finally {
    // After a failed set-up nothing closed the API server: its socket must not outlive us.
    rmSync(options.socket, { force: true });
    rmSync(options.pidFile, { force: true });
  }
}

