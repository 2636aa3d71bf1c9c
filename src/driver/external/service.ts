// The `Driver` gRPC service (no proto package: paths are `/Driver/<Method>`) for both ends. Only
// the client (loaded on first use) and the driver SDK import this, so commands that never talk to
// an external driver do not load @grpc/grpc-js. Messages use proto field names, as in driver.proto.
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import { DRIVER_SERVICE_DESCRIPTOR } from "./descriptor.js";

export type Empty = Record<string, never>;
export interface StartResponse {
  success: boolean;
  error: string;
}
export interface InfoResponse {
  info_json: Buffer;
}
export interface InstanceConfigMessage {
  instance_config_json: Buffer;
}
export interface BootScriptsResponse {
  scripts: Record<string, Buffer>;
}
export interface SSHAddressResponse {
  address: string;
}
export interface ChangeDisplayPasswordRequest {
  password: string;
}
export interface GetDisplayConnectionResponse {
  connection: string;
}
export interface SnapshotRequest {
  tag: string;
}
export interface ListSnapshotsResponse {
  snapshots: string;
}
export interface ForwardGuestAgentResponse {
  should_forward: boolean;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** Server-side handlers, typed per method. */
export interface DriverHandlers extends grpc.UntypedServiceImplementation {
  Validate: Unary<Empty, Empty>;
  Create: Unary<Empty, Empty>;
  CreateDisk: Unary<Empty, Empty>;
  Start: grpc.handleServerStreamingCall<Empty, StartResponse>;
  Stop: Unary<Empty, Empty>;
  Delete: Unary<Empty, Empty>;
  BootScripts: Unary<Empty, BootScriptsResponse>;
  RunGUI: Unary<Empty, Empty>;
  ChangeDisplayPassword: Unary<ChangeDisplayPasswordRequest, Empty>;
  GetDisplayConnection: Unary<Empty, GetDisplayConnectionResponse>;
  CreateSnapshot: Unary<SnapshotRequest, Empty>;
  ApplySnapshot: Unary<SnapshotRequest, Empty>;
  DeleteSnapshot: Unary<SnapshotRequest, Empty>;
  ListSnapshots: Unary<Empty, ListSnapshotsResponse>;
  ForwardGuestAgent: Unary<Empty, ForwardGuestAgentResponse>;
  GuestAgentConn: Unary<Empty, Empty>;
  Configure: Unary<InstanceConfigMessage, InstanceConfigMessage>;
  Info: Unary<Empty, InfoResponse>;
  SSHAddress: Unary<Empty, SSHAddressResponse>;
  AdditionalSetupForSSH: Unary<Empty, Empty>;
}

/** The unary methods by request and response type, for the client's one generic caller. */
export interface DriverUnaryMethods {
  Validate: [Empty, Empty];
  Create: [Empty, Empty];
  CreateDisk: [Empty, Empty];
  Stop: [Empty, Empty];
  Delete: [Empty, Empty];
  BootScripts: [Empty, BootScriptsResponse];
  RunGUI: [Empty, Empty];
  ChangeDisplayPassword: [ChangeDisplayPasswordRequest, Empty];
  GetDisplayConnection: [Empty, GetDisplayConnectionResponse];
  CreateSnapshot: [SnapshotRequest, Empty];
  ApplySnapshot: [SnapshotRequest, Empty];
  DeleteSnapshot: [SnapshotRequest, Empty];
  ListSnapshots: [Empty, ListSnapshotsResponse];
  ForwardGuestAgent: [Empty, ForwardGuestAgentResponse];
  GuestAgentConn: [Empty, Empty];
  Configure: [InstanceConfigMessage, InstanceConfigMessage];
  Info: [Empty, InfoResponse];
  SSHAddress: [Empty, SSHAddressResponse];
  AdditionalSetupForSSH: [Empty, Empty];
}

/** keepCase: proto names on the wire and in code; defaults: absent fields read as zero values. */
const LOADER_OPTIONS = { keepCase: true, longs: Number, defaults: true, oneofs: true } as const;

function serviceConstructor(): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(fromJSON(DRIVER_SERVICE_DESCRIPTOR as Parameters<typeof fromJSON>[0], LOADER_OPTIONS));
  return pkg.Driver as grpc.ServiceClientConstructor;
}

let constructorCache: grpc.ServiceClientConstructor | undefined;
function driverService(): grpc.ServiceClientConstructor {
  constructorCache ??= serviceConstructor();
  return constructorCache;
}

export function driverServiceDefinition(): grpc.ServiceDefinition {
  return driverService().service;
}

/** Lima's client and server limit: 16 MiB per message (the instance JSON, boot scripts). */
export const MAX_MESSAGE_BYTES = 16 << 20;

/** A client on `<inst>/<name>.drv.sock`: insecure, as Lima's (a unix socket of the user's own). */
export function driverClient(socketPath: string): grpc.Client {
  const Client = driverService();
  return new Client(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  });
}

export { grpc };
