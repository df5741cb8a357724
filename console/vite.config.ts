import { defineConfig } from "vite";

// The console is served by the service at /console; the generated protobuf code lives in ../gen/ts.
export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic" },
  resolve: { dedupe: ["@bufbuild/protobuf"] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // Mantine marks its modules "use client" (for React server components), which a plain bundle ignores.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
