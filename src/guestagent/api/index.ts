// The guest agent's gRPC API (`GuestService`, no proto package) for both ends: the guest agent
// serves it, the host agent calls it. Messages use proto field names (snake_case) as in Lima's proto.
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import { GUEST_SERVICE_DESCRIPTOR } from "./descriptor.js";

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface IPPort {
  protocol: "tcp" | "udp" | string;
  ip: string;
  port: number;
}

export interface Info {
  local_ports: IPPort[];
}

export interface GuestEvent {
  time?: Timestamp | null;
  added_local_ports: IPPort[];
  removed_local_ports: IPPort[];
  errors: string[];
}

export interface Inotify {
  mount_path: string;
  time?: Timestamp | null;
}

export interface TunnelMessage {
  id: string;
  protocol: string;
  data: Buffer;
  guest_addr: string;
  udp_target_addr: string;
}

export interface TimeSyncRequest {
  host_time?: Timestamp | null;
}

export interface TimeSyncResponse {
  adjusted: boolean;
  drift_ms: number;
  error: string;
}

export type Empty = Record<string, never>;

/** Server-side handlers, typed per method. */
export interface GuestServiceHandlers extends grpc.UntypedServiceImplementation {
  GetInfo: grpc.handleUnaryCall<Empty, Info>;
  GetEvents: grpc.handleServerStreamingCall<Empty, GuestEvent>;
  PostInotify: grpc.handleClientStreamingCall<Inotify, Empty>;
  Tunnel: grpc.handleBidiStreamingCall<TunnelMessage, TunnelMessage>;
  SyncTime: grpc.handleUnaryCall<TimeSyncRequest, TimeSyncResponse>;
}

/** The client as @grpc/grpc-js makes it from the service definition. */
export interface GuestServiceClient extends grpc.Client {
  GetInfo(request: Empty, options: grpc.CallOptions, callback: grpc.requestCallback<Info>): grpc.ClientUnaryCall;
  GetEvents(request: Empty, options?: grpc.CallOptions): grpc.ClientReadableStream<GuestEvent>;
  PostInotify(options: grpc.CallOptions, callback: grpc.requestCallback<Empty>): grpc.ClientWritableStream<Inotify>;
  Tunnel(options?: grpc.CallOptions): grpc.ClientDuplexStream<TunnelMessage, TunnelMessage>;
  SyncTime(request: TimeSyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<TimeSyncResponse>): grpc.ClientUnaryCall;
}

/** keepCase: proto names on the wire and in code; longs and enums as plain JS values. */
const LOADER_OPTIONS = { keepCase: true, longs: Number, defaults: true, oneofs: true } as const;

/** protobufjs types methods as needing a `comment`; the JSON form does not. */
function packageDefinition(): grpc.GrpcObject {
  return grpc.loadPackageDefinition(fromJSON(GUEST_SERVICE_DESCRIPTOR as Parameters<typeof fromJSON>[0], LOADER_OPTIONS));
}

let serviceDefinition: grpc.ServiceDefinition | undefined;

export function guestServiceDefinition(): grpc.ServiceDefinition {
  serviceDefinition ??= (packageDefinition().GuestService as grpc.ServiceClientConstructor).service;
  return serviceDefinition;
}

function clientConstructor(): grpc.ServiceClientConstructor {
  return packageDefinition().GuestService as grpc.ServiceClientConstructor;
}

/**
 * Server options as Lima's guest agent sets them (large windows for tunnel throughput, many
 * concurrent tunnel streams, no keepalive pings that would wake an idle guest).
 */
export const GUEST_SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.max_concurrent_streams": 2048,
  "grpc.http2.max_frame_size": 1 << 20,
  "grpc-node.max_session_memory": 512,
  "grpc.max_receive_message_length": 64 << 20,
  "grpc.max_send_message_length": 64 << 20,
};

/** A client for the guest agent listening on the unix socket `socketPath` (e.g. `$INST/ga.sock`). */
export function guestServiceClient(socketPath: string): GuestServiceClient {
  const Client = clientConstructor();
  return new Client(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 << 20,
    "grpc.max_send_message_length": 64 << 20,
    // Guest→host tunnel data: a 64 KiB window stalls every 64 KiB for an SSH round trip (see server.ts).
    "grpc-node.flow_control_window": 64 << 20,
    // The guest agent may restart; reconnect promptly rather than with the default multi-second backoff.
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 2000,
  }) as unknown as GuestServiceClient;
}

/** `Date` ↔ `google.protobuf.Timestamp`. */
export function toTimestamp(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

export function fromTimestamp(ts: Timestamp | null | undefined): Date | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6));
}
