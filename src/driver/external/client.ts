// The client side of an external driver (Lima: pkg/driver/external/client): a Driver whose calls
// go over gRPC to the `lima-driver-<name>` server of the instance, started on first use. gRPC is
// imported on first use too, so creating the client (the registry does) loads none of it.
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, statSync } from "node:fs";
import type { Instance } from "../../store/instance.js";
import { Channel } from "../../util/channel.js";
import type { CallOptions, Driver, DriverInfo, GuestAgentConnection, StartedVM, StopOptions } from "../driver.js";
import { discardDriverServer, driverLogPath, driverServerAlive, ensureDriverServer, withLogTail } from "./process.js";
import type { DriverUnaryMethods, StartResponse } from "./service.js";
import type * as Service from "./service.js";
import { decodeDriverInfo, decodeInspectPayload, decodeInstance, encodeInspectPayload, encodeInstance } from "./wire.js";

type Grpc = typeof Service.grpc;
type UnaryFn = (request: unknown, options: Service.grpc.CallOptions, callback: Service.grpc.requestCallback<unknown>) => Service.grpc.ClientUnaryCall;

/** Lima's deadline on Validate, Info, Configure, ForwardGuestAgent and RunGUI. */
export const CALL_DEADLINE_MS = 10_000;

interface Connection {
  grpc: Grpc;
  client: Service.grpc.Client;
  instDir: string;
}

export class ExternalDriver implements Driver {
  private connection?: Connection;

  constructor(
    readonly name: string,
    readonly program: string,
  ) {}

  /** Starts (or reuses) the instance's driver server, then sends it the instance. */
  async configure(inst: Instance, options: CallOptions = {}): Promise<Instance> {
    const socketPath = await ensureDriverServer(this.program, this.name, inst.dir, options);
    await this.connect(socketPath, inst.dir);
    const response = await this.call("Configure", { instance_config_json: encodeInstance(inst) }, options, CALL_DEADLINE_MS);
    try {
      return decodeInstance(response.instance_config_json);
    } catch (err) {
      throw new Error(`external driver ${this.program}: Configure returned a bad instance: ${(err as Error).message}`, { cause: err });
    }
  }

  async info(): Promise<DriverInfo> {
    const response = await this.call("Info", {}, {}, CALL_DEADLINE_MS);
    return decodeDriverInfo(response.info_json);
  }

  async validate(options?: CallOptions): Promise<void> {
    await this.call("Validate", {}, options, CALL_DEADLINE_MS);
  }

  async create(options?: CallOptions): Promise<void> {
    await this.call("Create", {}, options);
  }

  async createDisk(options?: CallOptions): Promise<void> {
    await this.call("CreateDisk", {}, options);
  }

  /**
   * Lima's streaming contract: the first message says whether the VM started; later ones carry
   * runtime errors, and a final success ends the stream when the VM has exited. A stream that
   * breaks instead (the driver died) ends with an error naming the program and its log.
   */
  async start(options: CallOptions = {}): Promise<StartedVM> {
    const { client, grpc, instDir } = this.requireConnection();
    const call = (client as unknown as { Start(req: unknown): Service.grpc.ClientReadableStream<StartResponse> }).Start({});
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const errors = new Channel<Error>();
    return new Promise<StartedVM>((resolve, reject) => {
      let started = false;
      let ended = false;
      const end = (err?: Error): void => {
        if (ended) return;
        ended = true;
        options.signal?.removeEventListener("abort", onAbort);
        if (!started) {
          reject(err ?? new Error(this.transportMessage("Start", "the driver ended the Start stream without answering", instDir)));
          return;
        }
        if (err) errors.push(err);
        errors.close();
      };
      call.on("data", (msg: StartResponse) => {
        if (ended) return;
        if (!started) {
          if (!msg.success) return end(new Error(msg.error || `external driver ${this.program} failed to start the VM`));
          started = true;
          resolve({ errors });
          return;
        }
        if (msg.success) return end();
        errors.push(new Error(msg.error));
      });
      call.on("error", (err: Service.grpc.ServiceError) => {
        if (ended) return;
        if (options.signal?.aborted) return end(started ? undefined : abortError(options.signal));
        end(this.callError("Start", err, grpc, instDir));
      });
      call.on("end", () => end(ended ? undefined : new Error(this.transportMessage("Start", "the driver ended the Start stream before the VM exited", instDir))));
    });
  }

  async stop(options?: StopOptions): Promise<void> {
    await this.call("Stop", {}, options);
  }

  async delete(options?: CallOptions): Promise<void> {
    await this.call("Delete", {}, options);
  }

  /** Lima's `--inspect-status`: the program reads the instance and writes it back with its status. */
  async inspectStatus(inst: Instance, options: CallOptions = {}): Promise<string> {
    const { stdout, stderr, exit } = await runInspectStatus(this.program, encodeInspectPayload(inst), options.signal);
    const logPath = driverLogPath(inst.dir);
    const logStart = stderr === "" ? undefined : appendLog(logPath, stderr);
    const fail = (what: string): Error => new Error(withLogTail(`external driver ${this.program} --inspect-status ${what}`, logPath, logStart ?? Number.MAX_SAFE_INTEGER));
    if (exit !== "exit status 0") throw fail(`failed (${exit})`);
    let answer: Instance;
    try {
      answer = decodeInspectPayload(stdout);
    } catch (err) {
      throw fail(`wrote a bad answer: ${(err as Error).message}`);
    }
    // Lima replaces the whole instance with the driver's answer.
    for (const key of Object.keys(inst) as (keyof Instance)[]) delete inst[key];
    Object.assign(inst, answer);
    return inst.status;
  }

