/**
 * The relayer's Hub releases without sockets: the proofs it builds (the tx proof and the account
 * proof from real gaiad answers, cometbft-rpc.fixtures.json), the two CometBFT calls it adds
 * (a tx lookup that may find nothing, broadcast_tx_sync), and the rounds of `HubReleases` against a
 * fake node and a fake pegzone: what each state of a live release leads to, the pauses that keep
 * proofs from being sent every round, account learning, and failures confined to one release.
 */
import type { Any } from "cosmjs-types/google/protobuf/any";
import { Any as AnyProto } from "cosmjs-types/google/protobuf/any";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { ProofOps } from "cosmjs-types/tendermint/crypto/proof";
import { generateSignerKey } from "../chain/keys/key-files";
import { ADDRESS_PREFIX, toBech32 } from "../chain/crypto/address";
import type { RpcClient } from "../chain/client/rpc";
import type { KeySigner } from "../chain/keys/keyring";
import type { Logger } from "../chain/log";
import { sha256 } from "../chain/store/sha256";
import { leafHash } from "../light-client/tendermint/merkle";
import { federationAccountAddress, RESERVE_ACCOUNT_TYPE } from "../modules/peg/tendermint/deposit-flow";
import { decodeTendermintDepositProof, reserveAccountData } from "../modules/peg/tendermint/deposit-proof";
import { tendermintParamsAny } from "../modules/peg/tendermint/params";
import { accountBytes } from "../modules/peg/tendermint/transfer";
import { pegzone } from "../proto";
import { CometRpcClient, type AbciQueryAnswer, type BroadcastAnswer, type TxAnswer } from "./cometbft-rpc";
import FIXTURES from "./cometbft-rpc.fixtures.json";
import { hubDepositProof, REFUSED_RETRY_MS, type Refusal } from "./hub-deposits";
import { HubReleases, hubAccountProof, hubReleaseTxProof, NoHubAccountError, type ReleaseRound } from "./hub-releases";
import { RELEASE_PROOF_TYPE } from "../modules/peg/tendermint/release-flow";
import { MetricsRegistry } from "../chain/metrics/prometheus";
import { parsePrometheusText, sampleValue } from "../test/support/prometheus-text";
import { RelayerMetrics } from "./metrics";

const v1 = pegzone.peg.v1;
const tmV1 = pegzone.peg.tendermint.v1;
const { RELEASE_STATUS_SIGNING: SIGNING, RELEASE_STATUS_SIGNED: SIGNED } = v1.ReleaseStatus;
const federation = { id: 1, members: [0, 1, 2].map(() => ({ pubkey: generateSignerKey().publicKey, weight: 1, account: "" })), threshold: 2 };
const chain: pegzone.peg.v1.IMainChain = { id: "hub", clientType: "tendermint", federation, params: tendermintParamsAny({ denom: "stake", bech32Prefix: "cosmos" }) };
const FED = federationAccountAddress(chain, federation);
const FED_BYTES = accountBytes(FED)!;
const RELAYER = toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(1));
const INTERVAL = 20_000;
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

/** A fetch serving `{result}` or `{error}` per method, recording the calls. */
function fakeFetch(answer: (method: string, args: URLSearchParams) => object, calls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const u = new URL(String(input));
    const method = u.pathname.slice(1);
    calls.push(`${method}?${u.searchParams}`);
    return new Response(JSON.stringify({ jsonrpc: "2.0", id: -1, ...answer(method, u.searchParams) }));
  }) as typeof fetch;
}
const rpcError = (data: string) => ({ error: { code: -32603, message: "Internal error", data } });

