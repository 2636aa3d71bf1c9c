// Defaults for the parts of the Driver interface most drivers do not need, so that a driver
// states only what it does. Optional features answer as Lima's drivers answer when they lack
// them (an "unimplemented" error); the lifecycle steps a VM needs (info, start, stop) are abstract.
import type { Instance } from "../../store/instance.js";
import { NotImplementedError, type CallOptions, type Driver, type DriverInfo, type GuestAgentConnection, type StartedVM, type StopOptions } from "../driver.js";

export abstract class DriverBase implements Driver {
  /** The instance given to configure(); undefined before. */
  protected instance?: Instance;

  abstract info(): Promise<DriverInfo>;
  abstract start(options?: CallOptions): Promise<StartedVM>;
  abstract stop(options?: StopOptions): Promise<void>;

  /** Remembers the instance; override to fill driver defaults into `inst.config`. */
  async configure(inst: Instance, _options?: CallOptions): Promise<Instance> {
    this.instance = inst;
    return inst;
  }

  /** The configured instance, for methods that need it. */
  protected get inst(): Instance {
    if (!this.instance) throw new Error("the driver is not configured (Configure was not called)");
    return this.instance;
  }

  async validate(): Promise<void> {}
  async create(): Promise<void> {}
  async createDisk(): Promise<void> {}
  async delete(): Promise<void> {}
  /** "": the status comes from the PID files, as for Lima's QEMU driver. */
  async inspectStatus(_inst: Instance, _options?: CallOptions): Promise<string> {
    return "";
  }
  async bootScripts(): Promise<Record<string, Uint8Array>> {
    return {};
  }
  async runGUI(): Promise<void> {
    throw new NotImplementedError("RunGUI");
  }
  async changeDisplayPassword(_password: string, _options?: CallOptions): Promise<void> {
    throw new NotImplementedError("ChangeDisplayPassword");
  }
  async displayConnection(): Promise<string> {
    throw new NotImplementedError("GetDisplayConnection");
  }
  async createSnapshot(_tag: string, _options?: CallOptions): Promise<void> {
    throw new NotImplementedError("CreateSnapshot");
  }
  async applySnapshot(_tag: string, _options?: CallOptions): Promise<void> {
    throw new NotImplementedError("ApplySnapshot");
  }
  async deleteSnapshot(_tag: string, _options?: CallOptions): Promise<void> {
    throw new NotImplementedError("DeleteSnapshot");
  }
  async listSnapshots(): Promise<string> {
    throw new NotImplementedError("ListSnapshots");
  }
  /** The host agent forwards `ga.sock` over SSH. */
  async forwardGuestAgent(): Promise<boolean> {
    return true;
  }
  async guestAgentConn(): Promise<GuestAgentConnection | undefined> {
    return undefined;
  }
  async sshAddress(): Promise<string> {
    return "127.0.0.1";
  }
  async additionalSetupForSSH(): Promise<void> {}
}
