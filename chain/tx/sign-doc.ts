/**
 * Sign bytes, as the Cosmos SDK computes them for each sign mode.
 *
 * SIGN_MODE_DIRECT: the protobuf SignDoc {body_bytes, auth_info_bytes, chain_id, account_number},
 * with the body and auth info bytes exactly as they appear in the TxRaw.
 *
 * SIGN_MODE_LEGACY_AMINO_JSON: the StdSignDoc JSON, rebuilt from the protobuf tx as x/tx's
 * aminojson sign mode handler does:
 *   {"account_number":"N","chain_id":"…","fee":{"amount":[…],"gas":"N"[,"granter"][,"payer"]},
 *    "memo":"…","msgs":[{"type":…,"value":…},…],"sequence":"N"[,"timeout_height":"N"]}
 * keys sorted at every level, no whitespace, 64-bit integers as strings, and strings escaped as Go's
 * encoding/json does (`<` `>` `&` as \u003c \u003e \u0026, U+2028/U+2029 as \u2028/\u2029).
 */
import { SignDoc } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { sdkErrors } from "./errors";
import type { DecodedTx } from "./decode";
import type { AminoMsg, MsgRegistry } from "./registry";

/** Who signs: the chain and the signer account's number and sequence. */
export interface SignerData {
  chainId: string;
  accountNumber: bigint;
  sequence: bigint;
}

/** SIGN_MODE_DIRECT sign bytes: the encoded cosmos.tx.v1beta1.SignDoc. */
export function directSignBytes(
  tx: Pick<DecodedTx, "bodyBytes" | "authInfoBytes">,
  chainId: string,
  accountNumber: bigint,
): Uint8Array {
  return SignDoc.encode({ bodyBytes: tx.bodyBytes, authInfoBytes: tx.authInfoBytes, chainId, accountNumber }).finish();
}

/** The StdSignDoc of the legacy amino JSON sign mode (before canonical serialisation). */
export interface StdSignDoc {
  account_number: string;
  chain_id: string;
  fee: { amount: Array<Record<string, string>>; gas: string; payer?: string; granter?: string };
  memo: string;
  msgs: AminoMsg[];
  sequence: string;
  timeout_height?: string;
}

/**
 * Builds the StdSignDoc for one signer. Fails (ErrInvalidRequest) where the SDK's handler does:
 * extension options or unknown non-critical body fields present, or a message without amino form.
 */
export function aminoJsonSignDoc(tx: DecodedTx, registry: MsgRegistry, signer: SignerData): StdSignDoc {
  if (tx.hasUnknownNonCriticals) {
    throw sdkErrors.ErrInvalidRequest.wrap("SIGN_MODE_LEGACY_AMINO_JSON does not support unknown non-critical fields in the tx body");
  }
  const msgs = tx.messages.map((m) => registry.toAmino(m.typeUrl, m.msg !== undefined ? m.msg : registry.decode(m.typeUrl, m.value)));
  const fee: StdSignDoc["fee"] = {
    amount: tx.fee.amount.map((c) => {
      const coin: Record<string, string> = { amount: c.amount.toString() };
      if (c.denom !== "") coin.denom = c.denom;
      return coin;
    }),
    gas: tx.fee.gasLimit.toString(),
  };
  if (tx.fee.payer !== "") fee.payer = tx.fee.payer;
  if (tx.fee.granter !== "") fee.granter = tx.fee.granter;
  const doc: StdSignDoc = {
    account_number: signer.accountNumber.toString(),
    chain_id: signer.chainId,
    fee,
    memo: tx.memo,
    msgs,
    sequence: signer.sequence.toString(),
  };
  if (tx.timeoutHeight !== 0n) doc.timeout_height = tx.timeoutHeight.toString();
  return doc;
}

/** SIGN_MODE_LEGACY_AMINO_JSON sign bytes (UTF-8 of the canonical StdSignDoc JSON). */
export function aminoJsonSignBytes(tx: DecodedTx, registry: MsgRegistry, signer: SignerData, options?: CanonicalJsonOptions): Uint8Array {
  return new TextEncoder().encode(canonicalJson(aminoJsonSignDoc(tx, registry, signer), options));
}

export interface CanonicalJsonOptions {
  /**
   * Escape U+2028 and U+2029 as Go's encoding/json does (default true). CosmJS (JSON.stringify)
   * leaves them raw; the verifier accepts that variant too.
   */
  escapeLineSeparators?: boolean;
}

/**
 * Serialises a JSON value with object keys sorted (by UTF-8 bytes, as Go sorts map keys), no
 * whitespace, and strings escaped as Go's encoding/json.Marshal does. Numbers must be safe
 * integers (amino writes 64-bit values as strings). `undefined` object members are skipped.
 */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  const escapeLs = options.escapeLineSeparators ?? true;
  const parts: string[] = [];
  write(value, parts, escapeLs, 0);
  return parts.join("");
}

function write(value: unknown, out: string[], escapeLs: boolean, depth: number): void {
  if (depth > 64) throw sdkErrors.ErrJSONMarshal.wrap("value nests too deeply");
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "string":
      out.push(quote(value, escapeLs));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isSafeInteger(value)) throw sdkErrors.ErrJSONMarshal.wrap(`number ${value} is not a safe integer; write it as a string`);
      out.push(String(value));
      return;
    case "object": {
      if (Array.isArray(value)) {
        out.push("[");
        value.forEach((v: unknown, i) => {
          if (i > 0) out.push(",");
          write(v === undefined ? null : v, out, escapeLs, depth + 1);
        });
        out.push("]");
        return;
      }
      if (value instanceof Uint8Array) throw sdkErrors.ErrJSONMarshal.wrap("bytes must be converted (base64) before JSON encoding");
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => compareUtf8(a, b));
      out.push("{");
      entries.forEach(([k, v], i) => {
        if (i > 0) out.push(",");
        out.push(quote(k, escapeLs), ":");
        write(v, out, escapeLs, depth + 1);
      });
      out.push("}");
      return;
    }
    default:
      throw sdkErrors.ErrJSONMarshal.wrap(`cannot encode a ${typeof value} as JSON`);
  }
}

const HEX = "0123456789abcdef";

/** A JSON string literal escaped as Go's encoding/json (with HTML escaping, its default). */
function quote(s: string, escapeLs: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          esc = "\\b";
          break;
        case 0x09:
          esc = "\\t";
          break;
        case 0x0a:
          esc = "\\n";
          break;
        case 0x0c:
          esc = "\\f";
          break;
        case 0x0d:
          esc = "\\r";
          break;
        default:
          esc = "\\u00" + HEX[c >> 4] + HEX[c & 0xf];
      }
    } else if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = "\\\\";
    else if (c === 0x3c) esc = "\\u003c";
    else if (c === 0x3e) esc = "\\u003e";
    else if (c === 0x26) esc = "\\u0026";
    else if (escapeLs && (c === 0x2028 || c === 0x2029)) esc = c === 0x2028 ? "\\u2028" : "\\u2029";
    else if (c >= 0xd800 && c <= 0xdfff) {
      // a surrogate: keep a well-formed pair, replace a lone one (Go writes \ufffd for invalid UTF-8)
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

const utf8Encoder = new TextEncoder();

function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const x = utf8Encoder.encode(a);
  const y = utf8Encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
