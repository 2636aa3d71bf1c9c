// The server side of Lima's external driver protocol (Lima: pkg/driver/external/server): serves a
// Driver on `<inst-dir>/<name>.drv.sock`, or answers `--inspect-status` on stdin/stdout.
import { rmSync } from "node:fs";
import path from "node:path";
import type { Instance } from "../../store/instance.js";
import { errorMessage } from "../../util/errors.js";
import type { CallOptions, Driver } from "../driver.js";
import { offerGuestAgentConnection } from "../gaconn.js";
import { driverSocketPath } from "../external/process.js";
import { driverServiceDefinition, grpc, MAX_MESSAGE_BYTES, type DriverHandlers, type Empty, type StartResponse } from "../external/service.js";
import { decodeInspectPayload, decodeInstance, encodeDriverInfo, encodeInspectPayload, encodeInstance } from "../external/wire.js";

const PREFIX = "lima-driver-";
const GUEST_AGENT_SOCK = "ga.sock";

/** Lima's server keepalive: a ping after 10 s without traffic, 30 s for its answer. */
const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 30_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
};

interface ServeArgs {
  instDir?: string;
  inspectStatus: boolean;
}

/** Go's flag syntax as Lima's server parses it: `-x`/`--x`, `--x=v` or `--x v`. */
export function parseServeArgs(args: readonly string[]): ServeArgs {
  const out: ServeArgs = { inspectStatus: false };
  for (let i = 0; i < args.length; i++) {
    const match = /^--?([^=]+)(?:=(.*))?$/.exec(args[i] ?? "");
    if (!match) throw new Error(`unexpected argument ${JSON.stringify(args[i])}`);
    const [, flag, inline] = match;
    if (flag === "inspect-status") out.inspectStatus = inline === undefined || inline === "true";
    else if (flag === "inst-dir") out.instDir = inline ?? args[++i];
    else throw new Error(`flag provided but not defined: -${flag}`);
  }
  return out;
}

/** `<name>` of `lima-driver-<name>[.ext]`, or undefined for a program named otherwise. */
export function driverNameOfProgram(program: string | undefined): string | undefined {
  const base = path.basename(program ?? "");
  if (!base.startsWith(PREFIX)) return undefined;
  const name = base.slice(PREFIX.length).replace(/\.(exe|mjs|cjs|js|ts|mts)$/, "");
  return name === "" ? undefined : name;
}

function log(level: "info" | "error", message: string): void {
  process.stderr.write(`time=${JSON.stringify(new Date().toISOString())} level=${level} msg=${JSON.stringify(message)}\n`);
}

/**
 * Serves `driver` as a `lima-driver-<name>` program: `--inst-dir DIR` serves gRPC until SIGINT or
 * SIGTERM, `--inspect-status` answers one status query. Exits the process when done.
 */
export async function serve(driver: Driver): Promise<void> {
  try {
    const args = parseServeArgs(process.argv.slice(2));
    if (args.inspectStatus) await inspectStatusMode(driver);
    else if (args.instDir === undefined || args.instDir === "") throw new Error("Instance directory is required (--inst-dir)");
    else await serveSocket(driver, path.resolve(args.instDir));
  } catch (err) {
    log("error", errorMessage(err));
    process.exit(1);
  }
  process.exit(0);
}

async function inspectStatusMode(driver: Driver): Promise<void> {
  const input = await readAll(process.stdin);
  const inst = decodeInspectPayload(input);
  inst.status = (await driver.inspectStatus(inst)) as Instance["status"];
  await new Promise<void>((resolve, reject) => process.stdout.write(encodeInspectPayload(inst), (err) => (err ? reject(err) : resolve())));
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.once("end", () => resolve(text));
    stream.once("error", reject);
  });
}

