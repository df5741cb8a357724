import { createReadStream, existsSync, statSync } from "node:fs";
import type http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CONSOLE_PATH = "/console";

/** Where `npm run build` in console/ puts the bundle. */
export const CONSOLE_DIST = fileURLToPath(new URL("../../console/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
  ".ico": "image/x-icon",
};

/**
 * Serves the built console: files under console/dist, and index.html for every other path
 * below /console (the page routes itself). Hashed assets are cached for good, index.html never.
 */
export function consoleFiles(dist = CONSOLE_DIST) {
  const root = path.resolve(dist);
  return (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      res.end();
      return;
    }
    if (pathname === CONSOLE_PATH) {
      res.writeHead(308, { location: `${CONSOLE_PATH}/` });
      res.end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice(CONSOLE_PATH.length + 1));
    } catch {
      rel = "";
    }
    let file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) file = root;
    const isAsset = rel.startsWith("assets/") && existsSync(file) && statSync(file).isFile();
    if (!isAsset) file = path.join(root, "index.html");
    if (!existsSync(file)) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
      res.end("The console is not built: run `npm ci && npm run build` in console/ (scripts/console-build.sh).\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-length": statSync(file).size,
      "cache-control": isAsset ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
      ...(isAsset ? {} : { "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'" }),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  };
}
