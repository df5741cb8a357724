import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export const GRPCURL_MODULE = "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4";

/** The grpcurl binary: on PATH, or in Go's bin folder, or installed there with `go install` (pinned). */
export function grpcurlPath(): string {
  const onPath = (process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "grpcurl")).find((p) => existsSync(p));
  if (onPath) return onPath;
  const goBin = path.join(execFileSync("go", ["env", "GOPATH"], { encoding: "utf8" }).trim().split(path.delimiter)[0]!, "bin");
  const installed = path.join(process.env.GOBIN || goBin, "grpcurl");
  if (!existsSync(installed)) execFileSync("go", ["install", GRPCURL_MODULE], { stdio: "inherit", timeout: 600_000 });
  return installed;
}

/** Runs grpcurl; resolves with stdout and stderr whatever its exit code (an RPC error exits non-zero). */
export function grpcurl(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
