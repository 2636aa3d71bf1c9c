// The driver registry with the internal drivers in it. Code that needs a driver imports from
// here, so commands that never touch one (`list`, `shell`) do not load the QEMU driver.
import "./qemu/index.js";

export { allDrivers, driverNames, lookupDriver } from "./registry.js";
