// The host agent: one detached process per running instance. It owns the VM (through the driver),
// reports progress as events on stdout, serves `ha.sock`, and shuts the VM down on SIGINT/SIGTERM.
import { spawnSync } from "node:child_process";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type http from "node:http";
import { generateCidata } from "../cidata/index.js";
import type { Driver } from "../driver/driver.js";
import { configuredDriver } from "../instance/driverutil.js";
import { logger } from "../log/logger.js";
import { releaseDiskLocks } from "../store/disk.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { readPidFile } from "../store/pidfile.js";
import { inspect } from "../store/store.js";
import { publicKeys, sshOpts, writeSSHConfig } from "../sshutil/sshutil.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { serveAPI } from "./api.js";
import { EventEmitter, eventLine } from "./events.js";
import { essentialRequirements, finalRequirements, optionalRequirements, runRequirements } from "./requirements.js";

export interface HostAgentOptions {
  pidFile: string;
  socket: string;
  debug: boolean;
  guestAgentBinary?: string;
  nerdctlArchive?: string;
}

/** Pause between requirement attempts: Lima waits 3 s; 1 s notices a ready guest sooner. */
const REQUIREMENT_RETRY_MS = 1000;
/** Attempts per requirement: 10 minutes at that pace, as Lima's 200 × 3 s. */
const REQUIREMENT_RETRIES = 600;

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

class HostAgent {
  private readonly events = new EventEmitter(1);
  private readonly abort = new AbortController();
  private server?: http.Server;
  private driver?: Driver;
  private stopping = false;

  constructor(
    private inst: Instance,
    private readonly options: HostAgentOptions,
  ) {}

  private get config() {
    const config = this.inst.config;
    if (!config) throw new LimaError(`instance ${JSON.stringify(this.inst.name)} has no configuration`);
    return config;
  }

  async run(): Promise<void> {
    const port = (this.config.ssh?.localPort ?? 0) > 0 ? (this.config.ssh?.localPort ?? 0) : await freeTCPPort();
    this.inst = { ...this.inst, sshLocalPort: port };
    this.driver = configuredDriver(this.inst);
    const info = this.driver.info();
    const { iid } = await generateCidata(this.inst, {
      sshLocalPort: port,
      udpDNSLocalPort: 0,
      tcpDNSLocalPort: 0,
      pubKeys: publicKeys(this.config.ssh?.loadDotSSHPubKeys === true),
      guestAgentBinary: this.options.guestAgentBinary,
      nerdctlArchive: this.options.nerdctlArchive,
      debug: this.options.debug,
      vsockPort: info.vsockPort,
      virtioPort: info.virtioPort,
      noCloudInit: info.features.noCloudInit,
      rosettaEnabled: false,
      rosettaBinFmt: false,
      driverBootScripts: await this.driver.bootScripts(),
    });
    writeSSHConfig(this.inst.dir, this.inst.name, this.config, port);
    this.server = await serveAPI(this.options.socket, () => ({ sshLocalPort: port }));
    const started = await this.driver.start();
    this.events.emit({ sshLocalPort: port });
    const routines = this.runRoutines(port, iid);
    const exitReason = await Promise.race([started.exited.then((err) => err ?? new LimaError("the VM exited")), this.stopRequested()]);
    this.abort.abort();
    await routines.catch(() => undefined);
    await this.shutdown(exitReason instanceof Error ? exitReason : undefined);
  }

  private stopRequested(): Promise<"signal"> {
    return new Promise((resolve) => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.on(sig, () => {
          logger.info(`Received ${sig}, shutting down the host agent`);
          resolve("signal");
        });
      }
    });
  }

  private async runRoutines(port: number, iid: string): Promise<void> {
    const runner = { port, opts: sshOpts(this.inst.dir, this.config), retries: REQUIREMENT_RETRIES, intervalMs: REQUIREMENT_RETRY_MS, signal: this.abort.signal };
    const essential = await runRequirements("essential", essentialRequirements(this.config, iid), runner);
    if (this.abort.signal.aborted) return;
    if (essential.length > 0) {
      this.events.emit({ sshLocalPort: port, errors: essential });
      logger.error("essential requirements failed; stopping the instance", { errors: essential });
      process.kill(process.pid, "SIGTERM");
      return;
    }
    const optional = await runRequirements("optional", optionalRequirements(this.config), runner);
    const final = await runRequirements("final", finalRequirements(iid), runner);
    if (this.abort.signal.aborted) return;
    const errors = [...optional, ...final];
    this.events.emit({ running: true, sshLocalPort: port, ...(errors.length > 0 ? { degraded: true, errors } : {}) });
  }

  private async shutdown(vmError: Error | undefined): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.closeControlMaster();
    const errors: string[] = [];
    if (vmError) errors.push(vmError.message);
    else {
      try {
        await this.driver?.stop();
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    for (const disk of releaseDiskLocks(this.inst)) logger.info(`Unmounting disk ${q(disk)}`);
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

export async function runHostAgent(name: string, options: HostAgentOptions): Promise<void> {
  writePidFile(options.pidFile);
  try {
    const inst = await inspect(name);
    await new HostAgent(inst, options).run();
  } catch (err) {
    logger.error(errorMessage(err));
    // Lima emits nothing when set-up fails; one `exiting` event with the reason lets `start` say why at once.
    writeSync(1, eventLine({ exiting: true, errors: [errorMessage(err)] }));
    throw err;
  } finally {
    rmSync(options.pidFile, { force: true });
  }
}

