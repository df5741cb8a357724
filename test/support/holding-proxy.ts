import net from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that can hold back what the upstream answers: while held, requests still reach
 * the upstream, its replies are kept (and dropped with the connection if the client dies first).
 */
export interface HoldingProxy {
  port: number;
  hold(on: boolean): void;
  close(): Promise<void>;
}

export async function startHoldingProxy(upstreamHost: string, upstreamPort: number): Promise<HoldingProxy> {
  let holding = false;
  const flushes = new Set<() => void>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    const held: Buffer[] = [];
    const flush = () => {
      for (const b of held.splice(0)) client.write(b);
    };
    flushes.add(flush);
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => (holding ? held.push(d) : client.write(d)));
    const end = () => {
      flushes.delete(flush);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hold(on) {
      holding = on;
      if (!on) for (const f of flushes) f();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
