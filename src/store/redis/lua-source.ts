import { readdirSync, readFileSync } from "node:fs";
import { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import { ContainerKind } from "../../../gen/ts/mageflow/v1/signature_pb.js";
import { CANCEL_ON_DISPATCH, DISPATCHABLE, IN_FLIGHT, PARKING, RUN_STEPS, RUNNABLE, START_SKIP_REASONS, TERMINAL, TRANSITIONS, containerRule, type Status } from "../../core/status.js";
import { DispatchState, EVENT_OMITTED_FIELDS, F } from "../record.js";
import { OUTBOX_GROUP } from "./keys.js";

const COMMANDS_DIR = new URL("./commands/", import.meta.url);
const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;
const GENERATED = /^--- @generated\s*$/m;

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
    let text = readFileSync(new URL(`includes/${name}.lua`, COMMANDS_DIR), "utf8");
    if (name === "constants") text = text.replace(GENERATED, () => constantsLua());
    return inline(text, seen);
  });
}

/**
 * The values of the `constants` include (commands/includes/constants.lua documents each name), generated so the enums, the record layout, the outbox group and every status set and
 * rule of src/core/status.ts have one source, the TS code: no script names a status itself.
 */
export function constantsLua(): string {
  const numbers = (e: object) =>
    Object.entries(e)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => `${k} = ${v}`)
      .join(", ");
  const fields = Object.entries(F)
    .map(([k, v]) => `${k} = '${v}'`)
    .join(", ");
  const set = (statuses: readonly Status[]) => `{ ${statuses.map((s) => `[${s}] = true`).join(", ")} }`;
  const reasons = Object.entries(START_SKIP_REASONS)
    .map(([s, r]) => `[${s}] = '${r}'`)
    .join(", ");
  const steps = Object.entries(RUN_STEPS)
    .map(([name, s]) => `${name} = { from = ${s.from}, to = ${s.to} }`)
    .join(", ");
  return [
    `local DS = { ${numbers(DispatchState)} }`,
    `local EV = { ${numbers(EventType)} }`,
    `local F = { ${fields} }`,
    `local EVENT_OMITTED = { ${EVENT_OMITTED_FIELDS.map((f) => `['${f}'] = true`).join(", ")} }`,
    `local OUTBOX_GROUP = '${OUTBOX_GROUP}'`,
    `local TERMINAL = ${set(TERMINAL)}`,
    `local RUNNABLE = ${set(RUNNABLE)}`,
    `local PARKING = ${set(PARKING)}`,
    `local DISPATCHABLE = ${set(DISPATCHABLE)}`,
    `local IN_FLIGHT = ${set(IN_FLIGHT)}`,
    `local CANCEL_ON_DISPATCH = ${set(CANCEL_ON_DISPATCH)}`,
    `local START_SKIP_REASONS = { ${reasons} }`,
    `local RUN_STEPS = { ${steps} }`,
    `local CK = { ${numbers(ContainerKind)} }`,
    `local CANCEL_RULES = cjson.decode([==[${JSON.stringify({ plain: TRANSITIONS.cancel, container: containerRule(TRANSITIONS.cancel) })}]==])`,
    "",
  ].join("\n");
}
