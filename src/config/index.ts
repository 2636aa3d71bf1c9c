// lima.yaml: schema types, loading (with `_config` default/override), defaults, validation, marshalling.
export * from "./types.js";
export { parseSize, bytesSize } from "./size.js";
export { loadYAML, parseSource, type LoadedConfig, type LoadOptions, type ParsedSource } from "./load.js";
export {
  fillDefault,
  fixUpForPlainMode,
  defaultVMType,
  defaultCPUs,
  defaultMemory,
  defaultHomeTemplate,
  resolveOS,
  resolveArch,
  DEFAULT_CONTAINERD_ARCHIVES,
  DEFAULT_VIRTIOFS_QUEUE_SIZE,
  type FillContext,
  type FillOptions,
  type HostUser,
} from "./defaults.js";
export { driverDefaultsQEMU, validateQEMUConfig, resolveVMType, BUILTIN_VM_TYPES } from "./driverdefaults.js";
export { hostContext, hostArch, hostOS, existingLimaVersion, isExistingInstanceDir, machineId } from "./host.js";
export { macAddress } from "./mac.js";
export { loadNetworkModes, validate, validateParamIsUsed, type ValidateOptions } from "./validate.js";
export { unimplementedFields } from "./unimplemented.js";
export { marshalConfig, toJSONObject } from "./marshal.js";
export { guestTemplateData, hostTemplateData } from "./templatevars.js";