async function serveSocket(driver: Driver, instDir: string): Promise<void> {
  const info = await driver.info();
  const name = driverNameOfProgram(process.argv[1]) ?? info.name;
  const socketPath = driverSocketPath(instDir, name);
  rmSync(socketPath, { force: true });
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(driverServiceDefinition(), handlers(driver, info.instanceDir || instDir));
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  log("info", `Starting external driver server for ${info.name} on Unix socket ${socketPath}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  // As Lima: stop serving and let running calls finish; the VM is left as it is.
  log("info", `Received ${signal}, stopping server...`);
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  rmSync(socketPath, { force: true });
}

/** A handler for a unary method: the call's cancellation aborts the driver call; errors keep their message. */
function unary<Req, Res>(method: string, run: (request: Req, options: CallOptions) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    run(call.request, { signal: abort.signal }).then(
      (response) => callback(null, response),
      (err: unknown) => {
        log("error", `${method} failed: ${errorMessage(err)}`);
        callback({ code: grpc.status.UNKNOWN, details: errorMessage(err) });
      },
    );
  };
}

const EMPTY: Empty = {};

function handlers(driver: Driver, instDir: string): DriverHandlers {
  const done = (p: Promise<void>): Promise<Empty> => p.then(() => EMPTY);
  return {
    Validate: unary("Validate", (_req, o) => done(driver.validate(o))),
    Create: unary("Create", (_req, o) => done(driver.create(o))),
    CreateDisk: unary("CreateDisk", (_req, o) => done(driver.createDisk(o))),
    Start: (call) => void streamStart(driver, call),
    Stop: unary("Stop", (_req, o) => done(driver.stop(o))),
    Delete: unary("Delete", (_req, o) => done(driver.delete(o))),
    BootScripts: unary("BootScripts", async (_req, o) => {
      const scripts = await driver.bootScripts(o);
      return { scripts: Object.fromEntries(Object.entries(scripts).map(([k, v]) => [k, Buffer.from(v)])) };
    }),
    RunGUI: unary("RunGUI", (_req, o) => done(driver.runGUI(o))),
    ChangeDisplayPassword: unary("ChangeDisplayPassword", (req, o) => done(driver.changeDisplayPassword(req.password, o))),
    GetDisplayConnection: unary("GetDisplayConnection", async (_req, o) => ({ connection: await driver.displayConnection(o) })),
    CreateSnapshot: unary("CreateSnapshot", (req, o) => done(driver.createSnapshot(req.tag, o))),
    ApplySnapshot: unary("ApplySnapshot", (req, o) => done(driver.applySnapshot(req.tag, o))),
    DeleteSnapshot: unary("DeleteSnapshot", (req, o) => done(driver.deleteSnapshot(req.tag, o))),
    ListSnapshots: unary("ListSnapshots", async (_req, o) => ({ snapshots: await driver.listSnapshots(o) })),
    ForwardGuestAgent: unary("ForwardGuestAgent", async (_req, o) => ({ should_forward: await driver.forwardGuestAgent(o) })),
    GuestAgentConn: unary("GuestAgentConn", async (_req, o) => {
      await spliceGuestAgent(driver, instDir, o);
      return EMPTY;
    }),
    Configure: unary("Configure", async (req, o) => {
      const configured = await driver.configure(decodeInstance(req.instance_config_json), o);
      return { instance_config_json: encodeInstance(configured) };
    }),
    Info: unary("Info", async () => ({ info_json: encodeDriverInfo(await driver.info()) })),
    SSHAddress: unary("SSHAddress", async (_req, o) => ({ address: await driver.sshAddress(o) })),
    AdditionalSetupForSSH: unary("AdditionalSetupForSSH", (_req, o) => done(driver.additionalSetupForSSH(o))),
  };
}

/**
 * Start as Lima streams it: a first `{success: true}` once the VM boots (or `{success: false}`
 * and an error status when it does not), one `{success: false, error}` per runtime error, and a
 * final `{success: true}` when the VM has exited. A client that goes away ends the stream.
 */
async function streamStart(driver: Driver, call: grpc.ServerWritableStream<Empty, StartResponse>): Promise<void> {
  const abort = new AbortController();
  call.on("cancelled", () => abort.abort());
  const send = (msg: StartResponse): void => void call.write(msg);
  let errors: AsyncIterable<Error>;
  try {
    ({ errors } = await driver.start({ signal: abort.signal }));
  } catch (err) {
    log("error", `Start failed: ${errorMessage(err)}`);
    send({ success: false, error: errorMessage(err) });
    call.emit("error", { code: grpc.status.INTERNAL, details: `failed to start driver: ${errorMessage(err)}` });
    return;
  }
  send({ success: true, error: "" });
  for await (const err of errors) {
    if (abort.signal.aborted) return;
    log("error", `Error during Start: ${err.message}`);
    send({ success: false, error: err.message });
  }
  if (abort.signal.aborted) return;
  send({ success: true, error: "" });
  call.end();
}

/** GuestAgentConn: the driver's connection, offered to the host agent on `$INST/ga.sock`. */
async function spliceGuestAgent(driver: Driver, instDir: string, options: CallOptions): Promise<void> {
  const connection = await driver.guestAgentConn(options);
  if (connection) await offerGuestAgentConnection(connection, path.join(instDir, GUEST_AGENT_SOCK));
}
