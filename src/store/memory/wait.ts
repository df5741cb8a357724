import type { EventEmitter } from "node:events";

/** Resolves on the emitter's next `event`, or after `ms`, whichever comes first. */
export function nextOrTimeout(emitter: EventEmitter, event: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    emitter.on(event, done);
  });
}
