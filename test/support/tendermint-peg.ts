/** A Tendermint main chain's genesis entry for in-process peg tests, registered at `spec`'s block 1. */
import { federationJson } from "./peg-harness";
import { type ChainSpec, lightBlock, registrationJson } from "./tendermint";

export function hubMainchainEntry(id: string, spec: ChainSpec, trustingPeriodSeconds: number): Record<string, unknown> {
  return {
    id,
    client_type: "tendermint",
    min_deposit: "1000",
    peg_in_fee: "100",
    reserve_cap: "1000000000",
    min_withdrawal: "1000",
    batch_interval: 5,
    max_fee: "500",
    release_timeout: 0,
    federation_grace: 0,
    federation: federationJson,
    params: { "@type": "/pegzone.peg.tendermint.v1.Params", denom: "uatom", display_denom: "atom", decimals: 6, bech32_prefix: "cosmos" },
    checkpoint: registrationJson(spec.chainId, lightBlock(spec, 1n), { trustingPeriodSeconds }),
  };
}
