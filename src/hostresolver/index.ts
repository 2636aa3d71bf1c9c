// Lima's host DNS resolver (hostResolver in lima.yaml), run by the host agent.
export { hostResolverHosts } from "./hosts.js";
export { startHostResolver, type HostResolver } from "./server.js";
export type { HandlerOptions } from "./handler.js";
