import { fromDisplayHex, toDisplayHex } from "./bytes";

describe("display hex", () => {
  it("never reverses the caller's bytes in place, also for a Buffer view into a larger message", () => {
    const message = Buffer.from("00".repeat(4) + "01".repeat(16) + "02".repeat(16) + "ff", "hex");
    const hash = message.subarray(4, 36); // what a protobuf decoder or tx parser hands out
    const before = Buffer.from(message).toString("hex");
    expect(toDisplayHex(hash)).toBe("02".repeat(16) + "01".repeat(16));
    expect(message.toString("hex")).toBe(before);
    expect(toDisplayHex(fromDisplayHex(toDisplayHex(hash)))).toBe(toDisplayHex(hash));
  });
});
