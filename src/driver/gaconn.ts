// A driver's direct guest agent connection (vsock, ...) made reachable where the host agent
// dials: `$INST/ga.sock` accepts one connection and splices it both ways (as Lima's driver
// server does). Used by the SDK's GuestAgentConn and by the host agent for internal drivers.
import net from "node:net";
import type { GuestAgentConnection } from "./driver.js";

export async function offerGuestAgentConnection(connection: GuestAgentConnection, socketPath: string): Promise<void> {
  if (connection.kind === "unix") {
    // The host agent dials ga.sock itself; this copy of the connection is not needed.
    connection.conn.destroy();
    return;
  }
  const listener = net.createServer();
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(socketPath, () => resolve());
  });
  listener.once("connection", (socket) => {
    listener.close();
    socket.pipe(connection.conn).pipe(socket);
    const closeBoth = (): void => {
      socket.destroy();
      connection.conn.destroy();
    };
    socket.once("close", closeBoth);
    connection.conn.once("close", closeBoth);
    socket.on("error", closeBoth);
    connection.conn.on("error", closeBoth);
  });
}
