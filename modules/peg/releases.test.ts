/**
 * checkBuilt: what the peg checks of any kind's release before recording it. A kind whose builder
 * got the arithmetic wrong must not move value the reserve does not account for.
 */
import { describe, expect, it } from "@jest/globals";
import type { BuiltRelease, ReserveEntryView } from "./kinds";
import { checkBuilt } from "./releases";

const entry = (n: number, value: bigint): ReserveEntryView => ({ id: Uint8Array.of(n), displayId: `e${n}`, value, data: new Uint8Array() });
const honest: BuiltRelease = {
  payload: Uint8Array.of(1),
  txid: "t",
  inputs: [entry(1, 1000n), entry(2, 500n)],
  outputs: [
    { paymentId: 7, script: Uint8Array.of(1), value: 900n },
    { script: Uint8Array.of(2), value: 550n },
  ],
  fee: 50n,
  change: entry(3, 550n),
};
const payments = [{ id: 7, script: Uint8Array.of(1), amount: 950n }];

describe("checkBuilt", () => {
  it("accepts a release whose inputs are its outputs + fee, and one that leaves dust to the miner", () => {
    expect(checkBuilt(honest, payments)).toBe(honest);
    const dust = { ...honest, outputs: [honest.outputs[0]], change: undefined };
    expect(checkBuilt(dust, payments)).toBe(dust);
  });

  const forged: Array<{ name: string; malleate: (b: BuiltRelease) => BuiltRelease; expErr: RegExp }> = [
    { name: "outputs + fee above the inputs", malleate: (b) => ({ ...b, fee: 51n }), expErr: /do not cover/ },
    { name: "a negative fee", malleate: (b) => ({ ...b, fee: -1n }), expErr: /do not cover/ },
    { name: "a change entry worth more than the change output", malleate: (b) => ({ ...b, change: entry(3, 551n) }), expErr: /change entry/ },
    { name: "two change outputs", malleate: (b) => ({ ...b, outputs: [b.outputs[0], { script: Uint8Array.of(2), value: 275n }, { script: Uint8Array.of(3), value: 275n }] }), expErr: /change/ },
    { name: "a change output without a change entry", malleate: (b) => ({ ...b, change: undefined }), expErr: /change entry/ },
    { name: "a payment to a withdrawal it was not given", malleate: (b) => ({ ...b, outputs: [{ ...b.outputs[0], paymentId: 8 }, b.outputs[1]] }), expErr: /not given/ },
  ];
  it.each(forged)("refuses $name", ({ malleate, expErr }) => {
    expect(() => checkBuilt(malleate(honest), payments)).toThrow(expErr);
  });
});
