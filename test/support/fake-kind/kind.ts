/**
 * `fakeKind`: a whole main-chain kind made for the generic peg tests, wired in with one line
 * (`kinds: { ...MAINCHAIN_KINDS, fake: fakeKind }`). Its light client (client.ts), settings
 * (params.ts) and flow (flow.ts) check what they are given as a real kind's would.
 */
import { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import { isValidCompressedPubkey } from "../../../chain/crypto/secp256k1";
import type { MainChainKind } from "../../../modules/peg/kinds";
import { FAKE_CLIENT_TYPE, fakeLightClient } from "./client";
import { fakeFlow } from "./flow";
import { fakeParams, fakeParamsCodec } from "./params";

export const fakeKind: MainChainKind = {
  type: FAKE_CLIENT_TYPE,
  lightClient: fakeLightClient as MainChainKind["lightClient"],
  params: fakeParamsCodec,
  clientConfig: () => undefined,
  deposits: fakeFlow,
  releases: fakeFlow,

  validate(chain) {
    fakeParams(chain);
    // A lone withdrawal pays the whole fee and must still pay something.
    if (BigInt(chain.minWithdrawal ?? "0") <= BigInt(chain.maxFee ?? "0")) throw new Error("min_withdrawal must exceed max_fee");
  },

  validateFederation(_chain, federation) {
    const members = federation.members ?? [];
    if (members.length === 0) throw new Error("federation has no members");
    const seen = new Set<string>();
    let total = 0;
    for (const [i, m] of members.entries()) {
      if (!isValidCompressedPubkey(m.pubkey)) throw new Error(`member ${i}: pubkey must be a 33-byte compressed secp256k1 key on the curve`);
      const hex = Buffer.from(m.pubkey).toString("hex");
      if (seen.has(hex)) throw new Error(`member ${i}: pubkey ${hex} is listed twice`);
      seen.add(hex);
      if (!Number.isInteger(m.weight) || m.weight! < 1 || m.weight! > 1000) throw new Error(`member ${i}: weight must be an integer from 1 to 1000`);
      total += m.weight!;
    }
    const threshold = federation.threshold ?? 0;
    if (!Number.isInteger(threshold) || 2 * threshold <= total || threshold > total) throw new Error(`threshold ${threshold} must be more than half the total weight ${total} and at most all of it`);
  },

  denomMetadata(chain) {
    const base = `peg/${chain.id}`;
    return Metadata.fromPartial({
      description: `Fake coins of ${chain.id} locked with the pegzone federation`,
      base,
      display: `${base}/fake`,
      name: `Pegged fake (${chain.id})`,
      symbol: "pFAKE",
      denomUnits: [
        { denom: base, exponent: 0, aliases: [] },
        { denom: `${base}/fake`, exponent: 6, aliases: [] },
      ],
    });
  },
};