describe("the proofs a release round sends, from real gaiad answers", () => {
  test("hubAccountProof: the account's stored value and its proof ops as ProofOps bytes, asked at /store/acc/key with 0x01 ‖ address", async () => {
    const calls: string[] = [];
    const comet = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => ({ result: FIXTURES.abci_query }), calls) });
    const any = await hubAccountProof(comet, FED, 4n);
    expect(any.type_url).toBe(RELEASE_PROOF_TYPE);
    expect(calls).toEqual([`abci_query?path=%22%2Fstore%2Facc%2Fkey%22&data=0x01${Buffer.from(FED_BYTES).toString("hex")}&height=4&prove=true`]);
    const p = tmV1.ReleaseProof.decode(any.value!);
    expect(p.proof).toBe("account");
    const a = p.account as pegzone.peg.tendermint.v1.AccountProof; // decoded: every field set
    expect([a.height, a.address, Buffer.from(a.account).toString("base64")]).toEqual([4, FED, FIXTURES.abci_query.response.value]);
    const ops = ProofOps.decode(a.proofOps).ops;
    expect(ops.map((o) => [o.type, Buffer.from(o.key).toString("base64"), Buffer.from(o.data).toString("base64")])).toEqual(
      FIXTURES.abci_query.response.proofOps.ops.map((o) => [o.type, o.key, o.data]),
    );
    // Canonical: what the light client's decoder (decodeCanonical) accepts.
    expect(hexOf(ProofOps.encode(ProofOps.decode(a.proofOps)).finish())).toBe(hexOf(a.proofOps));
  });

  test("hubAccountProof: an account the Hub does not have, a bad address or height", async () => {
    // An absent key answers no value (with prove=true, a non-existence proof: the fixture's ops stand in for it).
    const absent = { response: { ...FIXTURES.abci_missing.response, proofOps: FIXTURES.abci_query.response.proofOps } };
    const comet = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => ({ result: absent })) });
    await expect(hubAccountProof(comet, FED, 4n)).rejects.toThrow(NoHubAccountError);
    await expect(hubAccountProof(comet, "cosmos1nope", 4n)).rejects.toThrow(/not a bech32 account address/);
    await expect(hubAccountProof(comet, FED, 0n)).rejects.toThrow(/height must be from 1/);
  });

  test("hubReleaseTxProof: the DepositProof hubDepositProof builds (msg_index 0) inside a ReleaseProof", async () => {
    const comet = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch((method) => ({ result: (FIXTURES as Record<string, unknown>)[method] })) });
    const tx = await comet.tx(FIXTURES.tx.hash, true);
    const any = await hubReleaseTxProof(comet, tx);
    expect(any.type_url).toBe(RELEASE_PROOF_TYPE);
    const p = tmV1.ReleaseProof.decode(any.value!);
    expect(p.proof).toBe("tx");
    expect(hexOf(tmV1.DepositProof.encode(p.tx!).finish())).toBe(hexOf((await hubDepositProof(comet, tx, 0)).value!));
    expect(decodeTendermintDepositProof(tmV1.DepositProof.encode(p.tx!).finish()).msgIndex).toBe(0);
  });
});

describe("the CometBFT calls a release round makes", () => {
  const TX = Uint8Array.of(1, 2, 3);
  const HASH = hexOf(sha256(TX));

  test.each([
    { name: "taken by the mempool", answer: { result: { code: 0, data: "", log: "[]", codespace: "", hash: HASH } }, want: { hash: HASH, inCache: false, code: 0, codespace: "", log: "[]" } },
    { name: "refused by CheckTx", answer: { result: { code: 13, data: "", log: "insufficient fee", codespace: "sdk", hash: HASH } }, want: { hash: HASH, inCache: false, code: 13, codespace: "sdk", log: "insufficient fee" } },
    { name: "seen already", answer: rpcError("tx already exists in cache"), want: { hash: HASH, inCache: true, code: 0, codespace: "" } },
  ])("broadcast_tx_sync: $name", async ({ answer, want }) => {
    const calls: string[] = [];
    const comet = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => answer, calls) });
    expect(await comet.broadcastTxSync(TX)).toMatchObject(want);
    expect(calls).toEqual(["broadcast_tx_sync?tx=0x010203"]);
  });

  test("broadcast_tx_sync: other node errors, and an answer for another tx, throw", async () => {
    const full = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => rpcError("mempool is full")) });
    await expect(full.broadcastTxSync(TX)).rejects.toThrow(/mempool is full/);
    const other = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => ({ result: { code: 0, data: "", log: "", codespace: "", hash: "AB".repeat(32) } })) });
    await expect(other.broadcastTxSync(TX)).rejects.toThrow(/an answer for tx ABAB/);
  });

  test("findTx: undefined for a hash the index lacks; other errors throw", async () => {
    const missing = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => rpcError(`tx (${HASH}) not found`)) });
    expect(await missing.findTx(HASH)).toBeUndefined();
    const disabled = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => rpcError("transaction indexing is disabled")) });
    await expect(disabled.findTx(HASH)).rejects.toThrow(/indexing is disabled/);
    const found = new CometRpcClient({ url: "http://127.0.0.1:1", fetch: fakeFetch(() => ({ result: FIXTURES.tx })) });
    expect((await found.findTx(FIXTURES.tx.hash))?.height).toBe(4n);
  });
});

