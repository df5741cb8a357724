import { toJson } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import { SignatureEventSchema } from "../../gen/ts/mageflow/v1/event_pb.js";
import { SignatureSchema } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { dispatchStateName, EventType, eventTypeName, Status, statusName, type Signature, type SignatureEvent } from "../../clients/typescript/src/index.js";

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof ANSI;

export const stdoutColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

export const paint = (enabled: boolean, color: Color, text: string) => (enabled ? `\x1b[${ANSI[color]}m${text}\x1b[0m` : text);

const STATUS_COLOR: Record<number, Color> = {
  [Status.PENDING]: "yellow",
  [Status.ACTIVE]: "cyan",
  [Status.DONE]: "green",
  [Status.FAILED]: "red",
  [Status.SUSPENDED]: "magenta",
  [Status.INTERRUPTED]: "magenta",
  [Status.CANCELED]: "gray",
};

export const statusText = (color: boolean, s: Status | undefined) => paint(color, STATUS_COLOR[s ?? 0] ?? "gray", statusName(s) || "-");

/** "5s ago", "in 3h", "just now". */
export function relTime(ts: Timestamp | undefined, now = Date.now()): string {
  if (!ts) return "-";
  const ms = timestampDate(ts).getTime() - now;
  const abs = Math.abs(ms);
  if (abs < 1000) return "just now";
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  const [size, unit] = units.find(([size]) => abs >= size)!;
  const n = Math.floor(abs / size);
  return ms < 0 ? `${n}${unit} ago` : `in ${n}${unit}`;
}

const iso = (ts: Timestamp | undefined) => (ts ? timestampDate(ts).toISOString() : "-");
const visibleLength = (s: string) => s.replace(/\x1b\[\d+m/g, "").length;

export function table(headers: string[], rows: string[][], color: boolean): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - visibleLength(c)))).join("  ");
  return [paint(color, "bold", line(headers)), ...rows.map(line)].join("\n");
}

export function signatureRows(sigs: Signature[], color: boolean): string[][] {
  return sigs.map((s) => [s.key, s.taskName, statusText(color, s.taskStatus?.status) + (s.removed ? " (removed)" : ""), relTime(s.creationTime), relTime(s.updateTime), String(s.revision)]);
}
export const SIGNATURE_HEADERS = ["KEY", "TASK", "STATUS", "CREATED", "UPDATED", "REV"];

/** One line: key, task, status (and the previous one), revision. */
export function signatureLine(s: Signature, color: boolean): string {
  const was = s.taskStatus?.lastStatus ? ` (was ${statusName(s.taskStatus.lastStatus)})` : "";
  return `${s.key}  ${s.taskName}  ${statusText(color, s.taskStatus?.status)}${was}  rev ${s.revision}`;
}

export function signatureDetail(s: Signature, color: boolean): string {
  const rows: [string, string][] = [
    ["key", s.key],
    ["task", s.taskName],
    ["status", signatureStatus(s, color)],
    ["kwargs", JSON.stringify(s.kwargs ?? {})],
    ["on success", s.successCallbacks.join(", ") || "-"],
    ["on error", s.errorCallbacks.join(", ") || "-"],
    ["return field", s.returnFieldName],
    ["created", `${relTime(s.creationTime)} (${iso(s.creationTime)})`],
    ["updated", `${relTime(s.updateTime)} (${iso(s.updateTime)})`],
    ["expires", `${relTime(s.expireTime)} (${iso(s.expireTime)})`],
    ["revision", String(s.revision)],
  ];
  if (s.run) {
    const r = s.run;
    rows.push(["run", `attempt ${r.attempt}, ${dispatchStateName(r.dispatchState) || "-"}, run id ${r.runId || "-"}, dispatched ${relTime(r.dispatchTime)}`]);
    rows.push(["run input", JSON.stringify(r.lastInput ?? {})]);
    if (r.result) rows.push(["result", JSON.stringify(toJson(ValueSchema, r.result))]);
    if (r.error) rows.push(["error", `${r.error.type || "Error"}: ${r.error.message} (attempt ${r.error.attempt})`]);
  }
  if (s.lock) rows.push(["lock", `held by ${s.lock.owner || "(anonymous)"}, expires ${relTime(s.lock.expireTime)}`]);
  if (Object.keys(s.metadata).length > 0) rows.push(["metadata", Object.entries(s.metadata).map(([k, v]) => `${k}=${v}`).join(", ")]);
  if (s.inputSchema) rows.push(["input schema", JSON.stringify(s.inputSchema)]);
  if (s.containerKey) rows.push(["container", s.containerKey]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${paint(color, "bold", k.padEnd(width))}  ${v}`).join("\n");
}

function signatureStatus(s: Signature, color: boolean) {
  const was = s.taskStatus?.lastStatus ? ` (was ${statusName(s.taskStatus.lastStatus)})` : "";
  return `${statusText(color, s.taskStatus?.status)}${was}${s.removed ? ", removed" : ""}`;
}

/** `12:00:01.250  #42  STATUS_CHANGED  TaskSignature:…  send-email  DONE (was ACTIVE)  run r-1` */
export function eventLine(e: SignatureEvent, color: boolean): string {
  const time = e.eventTime ? timestampDate(e.eventTime).toISOString().slice(11, 23) : "--:--:--.---";
  const was = e.type === EventType.STATUS_CHANGED && e.lastStatus ? paint(color, "gray", ` (was ${statusName(e.lastStatus)})`) : "";
  const run = e.runId ? `  run ${e.runId}` : "";
  return `${paint(color, "gray", time)}  ${`#${e.revision}`.padEnd(6)}  ${paint(color, "bold", eventTypeName(e.type).padEnd(15))}  ${e.key}  ${e.taskName}  ${statusText(color, e.status)}${was}${run}`;
}

export const signatureJson = (s: Signature) => toJson(SignatureSchema, s);
export const eventJson = (e: SignatureEvent) => toJson(SignatureEventSchema, e);

/** Prints a signature as one line (`verb KEY task STATUS`) or as JSON. */
export interface Printer {
  opts: { json?: boolean | undefined };
  print(line?: string): void;
  printJson(value: unknown): void;
}

export function printSignature(ctx: Printer, verb: string, s: Signature) {
  if (ctx.opts.json) ctx.printJson(signatureJson(s));
  else ctx.print(`${verb} ${signatureLine(s, stdoutColor())}`);
}
