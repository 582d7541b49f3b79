import pino from "pino";
import { errPanic, sdkErrors, SdkError } from "../tx/errors";
import { OutOfGasError } from "./gas";
import { toSdkError } from "./tx-runner";

describe("toSdkError: what a failed tx or query reports", () => {
  const logged: unknown[] = [];
  const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(JSON.parse(line)) });

  test("an SdkError keeps its codespace, code and message", () => {
    const err = sdkErrors.ErrInsufficientFee.wrap("need 5upeg");
    const res = toSdkError(err, logger);
    expect(res).toBe(err);
    expect([res.codespace, res.code, res.message]).toEqual(["sdk", 13, "need 5upeg: insufficient fee"]);
  });

  test("running out of gas is sdk 11", () => {
    const res = toSdkError(new OutOfGasError("WriteFlat", 1000n), logger);
    expect([res.codespace, res.code]).toEqual(["sdk", 11]);
    expect(res.message).toMatch(/out of gas in location: WriteFlat; gasWanted: 1000/);
  });

  test("anything else is undefined/111222 (the SDK's recovered panic) and is logged", () => {
    const res = toSdkError(new TypeError("x is undefined"), logger);
    expect(res).toBeInstanceOf(SdkError);
    expect(res.is(errPanic)).toBe(true);
    expect(logged).toHaveLength(1);
  });
});