  async bootScripts(options?: CallOptions): Promise<Record<string, Uint8Array>> {
    const response = await this.call("BootScripts", {}, options);
    return { ...response.scripts };
  }

  async runGUI(options?: CallOptions): Promise<void> {
    await this.call("RunGUI", {}, options, CALL_DEADLINE_MS);
  }

  async changeDisplayPassword(password: string, options?: CallOptions): Promise<void> {
    await this.call("ChangeDisplayPassword", { password }, options);
  }

  async displayConnection(options?: CallOptions): Promise<string> {
    return (await this.call("GetDisplayConnection", {}, options)).connection;
  }

  async createSnapshot(tag: string, options?: CallOptions): Promise<void> {
    await this.call("CreateSnapshot", { tag }, options);
  }

  async applySnapshot(tag: string, options?: CallOptions): Promise<void> {
    await this.call("ApplySnapshot", { tag }, options);
  }

  async deleteSnapshot(tag: string, options?: CallOptions): Promise<void> {
    await this.call("DeleteSnapshot", { tag }, options);
  }

  async listSnapshots(options?: CallOptions): Promise<string> {
    return (await this.call("ListSnapshots", {}, options)).snapshots;
  }

  async forwardGuestAgent(options?: CallOptions): Promise<boolean> {
    return (await this.call("ForwardGuestAgent", {}, options, CALL_DEADLINE_MS)).should_forward;
  }

  /** The server splices a non-unix connection to `$INST/ga.sock`: the caller dials that. */
  async guestAgentConn(options?: CallOptions): Promise<GuestAgentConnection | undefined> {
    await this.call("GuestAgentConn", {}, options);
    return undefined;
  }

  async sshAddress(options?: CallOptions): Promise<string> {
    return (await this.call("SSHAddress", {}, options)).address;
  }

  async additionalSetupForSSH(options?: CallOptions): Promise<void> {
    await this.call("AdditionalSetupForSSH", {}, options);
  }

  /** Drops the gRPC connection (the server keeps running; `stopDriverServers` stops it). */
  close(): void {
    this.connection?.client.close();
    this.connection = undefined;
  }

  private async connect(socketPath: string, instDir: string): Promise<void> {
    this.close();
    const service = await import("./service.js");
    this.connection = { grpc: service.grpc, client: service.driverClient(socketPath), instDir };
  }

  private requireConnection(): Connection {
    if (!this.connection) throw new Error(`external driver ${this.program}: configure() must be called first`);
    return this.connection;
  }

  private call<M extends keyof DriverUnaryMethods>(
    method: M,
    request: DriverUnaryMethods[M][0],
    options: CallOptions = {},
    deadlineMs?: number,
  ): Promise<DriverUnaryMethods[M][1]> {
    const { client, grpc, instDir } = this.requireConnection();
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const fn = (client as unknown as Record<M, UnaryFn>)[method];
    const callOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    return new Promise((resolve, reject) => {
      const call = fn.call(client, request, callOptions, (err, response) => {
        signal?.removeEventListener("abort", onAbort);
        if (!err) return resolve(response as DriverUnaryMethods[M][1]);
        if (signal?.aborted) return reject(abortError(signal));
        reject(this.callError(method, err, grpc, instDir, deadlineMs));
      });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * A driver's own error (UNKNOWN, as Go's server sends a plain error) keeps its message. A
   * connection that failed (UNAVAILABLE: the server is gone or does not speak gRPC) or a call
   * that broke because the driver process died means the driver is lost: the error names the
   * program and its log, and the server's files go (a live non-gRPC server is killed) so that
   * the next start spawns a fresh one.
   */
  private callError(method: string, err: Service.grpc.ServiceError, grpc: Grpc, instDir: string, deadlineMs?: number): Error {
    const { status } = grpc;
    if (err.code === status.DEADLINE_EXCEEDED && deadlineMs !== undefined) {
      const message = `external driver ${this.program}: ${method} did not answer within ${deadlineMs / 1000}s`;
      return new Error(withLogTail(message, driverLogPath(instDir)), { cause: err });
    }
    const unreachable = err.code === status.UNAVAILABLE;
    const broken = (err.code === status.INTERNAL || err.code === status.CANCELLED) && !driverServerAlive(instDir, this.name);
    if (!unreachable && !broken) return new Error(err.details || err.message, { cause: err });
    discardDriverServer(instDir, this.name, { kill: unreachable });
    this.close();
    return new Error(this.transportMessage(method, err.details || err.message, instDir), { cause: err });
  }

  private transportMessage(method: string, what: string, instDir: string): string {
    return withLogTail(`external driver ${this.program}: ${method}: lost the driver (${what})`, driverLogPath(instDir));
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("canceled");
}

/** Appends `text` to the driver log; returns where it starts there. */
function appendLog(logPath: string, text: string): number | undefined {
  try {
    const start = existsSync(logPath) ? statSync(logPath).size : 0;
    appendFileSync(logPath, text.endsWith("\n") ? text : `${text}\n`);
    return start;
  } catch {
    return undefined;
  }
}

interface InspectResult {
  stdout: string;
  stderr: string;
  exit: string;
}

function runInspectStatus(program: string, input: string, signal?: AbortSignal): Promise<InspectResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ["--inspect-status"], { stdio: ["pipe", "pipe", "pipe"], signal });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", (err) => reject(new Error(`external driver ${program} --inspect-status: ${err.message}`, { cause: err })));
    child.once("close", (code, sig) => resolve({ stdout, stderr, exit: sig ? `killed by ${sig}` : `exit status ${code}` }));
    // A driver that exits without reading its input must not crash us with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}
