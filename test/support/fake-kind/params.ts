/**
 * The fake kind's settings (MainChain.params): `{confirmations}` as UTF-8 JSON under its own type URL.
 * Implemented as a ParamsCodec directly (no protobuf message): reusing another kind's generated
 * message would make the Any's type URL lie about what it holds.
 */
import { pegzone } from "../../../proto";
import type { ParamsCodec } from "../../../modules/peg/kinds";
import { jsonBytes } from "./json";

export const FAKE_PARAMS_TYPE = "/pegzone.test.fake.Params";

export interface FakeParams {
  /** Confirmations a deposit or a release needs (latest − height + 1). */
  readonly confirmations: number;
}

function check(json: Record<string, unknown>): FakeParams {
  const unknown = Object.keys(json).filter((k) => k !== "confirmations");
  if (unknown.length > 0) throw new Error(`unknown ${FAKE_PARAMS_TYPE} settings: ${unknown.join(", ")}`);
  const c = json.confirmations;
  if (typeof c !== "number" || !Number.isInteger(c) || c < 1 || c > 1000) throw new Error(`confirmations must be an integer from 1 to 1000, got ${JSON.stringify(c)}`);
  return { confirmations: c };
}

const encode = (p: FakeParams): Uint8Array => jsonBytes({ confirmations: p.confirmations });

/** The settings in `value`; throws for bytes that are not exactly their canonical encoding. */
function decode(value: Uint8Array): FakeParams {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(value));
  } catch (e) {
    throw new Error(`${FAKE_PARAMS_TYPE} is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${FAKE_PARAMS_TYPE} is not a JSON object`);
  const p = check(json as Record<string, unknown>);
  if (!Buffer.from(encode(p)).equals(Buffer.from(value))) throw new Error(`${FAKE_PARAMS_TYPE} is not in its canonical encoding`);
  return p;
}

export const fakeParamsCodec: ParamsCodec = {
  typeUrl: FAKE_PARAMS_TYPE,
  fromJson: (json) => encode(check(json)),
  toJson: (value) => ({ ...decode(value) }),
};

/** A registered fake chain's settings; throws if its params are of another type. */
export function fakeParams(chain: pegzone.peg.v1.IMainChain): FakeParams {
  const any = chain.params;
  if (any?.type_url !== FAKE_PARAMS_TYPE) throw new Error(`main chain ${chain.id} has params of type ${JSON.stringify(any?.type_url ?? "")}, not ${FAKE_PARAMS_TYPE}`);
  return decode(any.value ?? new Uint8Array());
}

/** MainChain.params for settings (tests building a chain by hand). */
export function fakeParamsAny(p: FakeParams): { type_url: string; value: Uint8Array } {
  return { type_url: FAKE_PARAMS_TYPE, value: encode(p) };
}