/** A raw tx the fake node serves (its bytes only matter through their hash). */
const rawTx = (memo: string) => TxRaw.encode({ bodyBytes: TxBody.encode(TxBody.fromPartial({ memo })).finish(), authInfoBytes: new Uint8Array([1]), signatures: [new Uint8Array([2])] }).finish();

/** A live release of FED at sequence 3, valid up to `timeout`. */
function release(id: number, status: pegzone.peg.v1.ReleaseStatus, timeout: number): pegzone.peg.v1.IRelease {
  return {
    id,
    mainchain: "hub",
    federationId: 1,
    status,
    context: tmV1.ReleaseContext.encode({ accountNumber: 7, sequence: 3, timeoutHeight: timeout, gasPriceMicro: 1_000_000 }).finish(),
    inputs: [{ value: "1000", federationId: 1, data: { type_url: RESERVE_ACCOUNT_TYPE, value: reserveAccountData(FED) } }],
    signedTx: status === SIGNED ? rawTx(`release ${id}`) : new Uint8Array(),
  };
}

/** The Hub's answer for a release tx included at `height` with `code`. */
function included(r: pegzone.peg.v1.IRelease, height: bigint, code: number): TxAnswer {
  const tx = r.signedTx!;
  const hash = sha256(tx);
  return {
    hash: hexOf(hash),
    height,
    index: 0,
    tx,
    result: { code, data: new Uint8Array(), gasWanted: 200_000n, gasUsed: 150_000n },
    proof: { rootHash: leafHash(hash), data: tx, proof: { total: 1, index: 0, leafHash: leafHash(hash), aunts: [] } },
  };
}

/** What pegzone was sent, read back: a tx proof (its height and code) or an account proof (its account and height). */
type Sent = { tx: bigint; code: number } | { account: string; height: bigint };

