/**
 * The federation's witness scripts. A deposit address is a P2WSH output whose witness script names
 * the pegzone recipient and then requires signatures of the federation's members worth at least the
 * threshold:
 *
 *   <recipient: 20 bytes> OP_DROP
 *   <pk_1> OP_CHECKSIG OP_IF <w_1> OP_ELSE 0 OP_ENDIF
 *   OP_SWAP <pk_i> OP_CHECKSIG OP_IF <w_i> OP_ELSE 0 OP_ENDIF OP_ADD      (for i = 2..n)
 *   <threshold> OP_GREATERTHANOREQUAL
 *
 * A reserve script (release change, sweeps) is the same without the recipient. Spent with the
 * witness [sig_n | <>, ..., sig_1 | <>, witness script]: an empty item for each member that does not
 * sign. Weights make CHECKMULTISIG unusable; every opcode here is standard in P2WSH. Any wallet that
 * can pay a bech32 address can deposit; nobody but the federation can spend.
 *
 * Every UTXO a release spends is a deposit or a reserve script, its change pays a reserve script;
 * `parseDepositWitnessScript` reads their members, weights and threshold back (and refuses anything
 * that is not byte-for-byte such a script), which gives the member count of the size estimate.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { Script, type ScriptType } from "@scure/btc-signer";
import { bytesEqual, concatBytes } from "../../../chain/store/bytes";
import type { Federation } from "../kinds";
import { fail } from "./errors";
import { MAX_WITNESS_SCRIPT_SIZE } from "./policy";

/** The federation's weighted threshold: members' signatures worth at least `threshold`. */
function thresholdOps(federation: Federation): ScriptType {
  const ops: ScriptType = [];
  (federation.members ?? []).forEach((m, i) => {
    if (i > 0) ops.push("SWAP");
    ops.push(m.pubkey!, "CHECKSIG", "IF", m.weight!, "ELSE", 0, "ENDIF");
    if (i > 0) ops.push("ADD");
  });
  ops.push(federation.threshold!, "GREATERTHANOREQUAL");
  return ops;
}

/** The federation's weighted-threshold witness script, prefixed by the recipient it commits to. */
export function depositWitnessScript(federation: Federation, recipient: Uint8Array): Uint8Array {
  if (recipient.length !== 20) throw new Error(`recipient must be a 20-byte address, got ${recipient.length} bytes`);
  return Script.encode([recipient, "DROP", ...thresholdOps(federation)]);
}

/**
 * The federation's own reserve outputs (release change, sweeps): the threshold alone, with no
 * recipient. A deposit script always starts with a 20-byte push and this one with a 33-byte key, so
 * no recipient's deposit address is ever a reserve address: a change output cannot be claimed.
 */
export function reserveWitnessScript(federation: Federation): Uint8Array {
  return Script.encode(thresholdOps(federation));
}

/** The P2WSH output script paying `witnessScript`. */
export function p2wsh(witnessScript: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x00, 0x20), sha256(witnessScript));
}

export interface DepositScriptInfo {
  /** The recipient a deposit script commits to; undefined for a reserve script. */
  readonly recipient?: Uint8Array;
  readonly members: ReadonlyArray<{ readonly pubkey: Uint8Array; readonly weight: number }>;
  readonly threshold: number;
}

const OP_0 = 0x00, OP_1 = 0x51, OP_16 = 0x60, OP_IF = 0x63, OP_ELSE = 0x67, OP_ENDIF = 0x68, OP_DROP = 0x75, OP_SWAP = 0x7c;
const OP_ADD = 0x93, OP_GREATERTHANOREQUAL = 0xa2, OP_CHECKSIG = 0xac;

/**
 * Members (in script order: member 1 first), weights and threshold of a federation witness script:
 * a deposit script (with its recipient) or a reserve script (none). Throws unless the script is
 * exactly `depositWitnessScript(federation, recipient)` or `reserveWitnessScript(federation)`.
 */
export function parseDepositWitnessScript(ws: Uint8Array): DepositScriptInfo {
  if (!(ws instanceof Uint8Array)) fail("witness script must be a Uint8Array");
  if (ws.length === 0 || ws.length > MAX_WITNESS_SCRIPT_SIZE) fail(`witness script of ${ws.length} bytes (must be 1 to ${MAX_WITNESS_SCRIPT_SIZE})`);
  let p = 0;
  const bad = (what: string): never => fail(`not a federation witness script: ${what} at byte ${p}`);
  const op = (code: number, what: string) => {
    if (ws[p] !== code) bad(`expected ${what}`);
    p++;
  };
  const push = (n: number, what: string): Uint8Array => {
    if (ws[p] !== n || p + 1 + n > ws.length) bad(`expected a ${n}-byte ${what}`);
    p += 1 + n;
    return ws.slice(p - n, p);
  };
  const num = (what: string): number => {
    const b = ws[p];
    if (b === undefined) bad(`expected ${what}`);
    if (b >= OP_1 && b <= OP_16) {
      p++;
      return b - OP_1 + 1;
    }
    // A minimal positive CScriptNum of 1 to 4 bytes (the re-encoding check below enforces minimality).
    if (b < 1 || b > 4 || p + 1 + b > ws.length) bad(`expected ${what}`);
    let v = 0;
    for (let i = b - 1; i >= 0; i--) v = v * 256 + ws[p + 1 + i];
    if (ws[p + b] & 0x80) bad(`negative ${what}`);
    p += 1 + b;
    return v;
  };
  let recipient: Uint8Array | undefined;
  if (ws[0] === 20) {
    recipient = push(20, "recipient");
    op(OP_DROP, "OP_DROP");
  }
  const members: Array<{ pubkey: Uint8Array; weight: number }> = [];
  for (;;) {
    if (members.length > 0) {
      if (ws[p] !== OP_SWAP) break;
      p++;
    }
    const pubkey = push(33, "public key");
    op(OP_CHECKSIG, "OP_CHECKSIG");
    op(OP_IF, "OP_IF");
    const weight = num("weight");
    op(OP_ELSE, "OP_ELSE");
    op(OP_0, "OP_0");
    op(OP_ENDIF, "OP_ENDIF");
    if (members.length > 0) op(OP_ADD, "OP_ADD");
    members.push({ pubkey, weight });
  }
  const threshold = num("threshold");
  op(OP_GREATERTHANOREQUAL, "OP_GREATERTHANOREQUAL");
  if (p !== ws.length) bad("trailing bytes");
  const rebuilt = recipient ? depositWitnessScript({ members, threshold }, recipient) : reserveWitnessScript({ members, threshold });
  if (!bytesEqual(rebuilt, ws)) fail("not a federation witness script: not in the canonical encoding");
  return { recipient, members, threshold };
}

/**
 * An upper bound on the signatures `assembleSignedRelease` puts in one witness of this script
 * (signatures are taken in member order until the threshold is reached; the bound assumes the
 * smallest weights come first, whatever the order): the number of smallest weights it takes to reach
 * the threshold. As `signersPerInput`, it makes the fee estimate an upper bound whoever signs.
 */
export function maxSignatures(witnessScript: Uint8Array): number {
  const { members, threshold } = parseDepositWitnessScript(witnessScript);
  const weights = members.map((m) => m.weight).sort((a, b) => a - b);
  let sum = 0;
  let k = 0;
  while (k < weights.length && sum < threshold) sum += weights[k++];
  return k;
}

/** The federation public keys of a deposit witness script, in script order. */
export function witnessScriptMembers(witnessScript: Uint8Array): Uint8Array[] {
  return parseDepositWitnessScript(witnessScript).members.map((m) => m.pubkey);
}
