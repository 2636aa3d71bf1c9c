// The instance record (Lima's limatype.Instance): `limactl list --json`, the external driver
// protocol and message templates all use it. Key order matters for JSON output.
import type { Arch, Disk, LimaYAML, Network, VMType } from "../config/types.js";

export type Status = "" | "Uninitialized" | "Installing" | "Broken" | "Stopped" | "Running";

export interface Instance {
  name: string;
  hostname: string;
  status: Status;
  dir: string;
  vmType: VMType;
  arch: Arch | string;
  cpus?: number;
  memory?: number;
  disk?: number;
  message?: string;
  additionalDisks?: Disk[];
  network?: Network[];
  sshLocalPort?: number;
  sshConfigFile?: string;
  hostAgentPID?: number;
  driverPID?: number;
  errors?: string[];
  config?: LimaYAML;
  sshAddress?: string;
  protected: boolean;
  limaVersion: string;
  param?: Record<string, string>;
  autoStartedIdentifier?: string;
}
