// The driver interface as Lima defines it (pkg/driver). Internal drivers implement it directly;
// the external driver client implements it over gRPC, so callers never know which one they use.
import type { LimaYAML } from "../config/types.js";
import type { Instance } from "../store/instance.js";

export interface DriverFeatures {
  canRunGui?: boolean;
  dynamicSSHAddress: boolean;
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

/** A running VM reports asynchronous failures here; the HA stops when it yields. */
export interface StartedVM {
  /** Resolves when the VM process exits, with an error if it exited unexpectedly. */
  exited: Promise<Error | undefined>;
}

export interface StopOptions {
  /** Kill the VM at once instead of shutting the guest down: for a guest that has not run yet. */
  force?: boolean;
}

export interface Driver {
  info(): DriverInfo;
  /** Fills driver-specific defaults into `inst.config` (mountType, vnc display, ...) and remembers the instance. */
  configure(inst: Instance): void;
  /** Fills driver defaults into a config that has no instance yet (template validate --fill). */
  fillConfig(config: LimaYAML, filePath: string): void;
  validate(): Promise<void>;
  create(): Promise<void>;
  createDisk(): Promise<void>;
  start(): Promise<StartedVM>;
  stop(options?: StopOptions): Promise<void>;
  delete(): Promise<void>;
  /** A status, or "" to let the caller decide from pid files. */
  inspectStatus(inst: Instance): Promise<string>;
  /** Extra cidata files keyed `boot.<OS>/<name>`. */
  bootScripts(): Promise<Record<string, Uint8Array>>;
  runGUI(): Promise<void>;
  changeDisplayPassword(password: string): Promise<void>;
  displayConnection(): Promise<string>;
  createSnapshot(tag: string): Promise<void>;
  applySnapshot(tag: string): Promise<void>;
  deleteSnapshot(tag: string): Promise<void>;
  listSnapshots(): Promise<string>;
  /** True when the host agent must forward `ga.sock` over SSH. */
  forwardGuestAgent(): boolean;
  sshAddress(): Promise<string>;
  additionalSetupForSSH(): Promise<void>;
}

export class NotImplementedError extends Error {
  constructor(what: string) {
    super(`unimplemented: ${what}`);
  }
}
