/**
 * Hub releases checked by a real Cosmos Hub (gaiad v25.1.1, one validator, test/support/gaiad.ts):
 * the federation's 2-of-3 multisig account (members' keys made here) is funded with `gaiad tx bank
 * send`; releases built by ./release, signed by members over their digest and assembled by
 * ./multisig-tx are broadcast with CometBFT's `broadcast_tx_sync`, and gaiad runs the SDK's own
 * checks (LEGACY_AMINO_JSON sign bytes, the multisig's threshold, sequence, timeout height, fee):
 *  - gaiad's own multisig of the members' keys is the federation account;
 *  - a release paying two recipients (a MsgMultiSend) signed by 2 of 3 lands with code 0, the
 *    recipients receive exactly its outputs, the account keeps exactly the change; the same tx
 *    with 1 of 3 signatures is refused; the included tx gives back the release's id;
 *  - a second release at the next sequence (a MsgSend from the change) lands;
 *  - a release whose timeout_height has passed is refused (code 30) and leaves the sequence; that
 *    sequence signed again for 12 payments pays the first 10 (maxPayments), within the gas limit;
 *  - a sweep (no payments) moves the whole reserve to another federation's account.
 * Skipped, saying why, when .bin/gaiad has not been built.
 */
import { makeMultisignedTxBytes } from "@cosmjs/stargate";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { addressFromPubkey } from "../../../chain/crypto/address";
import { publicKeyFromPrivate } from "../../../chain/crypto/secp256k1";
import { broadcastTxSync, GAIAD_MISSING, hubAccountState, haveGaiad, LocalHub, waitForTx } from "../../../test/support/gaiad";
import type { pegzone } from "../../../proto";
import type { Federation, ReserveEntryView } from "../kinds";
import { reserveAccountData, tendermintDepositDisplayId, tendermintDepositId } from "./deposit-proof";
import { federationAccount } from "./multisig";
import { assembleHubRelease, hubMultisigPubkey, hubReleaseIdOfTx, signHubDigest } from "./multisig-tx";
import { tendermintParamsAny } from "./params";
import { buildHubRelease, type HubPayment, type HubRelease, hubReleaseGasLimit } from "./release";
import { hubReleaseDigest, hubTxBodyBytes } from "./sign-doc";

jest.setTimeout(150_000);

// CosmJS 0.39's fromBech32 passes a length limit of Infinity, which @scure/base 2.x (hoisted here)
// refuses ("anumber"): makeMultisignedTx, the reference assembly, calls it on the signers' addresses.
jest.mock("@cosmjs/encoding", () => {
  const actual = jest.requireActual<typeof import("@cosmjs/encoding")>("@cosmjs/encoding");
  return { ...actual, fromBech32: (address: string, limit?: number) => actual.fromBech32(address, limit ?? 1023) };
});

const DENOM = "stake";
const FUNDING = 50_000_000n;
const chain: pegzone.peg.v1.IMainChain = { id: "hub", params: tendermintParamsAny({ denom: DENOM, bech32Prefix: "cosmos" }) };
const keysOf = (tag: string) => [0, 1, 2].map((i) => sha256(Buffer.from(`hub release ${tag} member ${i}`)));
const federationOf = (keys: Uint8Array[]): Federation => ({ id: 1, threshold: 2, members: keys.map((k) => ({ pubkey: publicKeyFromPrivate(k), weight: 1, account: "" })) });
const keysA = keysOf("A");
const keysB = keysOf("B");
const fedA = federationOf(keysA);
const fedB = federationOf(keysB);
const pubkeysA = fedA.members!.map((m) => m.pubkey!);
const accountA = federationAccount(chain, fedA).address;
const accountB = federationAccount(chain, fedB).address;
const recipient = (n: number) => bech32.encode("cosmos", bech32.toWords(sha256(Buffer.from(`hub release recipient ${n}`)).subarray(0, 20)));

/** Members `who` (federation order) sign the release's digest. */
function sign(release: HubRelease, keys: Uint8Array[], who: number[]): Map<number, Uint8Array> {
  const digest = hubReleaseDigest(release.payload);
  return new Map(who.map((i) => [i, signHubDigest(keys[i], digest)]));
}

