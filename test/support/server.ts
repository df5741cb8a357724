import { loadConfig, type SettingName } from "../../src/config.js";
import type { Dispatcher } from "../../src/dispatch/dispatcher.js";
import { startServer, type RunningServer } from "../../src/server/server.js";

/** Starts a server in this process on free loopback ports. */
export async function startTestServer(flags: Partial<Record<SettingName, string>> = {}, dispatcher?: Dispatcher): Promise<RunningServer> {
  const config = loadConfig({ port: "0", httpPort: "0", host: "127.0.0.1", dispatchWait: "500ms", ...flags }, {});
  return startServer(config, { dispatcher, log: () => {}, env: {} });
}
