// guestservice.proto as a protobufjs JSON descriptor: the bundles (limactl, and the guest agent
// compiled by bun) cannot read a .proto file at run time. test/unit/guestagent/api.test.ts checks
// that this equals what protobufjs parses from guestservice.proto, so the two cannot drift.
const timestamp = { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } };
const ipPort = { fields: { protocol: { type: "string", id: 1 }, ip: { type: "string", id: 2 }, port: { type: "int32", id: 3 } } };

export const GUEST_SERVICE_DESCRIPTOR = {
  nested: {
    google: { nested: { protobuf: { nested: { Empty: { fields: {} }, Timestamp: timestamp } } } },
    GuestService: {
      methods: {
        GetInfo: { requestType: "google.protobuf.Empty", responseType: "Info" },
        GetEvents: { requestType: "google.protobuf.Empty", responseType: "Event", responseStream: true },
        PostInotify: { requestType: "Inotify", requestStream: true, responseType: "google.protobuf.Empty" },
        Tunnel: { requestType: "TunnelMessage", requestStream: true, responseType: "TunnelMessage", responseStream: true },
        SyncTime: { requestType: "TimeSyncRequest", responseType: "TimeSyncResponse" },
      },
    },
    Info: { fields: { local_ports: { rule: "repeated", type: "IPPort", id: 1 } } },
    Event: {
      fields: {
        time: { type: "google.protobuf.Timestamp", id: 1 },
        added_local_ports: { rule: "repeated", type: "IPPort", id: 2 },
        removed_local_ports: { rule: "repeated", type: "IPPort", id: 3 },
        errors: { rule: "repeated", type: "string", id: 4 },
      },
    },
    IPPort: ipPort,
    Inotify: { fields: { mount_path: { type: "string", id: 1 }, time: { type: "google.protobuf.Timestamp", id: 2 } } },
    TunnelMessage: {
      fields: {
        id: { type: "string", id: 1 },
        protocol: { type: "string", id: 2 },
        data: { type: "bytes", id: 3 },
        guest_addr: { type: "string", id: 4 },
        udp_target_addr: { type: "string", id: 5 },
      },
    },
    TimeSyncRequest: { fields: { host_time: { type: "google.protobuf.Timestamp", id: 1 } } },
    TimeSyncResponse: {
      fields: { adjusted: { type: "bool", id: 1 }, drift_ms: { type: "int64", id: 2 }, error: { type: "string", id: 3 } },
    },
  },
};
