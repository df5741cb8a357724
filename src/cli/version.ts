import { readFileSync } from "node:fs";

/** The release version: the `version` of the service's package.json, the one place every artifact takes it from. */
export function serviceVersion(): string {
  // src/cli/ when run from source, dist/src/cli/ when compiled: walk up to the package.json.
  for (let dir = new URL("../", import.meta.url); dir.pathname !== "/"; dir = new URL("../", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "mageflow-signature-service" && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level
    }
  }
  return "unknown";
}
