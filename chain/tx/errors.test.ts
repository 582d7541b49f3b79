import { lookupError, registerError, SdkError, sdkErrors } from "./errors";

describe("sdkErrors", () => {
  // Cosmos SDK v0.50 types/errors/errors.go, transcribed: name, code, description.
  const expected: Array<[keyof typeof sdkErrors, number, string]> = [
    ["ErrTxDecode", 2, "tx parse error"],
    ["ErrInvalidSequence", 3, "invalid sequence"],
    ["ErrUnauthorized", 4, "unauthorized"],
    ["ErrInsufficientFunds", 5, "insufficient funds"],
    ["ErrUnknownRequest", 6, "unknown request"],
    ["ErrInvalidAddress", 7, "invalid address"],
    ["ErrInvalidPubKey", 8, "invalid pubkey"],
    ["ErrUnknownAddress", 9, "unknown address"],
    ["ErrInvalidCoins", 10, "invalid coins"],
    ["ErrOutOfGas", 11, "out of gas"],
    ["ErrMemoTooLarge", 12, "memo too large"],
    ["ErrInsufficientFee", 13, "insufficient fee"],
    ["ErrTooManySignatures", 14, "maximum number of signatures exceeded"],
    ["ErrNoSignatures", 15, "no signatures supplied"],
    ["ErrJSONMarshal", 16, "failed to marshal JSON bytes"],
    ["ErrJSONUnmarshal", 17, "failed to unmarshal JSON bytes"],
    ["ErrInvalidRequest", 18, "invalid request"],
    ["ErrTxInMempoolCache", 19, "tx already in mempool"],
    ["ErrMempoolIsFull", 20, "mempool is full"],
    ["ErrTxTooLarge", 21, "tx too large"],
    ["ErrKeyNotFound", 22, "key not found"],
    ["ErrWrongPassword", 23, "invalid account password"],
    ["ErrorInvalidSigner", 24, "tx intended signer does not match the given signer"],
    ["ErrorInvalidGasAdjustment", 25, "invalid gas adjustment"],
    ["ErrInvalidHeight", 26, "invalid height"],
    ["ErrInvalidVersion", 27, "invalid version"],
    ["ErrInvalidChainID", 28, "invalid chain-id"],
    ["ErrInvalidType", 29, "invalid type"],
    ["ErrTxTimeoutHeight", 30, "tx timeout height"],
    ["ErrUnknownExtensionOptions", 31, "unknown extension options"],
    ["ErrWrongSequence", 32, "incorrect account sequence"],
    ["ErrPackAny", 33, "failed packing protobuf message to Any"],
    ["ErrUnpackAny", 34, "failed unpacking protobuf message from Any"],
    ["ErrLogic", 35, "internal logic error"],
    ["ErrConflict", 36, "conflict"],
    ["ErrNotSupported", 37, "feature not supported"],
    ["ErrNotFound", 38, "not found"],
    ["ErrIO", 39, "Internal IO error"],
    ["ErrAppConfig", 40, "error in app.toml"],
    ["ErrInvalidGasLimit", 41, "invalid gas limit"],
  ];

  it("has exactly the SDK's root errors", () => {
    expect(Object.keys(sdkErrors).sort()).toEqual(expected.map(([n]) => n).sort());
  });

  it.each(expected)("%s = sdk/%d %j", (name, code, description) => {
    const def = sdkErrors[name];
    expect([def.codespace, def.code, def.description]).toEqual(["sdk", code, description]);
    expect(lookupError("sdk", code)).toBe(def);
  });
});

describe("SdkError", () => {
  it("wraps like errorsmod.Wrap: '<context>: <description>', keeping codespace and code", () => {
    const e = sdkErrors.ErrWrongSequence.wrap("account sequence mismatch, expected 4, got 3");
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe("account sequence mismatch, expected 4, got 3: incorrect account sequence");
    expect([e.codespace, e.code, e.description]).toEqual(["sdk", 32, "incorrect account sequence"]);
    const outer = e.wrap("ante");
    expect(outer.message).toBe("ante: account sequence mismatch, expected 4, got 3: incorrect account sequence");
    expect(outer.code).toBe(32);
    expect(outer.cause).toBe(e);
    expect(sdkErrors.ErrWrongSequence.is(outer)).toBe(true);
    expect(outer.is(sdkErrors.ErrWrongSequence)).toBe(true);
    expect(sdkErrors.ErrTxDecode.is(outer)).toBe(false);
    expect(sdkErrors.ErrNoSignatures.error().message).toBe("no signatures supplied");
  });

});

describe("registerError", () => {
  it("registers module codespaces and rejects duplicates, code 0 and non-uint32 codes", () => {
    const def = registerError("testmod", 2, "something failed");
    expect(lookupError("testmod", 2)).toBe(def);
    expect(def.wrap("ctx").message).toBe("ctx: something failed");
    expect(() => registerError("testmod", 2, "again")).toThrow(/already registered/);
    expect(() => registerError("sdk", 4, "dup of unauthorized")).toThrow(/already registered/);
    expect(() => registerError("testmod", 0, "success?")).toThrow(/reserved/);
    expect(() => registerError("testmod", -1, "neg")).toThrow(/uint32/);
    expect(() => registerError("testmod", 1.5, "frac")).toThrow(/uint32/);
    expect(() => registerError("", 3, "no space")).toThrow(/empty codespace/);
    // same code in another codespace is fine
    expect(registerError("othermod", 2, "other").codespace).toBe("othermod");
  });
});
