/** The tendermint kind's deposit flow under the name the relayer imports it by (deposit-flow.ts holds it). */
export * from "./deposit-flow";
