import fc from "fast-check";
import { expect, it } from "vitest";
import { Heap } from "../../src/plan/heap.js";

it("pops what it was given in `before` order, ties in any order, whatever the pushes and pops between", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant("pop" as const))),
      (script) => {
        const heap = new Heap<number>((a, b) => a < b);
        const model: number[] = [];
        for (const move of script) {
          if (move === "pop") {
            model.sort((a, b) => a - b);
            expect(heap.pop()).toBe(model.shift());
          } else {
            heap.push(move);
            model.push(move);
          }
          expect(heap.size).toBe(model.length);
        }
      },
    ),
  );
});
