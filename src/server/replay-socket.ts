import type net from "node:net";
import { Duplex } from "node:stream";

/**
 * A socket whose first, already-read bytes are delivered again. Node's HTTP/2 server reads
 * a plain net.Socket's handle directly (bytes read in JS are lost to it), but it reads any
 * other Duplex through the stream API, so the sniffed preface reaches it.
 */
export function replaySocket(socket: net.Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, cb) {
      socket.write(chunk, encoding, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  d.push(first);
  socket.on("data", (chunk) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.once("end", () => d.push(null));
  socket.once("close", () => d.destroy());
  socket.on("error", (e) => d.destroy(e));
  Object.assign(d, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, setNoDelay: () => d, setKeepAlive: () => d, setTimeout: () => d });
  return d;
}
