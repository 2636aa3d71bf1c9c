// The driver interface as Lima defines it (pkg/driver). Internal drivers implement it directly;
// the external driver client implements it over gRPC, and the driver SDK serves any
// implementation over gRPC, so neither callers nor drivers know which kind they are.
import type { Duplex } from "node:stream";
import type { LimaYAML } from "../config/types.js";
import type { Instance } from "../store/instance.js";

export interface DriverFeatures {
  canRunGui?: boolean;
  /** The SSH address is known only once the VM runs: the host agent asks `sshAddress()` after `start()`. */
  dynamicSSHAddress: boolean;
  /** The driver's SSH port is its own (e.g. 22): the host agent does not pick a local port. */
  staticSSHPort: boolean;
  skipSocketForwarding: boolean;
  noCloudInit: boolean;
  rosettaEnabled: boolean;
  rosettaBinFmt: boolean;
  supportedImageFormats?: string[];
}

/** `Info` as exchanged in JSON with external drivers. */
export interface DriverInfo {
  name: string;
  vsockPort: number;
  virtioPort: string;
  instanceDir?: string;
  features: DriverFeatures;
}

/** Cancels a call: an internal driver stops waiting, the gRPC client cancels the RPC. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface StopOptions extends CallOptions {
  /**
   * Kill the VM at once instead of shutting the guest down, for a guest that has not run yet.
   * A hint: the `Driver` gRPC service cannot carry it, so external drivers shut down as usual.
   */
  force?: boolean;
}

/**
 * A started VM (Lima's error channel): errors the VM reports while it runs, in order. The stream
 * ends when the VM has exited; the host agent shuts down on the first error or the end.
 */
export interface StartedVM {
  errors: AsyncIterable<Error>;
}

/** A direct connection to the guest agent (Lima: `GuestAgentConn`), e.g. over vsock. */
export interface GuestAgentConnection {
  conn: Duplex;
  /** `unix`, `vsock`, ... */
  kind: string;
}

export interface Driver {
  info(): Promise<DriverInfo>;
  /**
   * Fills driver-specific defaults into the instance's config (mountType, vnc display, ...),
   * validates it and remembers the instance. Returns the configured instance: external drivers
   * send it back over the wire, so callers must use the result, not their argument.
   */
  configure(inst: Instance, options?: CallOptions): Promise<Instance>;
  /**
   * Fills driver defaults into a config that has no instance yet (`template validate --fill`).
   * Internal drivers only: Lima's protocol has no such call.
   */
  fillConfig?(config: LimaYAML, filePath: string): Promise<void>;
  validate(options?: CallOptions): Promise<void>;
  /** First-time set-up; idempotent; does not create disks. */
  create(options?: CallOptions): Promise<void>;
  /** Turns the image into the instance's disk; idempotent. */
  createDisk(options?: CallOptions): Promise<void>;
  /** Resolves once the VM is booting; a failure to boot rejects. */
  start(options?: CallOptions): Promise<StartedVM>;
  /** Resolves once the VM has exited (or the driver gave up and killed it). */
  stop(options?: StopOptions): Promise<void>;
  /** Removes what the driver keeps outside the instance directory. */
  delete(options?: CallOptions): Promise<void>;
  /** A status, or "" to let the caller decide from pid files. May set fields of `inst` (e.g. sshAddress). */
  inspectStatus(inst: Instance, options?: CallOptions): Promise<string>;
  /** Extra cidata files keyed `boot.<OS>/<name>`. */
  bootScripts(options?: CallOptions): Promise<Record<string, Uint8Array>>;
  runGUI(options?: CallOptions): Promise<void>;
  changeDisplayPassword(password: string, options?: CallOptions): Promise<void>;
  displayConnection(options?: CallOptions): Promise<string>;
  createSnapshot(tag: string, options?: CallOptions): Promise<void>;
  applySnapshot(tag: string, options?: CallOptions): Promise<void>;
  deleteSnapshot(tag: string, options?: CallOptions): Promise<void>;
  listSnapshots(options?: CallOptions): Promise<string>;
  /**
   * The VM's display as a `png` or `bmp` image (Lima's optional Screenshotter). Optional: without
   * it the host agent answers ScreenshotUnsupportedError; without a display, throw NoDisplayError.
   */
  captureScreenshot?(format: ScreenshotFormat, options?: CallOptions): Promise<Uint8Array>;
  /** True when the host agent must forward `ga.sock` over SSH. */
  forwardGuestAgent(options?: CallOptions): Promise<boolean>;
  /** A direct connection to the guest agent, or undefined: the host agent then dials `$INST/ga.sock`. */
  guestAgentConn(options?: CallOptions): Promise<GuestAgentConnection | undefined>;
  /** Where SSH reaches the guest; asked after `start()` when `features.dynamicSSHAddress`. */
  sshAddress(options?: CallOptions): Promise<string>;
  /** Called after `start()`, before the first SSH connection. */
  additionalSetupForSSH(options?: CallOptions): Promise<void>;
}

export type ScreenshotFormat = "png" | "bmp";

/** Lima's driver.ErrNoDisplay: the VM has no display to capture. */
export class NoDisplayError extends Error {
  constructor(detail = "") {
    super(`no display configured${detail}`);
    this.name = "NoDisplayError";
  }
}

export class NotImplementedError extends Error {
  constructor(what: string) {
    super(`unimplemented: ${what}`);
  }
}
