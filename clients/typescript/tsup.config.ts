import { defineConfig } from "tsup";

// One bundle per module format: the client and the generated code it uses (gen/ts) inlined,
// its three runtime dependencies left as imports. Run from the repository root: `npm run build:client`.
export default defineConfig({
  entry: { index: "clients/typescript/src/index.ts" },
  outDir: "clients/typescript/dist",
  format: ["esm", "cjs"],
  target: "node20",
  platform: "node",
  dts: { compilerOptions: { skipLibCheck: false } },
  tsconfig: "clients/typescript/tsconfig.json",
  external: [/^@bufbuild\/protobuf/, /^@connectrpc\//],
  clean: true,
  sourcemap: true,
  treeshake: true,
});
