// The host agent's link to the guest agent (Lima's GA watcher): keeps `$INST/ga.sock` forwarded
// over SSH when the driver asks for it, connects the gRPC client, marks the agent alive on its
// first answer, and streams its port events to the port forwarder. Any failure: retry shortly.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { type GuestEvent, type GuestServiceClient, guestServiceClient, type Info } from "../guestagent/api/index.js";
import { logger } from "../log/logger.js";
import * as filenames from "../store/filenames.js";
import { errorMessage } from "../util/errors.js";

/** Lima retries every 10 s; the link is cheap to retry, and a guest agent that comes up later is seen sooner. */
const RETRY_MS = 1000;
/**
 * The SSH forward is redone at Lima's pace: a failure is mostly the agent (re)starting in the
 * guest, which a new forward does not help, but a restarted ControlMaster needs one.
 */
const REFORWARD_MS = 10_000;
const GET_INFO_DEADLINE_MS = 5000;

export interface GuestAgentLinkOptions {
  instDir: string;
  /** (Re-)establishes `ga.sock`: the SSH forward, or the connection the driver offers itself. */
  forward?: () => Promise<void>;
  onEvent: (event: GuestEvent) => void | Promise<void>;
  signal: AbortSignal;
}

export class GuestAgentLink {
  private client?: GuestServiceClient;
  private lastForward = 0;
  private markAlive: () => void = () => undefined;
  /** Resolves on the first successful `GetInfo`. */
  readonly alive = new Promise<void>((resolve) => (this.markAlive = resolve));

  constructor(private readonly options: GuestAgentLinkOptions) {}

  get socketPath(): string {
    return path.join(this.options.instDir, filenames.GuestAgentSock);
  }

  /** The connected client, for tunnels and time sync; undefined until the agent answered once. */
  current(): GuestServiceClient | undefined {
    return this.client;
  }

  /** Runs until the signal aborts. */
  async run(): Promise<void> {
    const { signal } = this.options;
    let lastError = "";
    while (!signal.aborted) {
      try {
        await this.session();
      } catch (err) {
        const message = errorMessage(err);
        // The same failure every second while the guest boots is one log line, not hundreds.
        if (message !== lastError) logger.debug(`guest agent: ${message}`);
        lastError = message;
      }
      await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
    this.close();
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private async session(): Promise<void> {
    if (!this.client || !(await this.getInfo(this.client).then(() => true, () => false))) {
      this.close();
      if (this.options.forward && Date.now() - this.lastForward >= REFORWARD_MS) {
        this.lastForward = Date.now();
        await this.options.forward();
      }
      const client = guestServiceClient(this.socketPath);
      try {
        await this.getInfo(client);
      } catch (err) {
        client.close();
        throw err;
      }
      this.client = client;
    }
    this.markAlive();
    await this.streamEvents(this.client);
  }

  private getInfo(client: GuestServiceClient): Promise<Info> {
    return new Promise((resolve, reject) => {
      client.GetInfo({}, { deadline: Date.now() + GET_INFO_DEADLINE_MS }, (err, info) => (err || !info ? reject(err ?? new Error("no answer")) : resolve(info)));
    });
  }

  /** Resolves when the stream ends (the guest agent restarted, the forward broke, or we stop). */
  private streamEvents(client: GuestServiceClient): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = client.GetEvents({});
      const onAbort = () => stream.cancel();
      this.options.signal.addEventListener("abort", onAbort, { once: true });
      let queue = Promise.resolve();
      stream.on("data", (event: GuestEvent) => {
        for (const e of event.errors) logger.warn(`guest agent: ${e}`);
        // In order: a port removed right after being added must be released after it was forwarded.
        queue = queue.then(() => this.options.onEvent(event)).catch((err) => logger.warn(`port forwarding: ${errorMessage(err)}`));
      });
      stream.on("error", (err: grpc.ServiceError) => {
        this.options.signal.removeEventListener("abort", onAbort);
        if (err.code === grpc.status.CANCELLED) resolve();
        else reject(err);
      });
      stream.on("end", () => {
        this.options.signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }
}
