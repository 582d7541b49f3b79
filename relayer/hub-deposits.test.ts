/**
 * The relayer's Hub deposits without sockets: which messages of a tx are deposits (as pegzone reads
 * them), the DepositProof it builds from a real gaiad answer (cometbft-rpc.fixtures.json, block 4
 * with one MsgSend) checked against that block's data_hash and results, and the rounds of
 * `HubDeposits` against a fake node and a fake pegzone: claims, skips (logged once), deposits whose
 * H+1 is not made yet, refusals retried after a pause, the scan position, a restart.
 */
import type { Any } from "cosmjs-types/google/protobuf/any";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { MsgDelegate } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { generateSignerKey } from "../chain/keys/key-files";
import { ADDRESS_PREFIX, toBech32 } from "../chain/crypto/address";
import type { RpcClient } from "../chain/client/rpc";
import type { KeySigner } from "../chain/keys/keyring";
import type { Logger } from "../chain/log";
import { sha256 } from "../chain/store/sha256";
import { leafHash } from "../light-client/tendermint/merkle";
import { resultsHash, verifyResultProof } from "../light-client/tendermint/proof-results";
import { decodeTxProofProto, verifyTxProof } from "../light-client/tendermint/proof-tx";
import { federationAccountAddress, tendermintDepositDisplayId } from "../modules/peg/tendermint/deposit-flow";
import { decodeTendermintDepositProof } from "../modules/peg/tendermint/deposit-proof";
import { tendermintParamsAny } from "../modules/peg/tendermint/params";
import { pegzone } from "../proto";
import { CometRpcClient, type TxAnswer } from "./cometbft-rpc";
import FIXTURES from "./cometbft-rpc.fixtures.json";
import { depositsInTx, HubDeposits, hubDepositProof, isPegzoneRecipient, REFUSED_RETRY_MS, type Refusal } from "./hub-deposits";
import { MetricsRegistry } from "../chain/metrics/prometheus";
import { parsePrometheusText, sampleValue } from "../test/support/prometheus-text";
import { RelayerMetrics } from "./metrics";

const v1 = pegzone.peg.v1;
const federation = { id: 1, members: [0, 1, 2].map(() => ({ pubkey: generateSignerKey().publicKey, weight: 1, account: "" })), threshold: 2 };
const chain: pegzone.peg.v1.IMainChain = { id: "hub", clientType: "tendermint", minDeposit: "1000", pegInFee: "100", federation, params: tendermintParamsAny({ denom: "stake", bech32Prefix: "cosmos" }) };
const FED = federationAccountAddress(chain, federation);
const OTHER = toBech32("cosmos", new Uint8Array(20).fill(7));
const BOB = toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(1));
const CAROL = toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(2));
const coins = (...list: Array<[string, string]>) => list.map(([amount, denom]) => ({ amount, denom }));
const send = (to: string, ...amount: Array<[string, string]>) => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: OTHER, toAddress: to, amount: coins(...amount) }).finish() });
const rawTx = (memo: string, ...messages: Any[]) => TxRaw.encode({ bodyBytes: TxBody.encode(TxBody.fromPartial({ messages, memo })).finish(), authInfoBytes: new Uint8Array([1]), signatures: [new Uint8Array([2])] }).finish();
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

