/**
 * The fake main-chain kind for the generic peg tests (modules/peg/generic-peg.test.ts): a kind with
 * a signed-header light client, JSON settings, deposits, addresses and releases (kind.ts), and the
 * in-memory main chain that drives it (chain.ts).
 */
export { fakeKind } from "./kind";
export { FakeChain, type FakeBlock } from "./chain";
export { fakeLightClient, FAKE_CLIENT_TYPE, MAX_CLOCK_DRIFT, decodeHeaderMessage } from "./client";
export { fakeFlow, fakeSign, control, fakeAddress, decodeEntryData, txRoot, blockProof, DEPOSIT_PROOF_TYPE, RELEASE_PROOF_TYPE, RESERVE_DATA_TYPE, MAX_RELEASE_INPUTS, FAKE_FEE_RATE } from "./flow";
export { fakeParams, fakeParamsAny, fakeParamsCodec, FAKE_PARAMS_TYPE } from "./params";
export { FakeError, type FakeReason } from "./json";
