import fc from "fast-check";
import { Fifo } from "./fifo";

describe("Fifo", () => {
  it("behaves like an array used as a queue, across compactions", () => {
    // Long runs of pushes then shifts push the dead prefix past the 1024-item compaction threshold.
    const op = fc.oneof(fc.record({ push: fc.integer({ min: 1, max: 3000 }) }), fc.record({ shift: fc.integer({ min: 1, max: 3000 }) }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if ("push" in o) {
            for (let i = 0; i < o.push; i++) {
              fifo.push(next);
              model.push(next++);
            }
          } else {
            for (let i = 0; i < o.shift; i++) expect(fifo.shift()).toBe(model.shift());
          }
          expect(fifo.length).toBe(model.length);
          expect(fifo.peek()).toBe(model[0]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
