import { HatchetClient } from "@hatchet-dev/typescript-sdk";

type SdkOptions = Parameters<typeof HatchetClient.init>[0];

/** Where a test engine (the real one or the stand-in) answers. */
export interface EngineAddress {
  token: string;
  hostPort: string;
  apiUrl: string;
}

const silent = { debug() {}, info() {}, green() {}, warn() {}, error() {} };

/** The Hatchet SDK on a private engine: no TLS, no namespace, no log output; `options` override. */
export function testSdk(engine: EngineAddress, options: Partial<NonNullable<SdkOptions>> = {}): HatchetClient {
  return HatchetClient.init({
    token: engine.token,
    host_port: engine.hostPort,
    api_url: engine.apiUrl,
    tls_config: { tls_strategy: "none" },
    namespace: "",
    logger: () => silent,
    ...options,
  } as SdkOptions);
}