describe("depositsInTx: the messages of a tx paying the federation, read as pegzone reads them", () => {
  test("MsgSends to the account in the chain's denom, MsgMultiSend outputs summed; other messages and accounts ignored", () => {
    const multi = {
      typeUrl: "/cosmos.bank.v1beta1.MsgMultiSend",
      value: MsgMultiSend.encode({
        inputs: [{ address: OTHER, coins: coins(["60", "stake"]) }],
        outputs: [{ address: FED, coins: coins(["10", "stake"]) }, { address: OTHER, coins: coins(["20", "stake"]) }, { address: FED, coins: coins(["30", "stake"], ["5", "uatom"]) }],
      }).finish(),
    };
    const delegate = { typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value: MsgDelegate.encode({ delegatorAddress: OTHER, validatorAddress: "cosmosvaloper1x", amount: { denom: "stake", amount: "1" } }).finish() };
    const tx = rawTx(BOB, send(FED, ["1000", "stake"], ["7", "uatom"]), delegate, send(OTHER, ["5", "stake"]), multi, send(FED.toUpperCase(), ["3", "stake"]), send(FED, ["9", "uatom"]));
    const found = depositsInTx({ hash: hexOf(sha256(tx)), height: 9n, tx }, FED, "stake");
    expect(found.map((d) => [d.msgIndex, d.amount, d.memo])).toEqual([
      [0, 1000n, BOB],
      [3, 40n, BOB],
      [4, 3n, BOB], // an uppercase address pays the same account
      [5, 0n, BOB], // none of the chain's denom: the relayer skips it, pegzone would refuse it
    ]);
  });

  test("bytes that are not a canonical Cosmos tx throw", () => {
    expect(() => depositsInTx({ hash: "00", height: 1n, tx: Uint8Array.from([0xff, 0xff]) }, FED, "stake")).toThrow();
  });

  test("a memo is a recipient only as pegzone writes addresses", () => {
    expect(isPegzoneRecipient(BOB)).toBe(true);
    expect(isPegzoneRecipient(BOB.toUpperCase())).toBe(false);
    expect(isPegzoneRecipient(` ${BOB}`)).toBe(false);
    expect(isPegzoneRecipient(OTHER)).toBe(false);
    expect(isPegzoneRecipient("peg1qqqq")).toBe(false);
    expect(isPegzoneRecipient("")).toBe(false);
  });
});

describe("hubDepositProof from a real gaiad answer", () => {
  const fetchFixture = (async (input: string | URL | Request) => {
    const method = new URL(String(input)).pathname.slice(1);
    return new Response(JSON.stringify({ jsonrpc: "2.0", id: -1, result: (FIXTURES as Record<string, unknown>)[method] }));
  }) as typeof fetch;
  const comet = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fetchFixture });

  test("the tx proven under block 4's data_hash, its result under the results of block 4, the message index kept", async () => {
    const tx = await comet.tx(FIXTURES.tx.hash, true);
    const any = await hubDepositProof(comet, tx, 0);
    expect(any.type_url).toBe("/pegzone.peg.tendermint.v1.DepositProof");
    const p = decodeTendermintDepositProof(any.value!);
    expect([p.height, p.msgIndex, hexOf(p.tx)]).toEqual([4n, 0, hexOf(tx.tx)]);
    const dataHash = Uint8Array.from(Buffer.from(FIXTURES.tx.proof.root_hash, "hex"));
    expect(verifyTxProof(p.tx, decodeTxProofProto(p.txProof), dataHash).txHash).toBe(FIXTURES.tx.hash);
    const results = await comet.blockResults(4);
    expect(p.result).toEqual(results[0]);
    expect(() => verifyResultProof(p.result, p.resultProof, resultsHash(results))).not.toThrow();
  });

  test("refused without the node's inclusion proof, or with a proof for another position", async () => {
    const tx = await comet.tx(FIXTURES.tx.hash, true);
    await expect(hubDepositProof(comet, { ...tx, proof: undefined }, 0)).rejects.toThrow(/no inclusion proof/);
    await expect(hubDepositProof(comet, { ...tx, index: 1 }, 0)).rejects.toThrow(/position 0, the node says 1/);
  });
});

/** A tx of the fake node: one result, a one-leaf proof (what the relayer copies, not checks). */
function answer(height: bigint, memo: string, ...messages: Any[]): TxAnswer {
  const tx = rawTx(memo, ...messages);
  const hash = sha256(tx);
  return {
    hash: hexOf(hash),
    height,
    index: 0,
    tx,
    result: { code: 0, data: new Uint8Array(), gasWanted: 1n, gasUsed: 1n },
    proof: { rootHash: leafHash(hash), data: tx, proof: { total: 1, index: 0, leafHash: leafHash(hash), aunts: [] } },
  };
}

