import http from "node:http";
import type { AddressInfo } from "node:net";

/** One span as received over OTLP/HTTP JSON (ids in hex). */
export interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
  status: number;
}

/** OTLP span kinds (opentelemetry.proto.trace.v1.Span.SpanKind). */
export const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** An OTLP/HTTP receiver (JSON encoding, `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) on 127.0.0.1 that keeps every span. */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        for (const rs of body.resourceSpans ?? []) {
          const service = attributesOf(rs.resource?.attributes)["service.name"] as string;
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                name: s.name,
                kind: s.kind,
                traceId: hex(s.traceId),
                spanId: hex(s.spanId),
                parentSpanId: hex(s.parentSpanId),
                attributes: attributesOf(s.attributes),
                status: s.status?.code ?? 0,
              });
            }
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** JSON OTLP carries ids as hex; tolerate base64 too. */
function hex(id: unknown): string {
  if (typeof id !== "string" || id === "") return "";
  return /^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16) ? id.toLowerCase() : Buffer.from(id, "base64").toString("hex");
}

function attributesOf(list: { key: string; value: Record<string, unknown> }[] | undefined) {
  const out: Record<string, string | number | boolean> = {};
  for (const a of list ?? []) {
    const v = a.value ?? {};
    out[a.key] = (v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue) as string | number | boolean;
  }
  return out;
}
