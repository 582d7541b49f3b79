import { pubkeyToAddress } from "@cosmjs/amino";
import { toBase64, toBech32 as cosmjsToBech32 } from "@cosmjs/encoding";
import fc from "fast-check";
import { ADDRESS_PREFIX, addressFromPubkey, fromBech32, isValidAddress, pubkeyToBech32Address, toBech32 } from "./address";
import { publicKeyFromPrivate } from "./secp256k1";
import { SdkError, sdkErrors } from "../tx/errors";

const pk = publicKeyFromPrivate(Uint8Array.from(Buffer.from("01".repeat(32), "hex")));

function expectSdkError(fn: () => unknown, code: number, text: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SdkError);
  expect((caught as SdkError).codespace).toBe("sdk");
  expect((caught as SdkError).code).toBe(code);
  expect((caught as SdkError).message).toMatch(text);
}

describe("addresses", () => {
  it("derives ripemd160(sha256(pubkey)) exactly as CosmJS does", () => {
    const ours = pubkeyToBech32Address(pk);
    const theirs = pubkeyToAddress({ type: "tendermint/PubKeySecp256k1", value: toBase64(pk) }, "peg");
    expect(ours).toBe(theirs);
    expect(ours.startsWith("peg1")).toBe(true);
    expect(addressFromPubkey(pk)).toHaveLength(20);
  });

  it("round-trips 20 and 32 byte addresses and agrees with @cosmjs/encoding", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 32, maxLength: 32 })), (bytes) => {
        const addr = toBech32(ADDRESS_PREFIX, bytes);
        expect(addr).toBe(cosmjsToBech32("peg", bytes));
        expect(fromBech32(addr, "peg")).toEqual(bytes);
        expect(fromBech32(addr.toUpperCase(), "peg")).toEqual(bytes);
      }),
    );
  });

  const good = toBech32("peg", new Uint8Array(20).fill(9));
  const cases: Array<{ name: string; input: string; prefix?: string; code: number; err: RegExp }> = [
    { name: "wrong prefix", input: toBech32("cosmos", new Uint8Array(20).fill(9)), code: 7, err: /invalid Bech32 prefix; expected peg, got cosmos/ },
    { name: "bad checksum", input: good.slice(0, -1) + (good.endsWith("q") ? "p" : "q"), code: 7, err: /invalid checksum/ },
    { name: "mixed case", input: good.slice(0, 5) + good.slice(5).toUpperCase(), code: 7, err: /mixed-case/ },
    { name: "length 19", input: toBech32Unchecked(new Uint8Array(19)), code: 7, err: /invalid address length 19; expected 20 or 32 bytes/ },
    { name: "length 33", input: toBech32Unchecked(new Uint8Array(33)), code: 7, err: /invalid address length 33/ },
    { name: "empty", input: "", code: 7, err: /empty address string is not allowed/ },
    { name: "no separator", input: "pegqqqqqqqq", code: 7, err: /decoding bech32 failed/ },
    { name: "expected another prefix", input: good, prefix: "pegvaloper", code: 7, err: /expected pegvaloper, got peg/ },
  ];
  it.each(cases)("rejects $name", ({ input, prefix, code, err }) => {
    expectSdkError(() => fromBech32(input, prefix ?? "peg"), code, err);
    expect(isValidAddress(input, prefix ?? "peg")).toBe(false);
  });

  it("refuses to encode lengths Cosmos would not accept, and non-compressed keys", () => {
    expectSdkError(() => toBech32("peg", new Uint8Array(21)), sdkErrors.ErrInvalidAddress.code, /invalid address length 21/);
    expectSdkError(() => toBech32("peg", new Uint8Array(0)), sdkErrors.ErrUnknownAddress.code, /addresses cannot be empty/);
    expectSdkError(() => addressFromPubkey(new Uint8Array(65).fill(4)), sdkErrors.ErrInvalidPubKey.code, /33-byte compressed/);
  });
});

/** bech32 of arbitrary bytes, bypassing our length rule, to build invalid inputs. */
function toBech32Unchecked(bytes: Uint8Array): string {
  return cosmjsToBech32("peg", bytes);
}
