/**
 * Randomized fault test (Redis store): writers and several resuming watchers run while the
 * test SIGKILLs and restarts the `mageflow serve` process, drops client connections and
 * restarts redis-server (AOF on, fsync always; crashes and clean stops). Every watcher resumes
 * at its last revision + 1; afterwards the validator checks every history against the full
 * event log in Redis. Seeded and bounded: FAULT_SECONDS of faults per seed (default 10).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { openRedisStore } from "../../src/store/redis/index.js";
import type { Store } from "../../src/store/store.js";
import { defaultOptions } from "../conformance/backends.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { assertWatchHistory, type WClient, type WEvent } from "../support/watch-validator.js";
import { grpcClient, randomOp, readLog, ResumingWatcher, rng, sleep, until } from "./harness.js";

const SEEDS = (process.env.FAULT_SEEDS ?? "1,2,3").split(",").map(Number);
const FAULT_MS = Number(process.env.FAULT_SECONDS ?? "10") * 1000;
const TASKS = ["fa", "fb", "fc"] as const;

describe("watch under faults (Redis store)", { skip: redisSkipReason(), timeout: 60_000 + SEEDS.length * (FAULT_MS + 30_000) }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  for (const seed of SEEDS) {
    test(`seed ${seed}`, async () => {
      const r = rng(seed);
      const prefix = `fault${seed}`;
      const redis: RedisServer = await startRedisServer({ appendOnly: true });
      cleanup.push(() => redis.stop());
      const server: ServerProcess = await startServerProcess({ redisUrl: redis.url, redisPrefix: prefix });
      cleanup.push(() => server.kill());
      const stats = { serverKills: 0, redisCrashes: 0, redisStops: 0, disconnects: 0, writes: 0, failedWrites: 0, refusedWrites: 0, unexpectedExits: 0 };

      const filters: [string, ((e: WEvent) => boolean) | undefined, string[] | undefined][] = [
        ["all-1", undefined, undefined],
        ["all-2", undefined, undefined],
        ["fa", (e) => e.taskName === "fa", ["fa"]],
        ["fb+fc", (e) => e.taskName === "fb" || e.taskName === "fc", ["fb", "fc"]],
      ];
      // Half the watchers on the Connect port, half on the gRPC port; writers on the gRPC port.
      const grpcUrl = () => `http://127.0.0.1:${server.grpcPort}`;
      const watchers = filters.map(([name, , taskNames], i) =>
        (i % 2 === 0
          ? new ResumingWatcher(name, () => server.baseUrl, 1, { filter: taskNames && { taskNames }, progressMs: 200 })
          : new ResumingWatcher(name, grpcUrl, 1, { filter: taskNames && { taskNames }, progressMs: 200 }, grpcClient)
        ).run(),
      );

      let writing = true;
      const writers = Array.from({ length: 3 }, async (_, w) => {
        const wr = rng(seed * 100 + w);
        const keys: string[] = [];
        let client = grpcClient(grpcUrl());
        while (writing) {
          const code = await randomOp(client, wr, keys, TASKS, 1500);
          if (code === "OK") stats.writes++;
          else if (["Unavailable", "DeadlineExceeded", "Internal", "Unknown", "Canceled"].includes(code)) {
            // The server or Redis is down (or was): a fresh connection, after a pause.
            stats.failedWrites++;
            client = grpcClient(grpcUrl());
            await sleep(100);
          } else stats.refusedWrites++;
        }
      });

      // Faults, one at a time, at seeded moments: each kind once first (in a seeded order), then at random.
      const first = ["server", "crash", "stop", "disconnect"].sort(() => r.next() - 0.5);
      const deadline = Date.now() + FAULT_MS;
      while (Date.now() < deadline) {
        await sleep(300 + r.int(900));
        const roll = r.int(100);
        const kind = first.shift() ?? (roll < 20 ? "server" : roll < 45 ? (r.chance(0.6) ? "crash" : "stop") : roll < 80 ? "disconnect" : "none");
        if (kind === "server") {
          await server.kill();
          stats.serverKills++;
          await sleep(r.int(300));
          await server.restart();
        } else if (kind === "crash" || kind === "stop") {
          const crash = kind === "crash";
          await redis.kill(crash ? "SIGKILL" : "SIGTERM");
          if (crash) stats.redisCrashes++;
          else stats.redisStops++;
          await sleep(r.int(400));
          await redis.start();
        } else if (kind === "disconnect") {
          for (const w of watchers) if (r.chance(0.5)) (w.disconnect(), stats.disconnects++);
        }
        // A server that died by itself (not by the test) is restarted, and counted.
        if (!server.running()) {
          stats.unexpectedExits++;
          await server.restart();
        }
      }

      writing = false;
      await Promise.all(writers);
      if (!server.running()) {
        stats.unexpectedExits++;
        await server.restart();
      }
      const store: Store = await openRedisStore(redis.url, defaultOptions({ prefix }));
      cleanup.push(() => store.close());
      const end = await store.currentRevision();
      await until(
        `every watcher at revision ${end} (${watchers.map((w) => `${w.name}:${w.progress}`).join(" ")})\n${server.stderr().slice(-3000)}`,
        () => watchers.every((w) => w.progress >= end),
        20_000,
        50,
      );
      await Promise.all(watchers.map((w) => w.stop()));
      const log = await readLog(store);
      const sessions = watchers.reduce((n, w) => n + w.sessions.length, 0);
      console.log(`seed ${seed}: revision ${end}, ${log.length} events, ${sessions} watch sessions, ${JSON.stringify(stats)}`);
      const revs = new Set(log.map((e) => e.revision));
      assert.ok(log[0]?.revision === 1 && revs.size === end, "the whole history 1..end is retained (AOF kept every write)");
      assert.ok(stats.writes > 50, `${stats.writes} writes succeeded`);
      const clients: WClient[] = watchers.map((w, i) => ({ name: w.name, filter: filters[i][1], sessions: w.sessions }));
      assertWatchHistory(clients, log);
      for (const w of watchers.slice(0, 2)) {
        const seen = new Set(w.sessions.flatMap((s) => s.messages.flatMap((m) => m.events.map((e) => e.revision))));
        assert.equal(seen.size, end, `${w.name} saw every revision 1..${end}`);
      }
      assert.equal(stats.unexpectedExits, 0, `the server died by itself:\n${server.stderr().slice(-3000)}`);
      await server.stop(3000);
      await store.close();
      await redis.stop();
    });
  }
});
