/**
 * The Tendermint (CometBFT) main-chain kind, e.g. the Cosmos Hub: its light client
 * (light-client/tendermint, ibc-go 07-tendermint's rules) and its settings. The client's own
 * parameters (chain id, trust level, trusting period, clock drift) are in its registration, the
 * main chain's `checkpoint` in genesis; `params` names the token the peg holds and the chain's
 * bech32 prefix.
 *
 * Deposits (deposit-flow.ts): a MsgSend to the federation's multisig account (multisig.ts) with the
 * recipient's pegzone address as memo, proven by the light client (tx against header H, result
 * against H+1). Withdrawals (release-flow.ts): multisig txs of that account paying `cosmos1…`
 * addresses, one at a time per federation (the account's sequence), settled by proofs of the tx and
 * its result, or of the account's sequence.
 */
import { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import { isValidCompressedPubkey } from "../../../chain/crypto/secp256k1";
import { tendermintLightClient } from "../../../light-client/tendermint/client";
import type { MainChainKind } from "../kinds";
import { tendermintDeposits } from "./deposit-flow";
import { tendermintReleases } from "./release-flow";
import { tendermintParams, tendermintParamsCodec } from "./params";

/** A Cosmos SDK base denom: 3 to 128 characters, a letter first. */
const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
/** A Cosmos account address prefix ("cosmos", "osmo"): lowercase letters and digits, a letter first. */
const BECH32_PREFIX = /^[a-z][a-z0-9]{0,31}$/;
const MAX_GAS_PRICE_MICRO = 1_000_000_000_000;
const MAX_RELEASE_TIMEOUT_BLOCKS = 1_000_000;

export const tendermintKind: MainChainKind = {
  type: "tendermint",
  lightClient: tendermintLightClient as MainChainKind["lightClient"],
  params: tendermintParamsCodec,
  clientConfig: () => undefined,
  deposits: tendermintDeposits,
  releases: tendermintReleases,

  validate(chain) {
    const p = tendermintParams(chain);
    if (!DENOM.test(p.denom)) throw new Error(`denom ${JSON.stringify(p.denom)} is not a Cosmos SDK denom`);
    if (p.displayDenom !== "" && !DENOM.test(p.displayDenom)) throw new Error(`display_denom ${JSON.stringify(p.displayDenom)} is not a Cosmos SDK denom`);
    if (!Number.isInteger(p.decimals) || p.decimals > 18) throw new Error(`decimals must be an integer from 0 to 18, got ${p.decimals}`);
    if (p.gasPriceMicro > MAX_GAS_PRICE_MICRO) throw new Error(`gas_price_micro must be at most ${MAX_GAS_PRICE_MICRO} (a million ${p.denom} per gas), got ${p.gasPriceMicro}`);
    if (p.releaseTimeoutBlocks > MAX_RELEASE_TIMEOUT_BLOCKS) throw new Error(`release_timeout_blocks must be at most ${MAX_RELEASE_TIMEOUT_BLOCKS}, got ${p.releaseTimeoutBlocks}`);
    if (!BECH32_PREFIX.test(p.bech32Prefix)) throw new Error(`bech32_prefix ${JSON.stringify(p.bech32Prefix)} must be the chain's account address prefix, e.g. "cosmos" (lowercase letters and digits)`);
  },

  validateFederation(_chain, federation) {
    // The Hub's multisig (LegacyAminoPubKey) takes secp256k1 keys, each of weight 1.
    const members = federation.members ?? [];
    if (members.length === 0) throw new Error("federation has no members");
    const seen = new Set<string>();
    for (const [i, m] of members.entries()) {
      const key = m.pubkey ?? new Uint8Array();
      if (key.length !== 33 || !isValidCompressedPubkey(key)) throw new Error(`member ${i}: pubkey must be a 33-byte compressed secp256k1 key on the curve`);
      const hex = Buffer.from(key).toString("hex");
      if (seen.has(hex)) throw new Error(`member ${i}: pubkey ${hex} is listed twice`);
      seen.add(hex);
      if (m.weight !== 1) throw new Error(`member ${i}: weight must be 1 (a Cosmos multisig counts keys)`);
    }
    const threshold = federation.threshold ?? 0;
    if (!Number.isInteger(threshold) || 2 * threshold <= members.length || threshold > members.length)
      throw new Error(`threshold ${threshold} must be more than half of the ${members.length} members and at most all of them`);
  },

  denomMetadata(chain) {
    const p = tendermintParams(chain);
    const base = `peg/${chain.id}`;
    const display = p.displayDenom === "" ? p.denom : p.displayDenom;
    return Metadata.fromPartial({
      description: `${p.denom} of ${chain.id} locked with the pegzone federation, in ${p.denom}`,
      base,
      display: `${base}/${display}`,
      name: `Pegged ${display} (${chain.id})`,
      symbol: `p${display.toUpperCase()}`,
      denomUnits: [
        { denom: base, exponent: 0, aliases: [`${base}/${p.denom}`] },
        ...(p.decimals > 0 && display !== p.denom ? [{ denom: `${base}/${display}`, exponent: p.decimals, aliases: [] }] : []),
      ],
    });
  },
};