describe("HubReleases rounds against a fake node and a fake pegzone", () => {
  let latest: bigint;
  let onHub: TxAnswer[];
  let mempool: (tx: Uint8Array) => BroadcastAnswer;
  let broadcasts: number;
  let accounts: Set<string>;
  let releases: pegzone.peg.v1.IRelease[];
  /** What pegzone's ReleaseContext query says is missing for the federation ("": it can build a release). */
  let missing: string;
  let sent: Sent[];
  let ensured: bigint[];
  let logs: string[];
  let clock: number;
  let refuse: (proof: Sent) => Refusal | undefined;
  let frozen: boolean;
  let failFind: string | undefined;

  const comet = {
    status: async () => ({ latestHeight: latest }),
    findTx: async (hash: string) => {
      if (hash === failFind) throw new Error("the node is down");
      return onHub.find((t) => t.hash === hash && t.height <= latest);
    },
    broadcastTxSync: async (tx: Uint8Array) => (broadcasts++, mempool(tx)),
    blockResults: async (height: bigint) => onHub.filter((t) => t.height === height).map((t) => t.result),
    abciQuery: async (path: string, key: Uint8Array, height: bigint): Promise<AbciQueryAnswer> => {
      expect(path).toBe("/store/acc/key");
      expect(hexOf(key)).toBe(`01${hexOf(FED_BYTES)}`);
      const value = accounts.has(FED) ? AnyProto.encode({ typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value: BaseAccount.encode(BaseAccount.fromPartial({ address: FED, accountNumber: 7n, sequence: 3n })).finish() }).finish() : undefined;
      return { key, value, height, proofOps: [{ type: "ics23:iavl", key, data: Uint8Array.of(1) }, { type: "ics23:simple", key: new TextEncoder().encode("acc"), data: Uint8Array.of(2) }] };
    },
  } as unknown as CometRpcClient;

  const pegzoneRpc = {
    url: "http://127.0.0.1:1",
    async query(path: string, data: Uint8Array): Promise<Uint8Array> {
      const method = path.split("/").pop();
      if (method === "MainChains") return v1.QueryMainChainsResponse.encode({ mainchains: [chain] }).finish();
      if (method === "ClientState") return v1.QueryClientStateResponse.encode({ clientType: "tendermint", status: "Active", freeze: { frozen } }).finish();
      if (method === "Releases") {
        const { status } = v1.QueryReleasesRequest.decode(data);
        return v1.QueryReleasesResponse.encode({ releases: releases.filter((r) => r.status === status) }).finish();
      }
      if (method === "Federations") return v1.QueryFederationsResponse.encode({ current: federation }).finish();
      if (method === "ReleaseContext") {
        expect(Number(v1.QueryReleaseContextRequest.decode(data).federationId)).toBe(1);
        return v1.QueryReleaseContextResponse.encode({ missing }).finish();
      }
      throw new Error(`unexpected query ${path}`);
    },
  } as unknown as RpcClient;

  const logger = {
    info: (fields: object, msg: string) => logs.push(`${msg} ${JSON.stringify(fields)}`),
    warn: (fields: object, msg: string) => logs.push(`${msg} ${JSON.stringify(fields)}`),
    debug: () => undefined,
  } as unknown as Logger;

  const relayer = (metrics?: RelayerMetrics) =>
    new HubReleases({
      metrics,
      mainchain: "hub",
      comet,
      pegzone: pegzoneRpc,
      signer: { address: RELAYER } as unknown as KeySigner,
      tx: { gasAdjustment: "1.4", gasPrices: "0.1upeg" },
      logger,
      ensureHeight: async (h) => void ensured.push(h),
      accountProofIntervalMs: INTERVAL,
      now: () => clock,
      send: async (msg: Any) => {
        const m = v1.MsgConfirmRelease.decode(msg.value);
        expect([msg.typeUrl, m.relayer, m.mainchain, m.proof?.type_url]).toEqual(["/pegzone.peg.v1.MsgConfirmRelease", RELAYER, "hub", RELEASE_PROOF_TYPE]);
        const p = tmV1.ReleaseProof.decode(m.proof!.value!);
        const got: Sent = p.proof === "tx" ? { tx: BigInt(p.tx!.height!), code: p.tx!.result!.code! } : { account: p.account!.address!, height: BigInt(p.account!.height!) };
        sent.push(got);
        return refuse(got);
      },
    });

  beforeEach(() => {
    [latest, onHub, broadcasts, accounts, releases, missing, sent, ensured, logs, clock] = [15n, [], 0, new Set([FED]), [], "", [], [], [], 0];
    mempool = (tx) => ({ hash: hexOf(sha256(tx)), inCache: false, code: 0, codespace: "", log: "" });
    refuse = () => undefined;
    frozen = false;
    failFind = undefined;
  });

  const taken = (tx: Uint8Array): BroadcastAnswer => ({ hash: hexOf(sha256(tx)), inCache: false, code: 0, codespace: "", log: "" });
  const cached = (tx: Uint8Array): BroadcastAnswer => ({ ...taken(tx), inCache: true });

  test.each<{ name: string; status: pegzone.peg.v1.ReleaseStatus; latest: bigint; hub?: [bigint, number]; mempool?: typeof taken; round: ReleaseRound; sent: Sent[]; ensured: bigint[]; broadcasts: number }>([
    { name: "signed, not on the Hub, before its timeout: broadcast", status: SIGNED, latest: 15n, round: { txProofs: 0, broadcast: 1, accountProofs: 0 }, sent: [], ensured: [], broadcasts: 1 },
    { name: "signed, not on the Hub, at its timeout height: still broadcast", status: SIGNED, latest: 20n, round: { txProofs: 0, broadcast: 1, accountProofs: 0 }, sent: [], ensured: [], broadcasts: 1 },
    { name: "signed, in the node's cache already: nothing new", status: SIGNED, latest: 15n, mempool: cached, round: { txProofs: 0, broadcast: 0, accountProofs: 0 }, sent: [], ensured: [], broadcasts: 1 },
    { name: "signed, past its timeout and not included: the account after block latest-1", status: SIGNED, latest: 25n, round: { txProofs: 0, broadcast: 0, accountProofs: 1 }, sent: [{ account: FED, height: 24n }], ensured: [25n], broadcasts: 0 },
    { name: "signed, included with code 0: its tx proof, headers H and H+1", status: SIGNED, latest: 14n, hub: [12n, 0], round: { txProofs: 1, broadcast: 0, accountProofs: 0 }, sent: [{ tx: 12n, code: 0 }], ensured: [12n, 13n], broadcasts: 0 },
    {
      name: "signed, included with code 5: its tx proof, then the account after block H",
      status: SIGNED,
      latest: 14n,
      hub: [12n, 5],
      round: { txProofs: 1, broadcast: 0, accountProofs: 1 },
      sent: [{ tx: 12n, code: 5 }, { account: FED, height: 12n }],
      ensured: [12n, 13n, 13n],
      broadcasts: 0,
    },
    { name: "signed, included in the latest block: wait for H+1", status: SIGNED, latest: 12n, hub: [12n, 0], round: { txProofs: 0, broadcast: 0, accountProofs: 0 }, sent: [], ensured: [], broadcasts: 0 },
    { name: "signed, included after its timeout height would show (the index decides, not the height)", status: SIGNED, latest: 30n, hub: [20n, 0], round: { txProofs: 1, broadcast: 0, accountProofs: 0 }, sent: [{ tx: 20n, code: 0 }], ensured: [20n, 21n], broadcasts: 0 },
    { name: "signing, before its timeout: nothing", status: SIGNING, latest: 20n, round: { txProofs: 0, broadcast: 0, accountProofs: 0 }, sent: [], ensured: [], broadcasts: 0 },
    { name: "signing, past its timeout: the account proves it can never execute", status: SIGNING, latest: 21n, round: { txProofs: 0, broadcast: 0, accountProofs: 1 }, sent: [{ account: FED, height: 20n }], ensured: [21n], broadcasts: 0 },
  ])("$name", async (c) => {
    const r = release(1, c.status, 20);
    releases = [r];
    latest = c.latest;
    if (c.hub) onHub = [included(r, ...c.hub)];
    if (c.mempool) mempool = c.mempool;
    expect(await relayer().step()).toEqual(c.round);
    expect([sent, ensured, broadcasts]).toEqual([c.sent, c.ensured, c.broadcasts]);
  });

  test("a release the Hub refuses is broadcast each round, its refusal logged at most once a minute", async () => {
    releases = [release(1, SIGNED, 20)];
    mempool = (tx) => ({ ...taken(tx), code: 13, codespace: "sdk", log: "insufficient fee" });
    const r = relayer();
    const refusals = () => logs.filter((l) => /the Hub refused the release tx.*"code":13.*insufficient fee/.test(l)).length;
    expect(await r.step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 0 });
    clock += 59_999;
    await r.step();
    expect([broadcasts, refusals()]).toEqual([2, 1]);
    clock += 1;
    await r.step();
    expect([broadcasts, refusals()]).toEqual([3, 2]);
  });

  test("a refused proof waits REFUSED_RETRY_MS; a taken one that decided nothing waits the interval", async () => {
    releases = [release(1, SIGNED, 20)];
    latest = 25n;
    refuse = () => ({ codespace: "peg", code: 5, log: "invalid proof" });
    const r = relayer();
    expect(await r.step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 0 });
    expect(logs.some((l) => /pegzone refused the account proof.*"code":5/.test(l))).toBe(true);
    clock += REFUSED_RETRY_MS - 1;
    await r.step();
    expect(sent).toHaveLength(1);
    refuse = () => undefined;
    clock += 1;
    expect(await r.step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 1 });
    // pegzone took it but the release is still live (say the account had moved on): not every round.
    clock += INTERVAL - 1;
    await r.step();
    expect(sent).toHaveLength(2);
    clock += 1;
    latest = 26n;
    await r.step();
    expect(sent).toEqual([{ account: FED, height: 24n }, { account: FED, height: 24n }, { account: FED, height: 25n }]);
  });

  test("after a failed inclusion the account proof is sent even when pegzone refuses the tx proof (it may hold it already)", async () => {
    const r = release(1, SIGNED, 20);
    releases = [r];
    onHub = [included(r, 12n, 5)];
    refuse = (p) => ("tx" in p ? { codespace: "peg", code: 30, log: "already recorded" } : undefined);
    expect(await relayer().step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 1 });
    expect(sent).toEqual([{ tx: 12n, code: 5 }, { account: FED, height: 12n }]);
  });

  test("a failure with one release is logged and the next one still handled; step() does not throw", async () => {
    const bad = release(1, SIGNED, 20);
    releases = [bad, release(2, SIGNED, 20)];
    failFind = hexOf(sha256(bad.signedTx!));
    expect(await relayer().step()).toEqual({ txProofs: 0, broadcast: 1, accountProofs: 0 });
    expect(logs.some((l) => /cannot settle the release now.*"release":1.*the node is down/.test(l))).toBe(true);
  });

  test("account learning: while pegzone cannot build the federation's next release (its number unknown), the account after block latest-1, once per interval", async () => {
    missing = "the number of federation 1's account is not proven yet";
    const r = relayer();
    expect(await r.step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 1 });
    expect([sent, ensured]).toEqual([[{ account: FED, height: 14n }], [15n]]);
    clock += INTERVAL - 1;
    await r.step();
    expect(sent).toHaveLength(1);
    clock += 1;
    await r.step();
    expect(sent).toHaveLength(2);
    // A restart forgets the pause: pegzone's state decides, and one more proof is harmless.
    await relayer().step();
    expect(sent).toHaveLength(3);
  });

  test.each([
    { name: "the account known to pegzone", missing: "", live: [] as pegzone.peg.v1.ReleaseStatus[] },
    { name: "a release being signed", missing: "not proven", live: [SIGNING] },
    { name: "a signed release", missing: "not proven", live: [SIGNED] },
  ])("account learning: nothing with $name", async ({ missing: why, live }) => {
    missing = why;
    releases = live.map((s, i) => release(i + 1, s, 20));
    await relayer().step();
    expect(sent).toEqual([]);
  });

  test("account learning: an account the Hub does not have yet is logged once and not sent", async () => {
    missing = "not proven";
    accounts = new Set();
    const r = relayer();
    await r.step();
    clock += INTERVAL;
    await r.step();
    expect(sent).toEqual([]);
    expect(logs.filter((l) => /does not exist on the Hub yet/.test(l))).toHaveLength(1);
    accounts = new Set([FED]);
    clock += INTERVAL;
    expect(await r.step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 1 });
  });

  test("the metrics count what the Hub and pegzone took: release_broadcast, release_proof, account_proof (a refused proof not)", async () => {
    const registry = new MetricsRegistry();
    const metrics = new RelayerMetrics(registry, "hub");
    const submitted = async () => {
      const { samples, invalid } = parsePrometheusText(await registry.render());
      expect(invalid).toEqual([]);
      return ["release_broadcast", "release_proof", "account_proof"].map((kind) => sampleValue(samples, "pegzone_relayer_submitted_total", { mainchain: "hub", kind }));
    };
    const r = release(1, SIGNED, 20);
    releases = [r];
    expect(await relayer(metrics).step()).toEqual({ txProofs: 0, broadcast: 1, accountProofs: 0 });
    expect(await submitted()).toEqual([1, 0, 0]);
    // Included with a failure: its tx proof, refused (pegzone holds it already), and the account proof, taken.
    [latest, onHub] = [14n, [included(r, 12n, 5)]];
    refuse = (p) => ("tx" in p ? { codespace: "peg", code: 30, log: "already recorded" } : undefined);
    await relayer(metrics).step();
    expect(await submitted()).toEqual([1, 0, 1]);
    refuse = () => undefined;
    clock += INTERVAL;
    await relayer(metrics).step();
    expect(await submitted()).toEqual([1, 1, 2]);
  });

  test("nothing while the peg is frozen", async () => {
    releases = [release(1, SIGNED, 20)];
    frozen = true;
    expect(await relayer().step()).toEqual({ txProofs: 0, broadcast: 0, accountProofs: 0 });
    expect([broadcasts, sent]).toEqual([0, []]);
  });
});