describe("HubDeposits rounds against a fake node and a fake pegzone", () => {
  let latest: bigint;
  let txs: TxAnswer[];
  let searches: string[];
  let claimed: Set<string>;
  let sent: Array<{ recipient: string; height: bigint; msgIndex: number }>;
  let ensured: bigint[];
  let logs: string[];
  let clock: number;
  let refuse: (displayId: string) => Refusal | undefined;
  let frozen: boolean;

  const comet = {
    status: async () => ({ latestHeight: latest }),
    txSearchAll: async (query: string) => {
      searches.push(query);
      const from = BigInt(/tx\.height>([0-9]+)/.exec(query)![1]);
      expect(query).toContain(`transfer.recipient='${FED}'`);
      return txs.filter((t) => t.height > from && t.height <= latest);
    },
    blockResults: async () => [{ code: 0, data: new Uint8Array(), gasWanted: 1n, gasUsed: 1n }],
  } as unknown as CometRpcClient;

  const pegzoneRpc = {
    url: "http://127.0.0.1:1",
    async query(path: string, data: Uint8Array): Promise<Uint8Array> {
      const method = path.split("/").pop();
      if (method === "MainChains") return v1.QueryMainChainsResponse.encode({ mainchains: [chain] }).finish();
      if (method === "ClientState") return v1.QueryClientStateResponse.encode({ clientType: "tendermint", status: frozen ? "Frozen" : "Active", freeze: { frozen } }).finish();
      if (method === "Federations") return v1.QueryFederationsResponse.encode({ current: federation, retired: [], grace: 0 }).finish();
      if (method === "Deposit") return v1.QueryDepositResponse.encode({ claimed: claimed.has(v1.QueryDepositRequest.decode(data).displayId) }).finish();
      throw new Error(`unexpected query ${path}`);
    },
  } as unknown as RpcClient;

  const logger = {
    info: (fields: object, msg: string) => logs.push(`${msg} ${JSON.stringify(fields)}`),
    warn: (fields: object, msg: string) => logs.push(`${msg} ${JSON.stringify(fields)}`),
    debug: () => undefined,
  } as unknown as Logger;

  const relayer = (metrics?: RelayerMetrics) =>
    new HubDeposits({
      metrics,
      mainchain: "hub",
      comet,
      pegzone: pegzoneRpc,
      signer: { address: BOB } as unknown as KeySigner,
      tx: { gasAdjustment: "1.4", gasPrices: "0.1upeg" },
      logger,
      ensureHeight: async (h) => void ensured.push(h),
      heldAtOrBelow: async (h) => (h >= 3n ? 3n : undefined), // the client's oldest header: 3
      now: () => clock,
      send: async (msg) => {
        const m = v1.MsgClaimDeposit.decode(msg.value);
        const p = decodeTendermintDepositProof(m.proof!.value!);
        const displayId = tendermintDepositDisplayId(hexOf(sha256(p.tx)), p.msgIndex);
        const refused = refuse(displayId);
        if (refused === undefined || refused.code === 10) claimed.add(displayId); // as pegzone's state has it
        sent.push({ recipient: m.recipient, height: p.height, msgIndex: p.msgIndex });
        return refused;
      },
    });

  beforeEach(() => {
    [latest, txs, searches, claimed, sent, ensured, logs, clock] = [10n, [], [], new Set(), [], [], [], 0];
    refuse = () => undefined;
    frozen = false;
  });

  test("claims good deposits, skips the rest once, waits for H+1, and scans on from where everything is settled", async () => {
    const a = answer(5n, BOB, send(FED, ["1000000", "stake"]));
    const b = answer(6n, "not a pegzone address", send(FED, ["500000", "stake"]));
    const c = answer(7n, BOB, send(FED, ["999", "stake"])); // below min_deposit
    const d = answer(10n, CAROL, send(OTHER, ["1", "stake"]), send(FED, ["2000", "stake"])); // its result is in header 11
    const old = answer(2n, BOB, send(FED, ["5000", "stake"])); // below the client's oldest header
    txs = [old, a, b, c, d];
    const r = relayer();
    expect(await r.step()).toEqual({ claimed: 1, skipped: 3, pending: 1 });
    expect(logs.filter((l) => /below the light client's oldest header/.test(l))).toHaveLength(1);
    expect(sent).toEqual([{ recipient: BOB, height: 5n, msgIndex: 0 }]);
    expect(ensured).toEqual([5n, 6n]);
    expect(logs.filter((l) => /memo is not a pegzone address/.test(l))).toHaveLength(1);
    expect(logs.filter((l) => /below the minimum/.test(l))).toHaveLength(1);

    latest = 11n;
    expect(await r.step()).toEqual({ claimed: 1, skipped: 0, pending: 0 });
    expect(sent[1]).toEqual({ recipient: CAROL, height: 10n, msgIndex: 1 });
    expect(ensured).toEqual([5n, 6n, 10n, 11n]);
    expect(searches).toEqual([`transfer.recipient='${FED}' AND tx.height>0`, `transfer.recipient='${FED}' AND tx.height>9`]);

    expect(await r.step()).toEqual({ claimed: 0, skipped: 0, pending: 0 });
    expect(searches[2]).toBe(`transfer.recipient='${FED}' AND tx.height>10`);
    expect(logs.filter((l) => /memo is not a pegzone address/.test(l))).toHaveLength(1);

    // Restarted: everything read again, nothing claimed twice (pegzone says what is claimed); skips logged again.
    const again = relayer();
    expect(await again.step()).toEqual({ claimed: 0, skipped: 3, pending: 0 });
    expect(sent).toHaveLength(2);
    expect(searches[3]).toBe(`transfer.recipient='${FED}' AND tx.height>0`);
  });

  test("a refused claim is tried again after a pause; 'already claimed' counts as done", async () => {
    const a = answer(5n, BOB, send(FED, ["1000000", "stake"]));
    const b = answer(6n, CAROL, send(FED, ["1000000", "stake"]));
    txs = [a, b];
    const idA = tendermintDepositDisplayId(a.hash, 0);
    const idB = tendermintDepositDisplayId(b.hash, 0);
    refuse = (id) => (id === idA ? { codespace: "peg", code: 9, log: "reserve cap exceeded" } : id === idB ? { codespace: "peg", code: 10, log: "deposit already claimed" } : undefined);
    const r = relayer();
    expect(await r.step()).toEqual({ claimed: 0, skipped: 0, pending: 1 });
    expect(logs.some((l) => /pegzone refused the claim.*"code":9/.test(l))).toBe(true);
    expect(sent).toHaveLength(2);

    clock += REFUSED_RETRY_MS - 1;
    expect(await r.step()).toEqual({ claimed: 0, skipped: 0, pending: 1 });
    expect(sent).toHaveLength(2); // A waits; B is not sent again (counted as claimed by someone else)
    expect(searches[1]).toBe(`transfer.recipient='${FED}' AND tx.height>4`);

    refuse = () => undefined;
    clock += 1;
    expect(await r.step()).toEqual({ claimed: 1, skipped: 0, pending: 0 });
    expect(sent).toHaveLength(3);
  });

  test("the metrics count the claims pegzone took, not the refused or already claimed ones", async () => {
    const registry = new MetricsRegistry();
    const claims = async () => {
      const { samples, invalid } = parsePrometheusText(await registry.render());
      expect(invalid).toEqual([]);
      return sampleValue(samples, "pegzone_relayer_submitted_total", { mainchain: "hub", kind: "claim" });
    };
    const a = answer(5n, BOB, send(FED, ["1000000", "stake"]));
    const b = answer(6n, CAROL, send(FED, ["1000000", "stake"]));
    txs = [a, b];
    const idA = tendermintDepositDisplayId(a.hash, 0);
    refuse = (id) => (id === idA ? { codespace: "peg", code: 9, log: "reserve cap exceeded" } : { codespace: "peg", code: 10, log: "deposit already claimed" });
    const r = relayer(new RelayerMetrics(registry, "hub"));
    await r.step();
    expect(await claims()).toBe(0);
    refuse = () => undefined;
    clock += REFUSED_RETRY_MS;
    expect(await r.step()).toMatchObject({ claimed: 1 });
    expect(await claims()).toBe(1);
  });

  test("nothing is claimed while the peg is frozen", async () => {
    txs = [answer(5n, BOB, send(FED, ["1000000", "stake"]))];
    frozen = true;
    const r = relayer();
    expect(await r.step()).toEqual({ claimed: 0, skipped: 0, pending: 0 });
    expect([searches, sent]).toEqual([[], []]);
    frozen = false;
    expect(await r.step()).toEqual({ claimed: 1, skipped: 0, pending: 0 });
  });

  test("a node or proof failure leaves the deposit for the next round", async () => {
    txs = [answer(5n, BOB, send(FED, ["1000000", "stake"]))];
    let fail = true;
    const r = new HubDeposits({
      mainchain: "hub",
      comet,
      pegzone: pegzoneRpc,
      signer: { address: BOB } as unknown as KeySigner,
      tx: { gasAdjustment: "1.4", gasPrices: "0.1upeg" },
      logger,
      ensureHeight: async () => {
        if (fail) throw new Error("the node is down");
      },
      heldAtOrBelow: async () => 1n,
      send: async () => undefined,
    });
    expect(await r.step()).toEqual({ claimed: 0, skipped: 0, pending: 1 });
    expect(logs.some((l) => /cannot claim the deposit now.*the node is down/.test(l))).toBe(true);
    fail = false;
    expect(await r.step()).toEqual({ claimed: 1, skipped: 0, pending: 0 });
  });
});
