// The driver SDK: a VM driver in TypeScript is a class implementing `Driver` (or extending
// `DriverBase`) and one line, `serve(new MyDriver())`, in a program named `lima-driver-<name>`.
// Lima then finds the program (LIMA_DRIVERS_PATH, <prefix>/libexec/lima) and talks to it over
// its `Driver` gRPC protocol, exactly as to a driver written in Go.
export { serve } from "./server.js";
export { DriverBase } from "./base.js";
export { NotImplementedError } from "../driver.js";
export type {
  CallOptions,
  Driver,
  DriverFeatures,
  DriverInfo,
  GuestAgentConnection,
  StartedVM,
  StopOptions,
} from "../driver.js";
export type { Instance } from "../../store/instance.js";
export type { LimaYAML } from "../../config/types.js";
export { Channel } from "../../util/channel.js";