if (!haveGaiad()) {
  console.warn(`modules/peg/tendermint/release-gaiad.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`Hub releases on a local Cosmos Hub: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("Hub releases on a local Cosmos Hub (gaiad v25.1.1)", () => {
  let hub: LocalHub;
  let accountNumber: bigint;
  let entries: ReserveEntryView[];
  const started = Date.now();
  const timing: Record<string, number> = {};
  const lap = (name: string) => (timing[name] = (Date.now() - started) / 1000);
  const gas: string[] = [];

  const height = async () => (await hub.rpc.status()).latestHeight;
  const build = async (o: { sequence: bigint; payments: HubPayment[]; entries: ReserveEntryView[]; timeoutHeight?: bigint; changeTo?: string; outputs: number }) => {
    const gasLimit = hubReleaseGasLimit(o.outputs, 2, 3);
    return buildHubRelease({
      chainId: hub.chainId,
      accountNumber,
      sequence: o.sequence,
      timeoutHeight: o.timeoutHeight ?? (await height()) + 50n,
      denom: DENOM,
      fee: { amount: gasLimit, gasLimit }, // the local Hub's minimum: 1 stake per unit of gas
      from: accountA,
      payments: o.payments,
      entries: o.entries,
      maxPayments: 10,
      ...(o.changeTo ? { changeTo: o.changeTo } : {}),
    });
  };
  /** Broadcasts a signed release and waits for it: code 0 at CheckTx and in the block, gas within the limit, its id from the included tx. */
  const land = async (release: HubRelease, tx: Uint8Array, what: string) => {
    const sent = await broadcastTxSync(hub, tx);
    expect({ code: sent.code, log: sent.log }).toEqual({ code: 0, log: "" });
    const included = await waitForTx(hub, sent.hash);
    expect(included.code).toBe(0);
    expect(included.gasUsed).toBeLessThanOrEqual(release.signDoc.fee.gasLimit);
    expect(hubReleaseIdOfTx(included.tx, hub.chainId, accountNumber)).toBe(release.txid);
    gas.push(`${what}: ${included.gasUsed} of ${included.gasWanted}`);
    return included;
  };

  beforeAll(async () => {
    hub = await LocalHub.create({ timeoutCommit: "300ms" });
    await hub.start(2);
    lap("hub up");
  });

  afterAll(async () => {
    await hub?.remove();
    console.log(`release-gaiad timings (s since start): ${JSON.stringify(timing)}; gas used: ${gas.join("; ")}`);
  });

  test("gaiad's multisig of the members' keys (2 of 3) is the federation's account", async () => {
    const names = await Promise.all(pubkeysA.map(async (pk, i) => (await hub.importPubkey(`a${i}`, pk), `a${i}`)));
    expect(await hub.addMultisig("fedA", [names[2], names[0], names[1]], 2)).toBe(accountA);
    lap("multisig");
  });

  test("the account funded by `gaiad tx bank send` has a number and sequence 0", async () => {
    const sent = await hub.sendWithMemo({ to: accountA, amount: FUNDING, memo: "fund the federation" });
    expect(sent.code).toBe(0);
    const state = await hubAccountState(hub, accountA);
    expect(state.sequence).toBe(0n);
    accountNumber = state.accountNumber;
    expect(await hub.balance(accountA)).toBe(FUNDING);
    entries = [{ id: tendermintDepositId(Buffer.from(sent.txhash, "hex"), 0), displayId: tendermintDepositDisplayId(sent.txhash, 0), value: FUNDING, data: reserveAccountData(accountA) }];
    lap("funded");
  });

  test("a release paying two recipients, signed by 2 of 3, lands; 1 of 3 is refused; balances move by exactly its outputs", async () => {
    const [r1, r2] = [recipient(1), recipient(2)];
    const release = await build({ sequence: 0n, payments: [{ id: 11, address: r1, amount: 3_000_000n }, { id: 12, address: r2, amount: 1_234_567n }], entries, outputs: 2 });
    expect(release.outputs.map((o) => o.paymentId)).toEqual([11, 12, undefined]);
    const [o1, o2] = release.outputs;
    expect(o1.value + o2.value + release.fee).toBe(3_000_000n + 1_234_567n);

    // Members 2 and 0 (federation order): their keys' sorted positions are not their indices in general.
    const sigs = sign(release, keysA, [2, 0]);
    const tx = assembleHubRelease(release, pubkeysA, sigs, 2);
    // CosmJS' reference assembly of the same body and signatures gives the same bytes.
    const multisig = hubMultisigPubkey(pubkeysA, 2);
    const stdFee = { amount: [{ denom: DENOM, amount: release.fee.toString() }], gas: release.signDoc.fee.gasLimit.toString() };
    const byAddress = (who: number[]) => new Map(who.map((i) => [bech32.encode("cosmos", bech32.toWords(addressFromPubkey(pubkeysA[i]))), sigs.get(i)!]));
    expect(Buffer.from(makeMultisignedTxBytes(multisig, 0, stdFee, hubTxBodyBytes(release.signDoc), byAddress([0, 2]))).toString("hex")).toBe(Buffer.from(tx).toString("hex"));

    // The same tx with only member 0's signature: the multisig's threshold is not met.
    const one = await broadcastTxSync(hub, makeMultisignedTxBytes(multisig, 0, stdFee, hubTxBodyBytes(release.signDoc), byAddress([0])));
    expect(one.code).toBe(4); // sdk ErrUnauthorized: signature verification failed
    expect(one.log).toMatch(/signature verification failed/);
    expect((await hubAccountState(hub, accountA)).sequence).toBe(0n);

    await land(release, tx, "MsgMultiSend to 2, 2 of 3");
    expect(await hub.balance(r1)).toBe(o1.value);
    expect(await hub.balance(r2)).toBe(o2.value);
    expect(await hub.balance(accountA)).toBe(release.change!.value);
    expect(release.change!.value).toBe(FUNDING - 3_000_000n - 1_234_567n);
    expect((await hubAccountState(hub, accountA)).sequence).toBe(1n);
    entries = [release.change!];
    lap("release 1");
  });

  test("a second release at the next sequence (one payment: a MsgSend) lands", async () => {
    const r3 = recipient(3);
    const release = await build({ sequence: 1n, payments: [{ id: 13, address: r3, amount: 777_777n }], entries, outputs: 1 });
    // Members 1 and 2 this time, and member 0's too: only the first two in sorted order are used.
    const tx = assembleHubRelease(release, pubkeysA, sign(release, keysA, [0, 1, 2]), 2);
    await land(release, tx, "MsgSend, 2 of 3");
    expect(await hub.balance(r3)).toBe(777_777n - release.fee);
    expect(await hub.balance(accountA)).toBe(release.change!.value);
    expect((await hubAccountState(hub, accountA)).sequence).toBe(2n);
    entries = [release.change!];
    lap("release 2");
  });

  test("a release whose timeout height has passed is refused (code 30) and leaves the sequence; signed again at it, 10 of 12 payments land", async () => {
    const past = (await height()) - 1n;
    const stale = await build({ sequence: 2n, payments: [{ id: 14, address: recipient(4), amount: 1_000_000n }], entries, timeoutHeight: past, outputs: 1 });
    const refused = await broadcastTxSync(hub, assembleHubRelease(stale, pubkeysA, sign(stale, keysA, [0, 1]), 2));
    expect({ code: refused.code, codespace: refused.codespace }).toEqual({ code: 30, codespace: "sdk" });
    expect(refused.log).toMatch(/timeout height/);
    await hub.waitForHeight((await height()) + 2n);
    expect((await hubAccountState(hub, accountA)).sequence).toBe(2n);
    expect(await hub.balance(recipient(4))).toBe(0n);

    // Sequence 2 again, now paying 12 withdrawals to new accounts (two to one address: two outputs,
    // nothing merged): the first 10 (maxPayments) fit.
    const payments = Array.from({ length: 12 }, (_, i) => ({ id: 20 + i, address: recipient(i === 1 ? 20 : 20 + i), amount: 500_000n + BigInt(i) }));
    const release = await build({ sequence: 2n, payments, entries, outputs: 10 });
    expect(release.outputs.map((o) => o.paymentId)).toEqual([...payments.slice(0, 10).map((p) => p.id), undefined]);
    await land(release, assembleHubRelease(release, pubkeysA, sign(release, keysA, [1, 2]), 2), "MsgMultiSend to 10 outputs (9 new accounts), 2 of 3");
    expect(release.signDoc.outputs.slice(0, 2).map((o) => o.address)).toEqual([recipient(20), recipient(20)]);
    expect(await hub.balance(recipient(20))).toBe(release.outputs[0].value + release.outputs[1].value);
    for (const [i, o] of release.outputs.slice(2, 10).entries()) expect(await hub.balance(payments[i + 2].address)).toBe(o.value);
    expect(await hub.balance(recipient(30))).toBe(0n);
    expect(await hub.balance(accountA)).toBe(release.change!.value);
    expect((await hubAccountState(hub, accountA)).sequence).toBe(3n);
    entries = [release.change!];
    lap("timeout and 10 payments");
  });

  test("a sweep (no payments) moves the whole reserve to another federation's account", async () => {
    const before = await hub.balance(accountA);
    const sweep = await build({ sequence: 3n, payments: [], entries, changeTo: accountB, outputs: 1 });
    expect(sweep.change!.value).toBe(before - sweep.fee);
    await land(sweep, assembleHubRelease(sweep, pubkeysA, sign(sweep, keysA, [1, 2]), 2), "sweep MsgSend, 2 of 3");
    expect(await hub.balance(accountA)).toBe(0n);
    expect(await hub.balance(accountB)).toBe(sweep.change!.value);
    expect((await hubAccountState(hub, accountA)).sequence).toBe(4n);
    lap("sweep");
  });
});
