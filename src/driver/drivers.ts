// The driver registry with the internal drivers in it. Code that needs a driver imports from
// here, so commands that never touch one (`list`, `shell`) do not load the QEMU driver. External
// drivers get the gRPC client, which loads @grpc/grpc-js only when it first talks to a driver.
import { ExternalDriver } from "./external/client.js";
import "./qemu/index.js";
import { setExternalDriverFactory } from "./registry.js";

setExternalDriverFactory((name, program) => new ExternalDriver(name, program));

export { allDrivers, driverNames, lookupDriver } from "./registry.js";
