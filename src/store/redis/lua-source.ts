import { readdirSync, readFileSync } from "node:fs";
import { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import { Status, TERMINAL } from "../../core/status.js";
import { DispatchState, F } from "../record.js";
import { OUTBOX_GROUP } from "./keys.js";

const COMMANDS_DIR = new URL("./commands/", import.meta.url);
const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;

export interface LuaCommand {
  /** The file name without `-<numkeys>.lua`, e.g. `completeTask`. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

/** Every `commands/<name>-<numkeys>.lua`, with its includes inlined (each include once per script). */
export function loadLuaCommands(): LuaCommand[] {
  return readdirSync(COMMANDS_DIR)
    .map((file) => /^(\w+)-(\d+)\.lua$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([file, name, keys]) => ({
      name,
      numberOfKeys: Number(keys),
      lua: inline(readFileSync(new URL(file, COMMANDS_DIR), "utf8"), new Set()),
    }));
}

function inline(source: string, seen: Set<string>): string {
  return source.replace(INCLUDE, (_line, name: string) => {
    if (seen.has(name)) return "";
    seen.add(name);
    const text = name === "constants" ? constantsLua() : readFileSync(new URL(`includes/${name}.lua`, COMMANDS_DIR), "utf8");
    return inline(text, seen);
  });
}

/** The `constants` include, generated so the enums, the record layout and the outbox group have one source: the TS code. */
function constantsLua(): string {
  const numbers = (e: object) =>
    Object.entries(e)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => `${k} = ${v}`)
      .join(", ");
  const fields = Object.entries(F)
    .map(([k, v]) => `${k} = '${v}'`)
    .join(", ");
  return [
    "-- Generated from the TS enums and src/store/record.ts (lua-source.ts).",
    `local ST = { ${numbers(Status)} }`,
    `local DS = { ${numbers(DispatchState)} }`,
    `local EV = { ${numbers(EventType)} }`,
    `local TERMINAL = { ${TERMINAL.map((s) => `[${s}] = true`).join(", ")} }`,
    `local F = { ${fields} }`,
    `local OUTBOX_GROUP = '${OUTBOX_GROUP}'`,
    "",
  ].join("\n");
}
