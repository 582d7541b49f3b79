/**
 * The CometBFT RPC client against a fake `fetch` serving real answers of a gaiad v25.1.1 node
 * (cometbft-rpc.fixtures.json: block 4 of a local Hub holding one MsgSend; events trimmed), and
 * synthetic ones for paging and failures. No sockets.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "../chain/store/sha256";
import { parseTrustedHeader } from "../light-client/tendermint/genesis";
import { verifyTxProof } from "../light-client/tendermint/proof-tx";
import { validatorAddress } from "../light-client/tendermint/validator-set";
import { validateSignedHeader } from "../light-client/tendermint/verify";
import { initialize } from "../light-client/tendermint/client";
import { decodeTxProofProto } from "../light-client/tendermint/proof-tx";
import { memoryStore } from "../test/support/store";
import { CometRpcClient, CometRpcError } from "./cometbft-rpc";
import FIXTURES from "./cometbft-rpc.fixtures.json";
import { fetchStateClaim, fetchTxClaim, localClient } from "./tendermint-follower";

type Handler = (method: string, args: URLSearchParams) => unknown;
const URL_ = "http://127.0.0.1:1";

/** A fetch answering `{jsonrpc, id, result}` with what `handler` returns (a Response is passed through). */
function fakeFetch(handler: Handler, calls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const u = new URL(String(input));
    calls.push(`${u.pathname.slice(1)}?${u.searchParams}`);
    const r = handler(u.pathname.slice(1), u.searchParams);
    if (r instanceof Response) return r;
    return new Response(JSON.stringify({ jsonrpc: "2.0", id: -1, ...(r as object) }), { status: 200 });
  }) as typeof fetch;
}

/** Serves the fixtures; validators are relabelled with the height asked for. */
const fixtureHandler: Handler = (method, args) => {
  const f = FIXTURES as Record<string, unknown>;
  if (method === "validators") return { result: { ...FIXTURES.validators, block_height: args.get("height") } };
  if (method === "abci_query" && args.get("path") === '"/nope"') return { result: FIXTURES.abci_bad };
  if (method === "abci_query" && args.get("prove") === "false") return { result: FIXTURES.abci_missing };
  return { result: f[method] };
};

const client = (handler: Handler = fixtureHandler, calls?: string[], timeoutMs?: number) =>
  new CometRpcClient({ url: URL_, fetch: fakeFetch(handler, calls), timeoutMs });

async function failure(p: Promise<unknown>): Promise<CometRpcError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof CometRpcError)) throw new Error(`expected a CometRpcError, got ${String(e)}`);
  return e;
}

describe("real gaiad answers", () => {
  test("status", async () => {
    const s = await client().status();
    expect(s.chainId).toBe("localhub-1");
    expect(s.latestHeight).toBe(BigInt(FIXTURES.status.sync_info.latest_block_height));
    expect(s.earliestHeight).toBe(1n);
    expect(s.catchingUp).toBe(false);
    expect(s.latestAppHash).toHaveLength(32);
  });

  test("commit decodes to a signed header whose commit is for its hash", async () => {
    const calls: string[] = [];
    const sh = await client(fixtureHandler, calls).commit(4);
    expect(calls).toEqual(["commit?height=4"]);
    expect(sh.header.height).toBe(4n);
    expect(() => validateSignedHeader(sh, "localhub-1")).not.toThrow();
    const e = await failure(client().commit(5));
    expect([e.method, e.kind]).toEqual(["commit", "bad-response"]);
    expect(e.message).toMatch(/^cometbft commit at http:\/\/127\.0\.0\.1:1: height=5: a header at height 4, asked for 5/);
  });

  test("validators and a light block a client's genesis accepts", async () => {
    const calls: string[] = [];
    const vals = await client(fixtureHandler, calls).validators(4);
    expect(calls).toEqual(["validators?height=4&page=1&per_page=100"]);
    expect(vals.totalVotingPower).toBe(100n);
    const block = await client().lightBlockJson(4);
    const trusted = parseTrustedHeader(block, "localhub-1");
    expect(trusted.height.revisionHeight).toBe(4n);
    expect(trusted.nextValidatorSet.validators).toHaveLength(1);
  });

  test("tx with its proof, which proves it under the block's data_hash", async () => {
    const c = client();
    const tx = await c.tx(FIXTURES.tx.hash.toLowerCase());
    expect(tx.hash).toBe(FIXTURES.tx.hash);
    expect([tx.height, tx.index, tx.result.code, tx.result.gasWanted]).toEqual([4n, 0, 0, 200000n]);
    const header = (await c.commit(4)).header;
    expect(verifyTxProof(tx.tx, tx.proof!, header.dataHash).txHash).toBe(tx.hash);
    const other = "AB".repeat(32);
    expect((await failure(c.tx(other))).message).toMatch(/cometbft tx .*a tx hashing to 6570.*, asked for ABAB/);
    await expect(c.tx("xyz")).rejects.toThrow(/tx: hash must be 64 hex characters/);
  });

  test("block_results", async () => {
    const results = await client().blockResults(4);
    expect(results).toHaveLength(1);
    expect([results[0].code, results[0].gasUsed]).toEqual([0, 146698n]);
    expect((await failure(client().blockResults(7))).message).toMatch(/block_results .*results of height 4, asked for 7/);
  });

  test("abci_query: a value with two proof ops, an absent key, an ABCI error", async () => {
    const calls: string[] = [];
    const key = Buffer.from(FIXTURES.abci_query.response.key, "base64");
    const q = await client(fixtureHandler, calls).abciQuery("/store/bank/key", key, 4);
    expect(calls[0]).toBe(`abci_query?path=%22%2Fstore%2Fbank%2Fkey%22&data=0x${key.toString("hex")}&height=4&prove=true`);
    expect(Buffer.from(q.value!).toString()).toBe("999900012345");
    expect(q.proofOps.map((o) => o.type)).toEqual(["ics23:iavl", "ics23:simple"]);
    const missing = await client().abciQuery("/store/bank/key", Uint8Array.of(2, 1, 0xaa), 4, false);
    expect([missing.value, missing.proofOps]).toEqual([undefined, []]);
    const e = await failure(client().abciQuery("/nope", Uint8Array.of(1), 4));
    expect([e.kind, e.code]).toEqual(["abci", 6]);
    expect(e.message).toMatch(/abci_query .*\/nope at height 4: code 6 \(sdk\): unknown query path/);
  });
});

describe("what the follower builds from these answers", () => {
  test("a tx claim: the proof re-encoded as protobuf, the result with its path", async () => {
    const claim = await fetchTxClaim(client(), FIXTURES.tx.hash);
    expect(claim.height).toBe(4n);
    const proof = decodeTxProofProto(claim.txProof);
    expect(verifyTxProof(claim.tx, proof, (await client().commit(4)).header.dataHash).txHash).toBe(FIXTURES.tx.hash);
    expect(claim.resultProof).toEqual({ total: 1, index: 0, aunts: [] });
    expect(claim.result.gasUsed).toBe(146698n);
  });

  test("a state claim", async () => {
    const key = Buffer.from(FIXTURES.abci_query.response.key, "base64");
    const claim = await fetchStateClaim(client(), "bank", key, 4n);
    expect([claim.storeName, claim.height, Buffer.from(claim.value!).toString(), claim.proofOps.length]).toEqual(["bank", 4n, "999900012345", 2]);
  });

  test("the local client adapter reads a client registered from these answers", async () => {
    const store = memoryStore();
    await initialize(store, { chain_id: "localhub-1", trust_level: { numerator: 1, denominator: 3 }, trusting_period_seconds: 3600, max_clock_drift_seconds: 10, trusted: await client().lightBlockJson(4) });
    const c = localClient(store);
    expect(await c.params()).toEqual({ chainId: "localhub-1", trustLevel: { numerator: 1n, denominator: 3n }, trustingPeriod: 3600n * 10n ** 9n, maxClockDrift: 10n * 10n ** 9n });
    expect([await c.trustedHeightAtOrBelow(3n), await c.trustedHeightAtOrBelow(4n), await c.trustedHeightAtOrBelow(99n)]).toEqual([undefined, 4n, 4n]);
    const header = (await client().commit(4)).header;
    expect(await c.trustedState(4n)).toEqual({ chainId: "localhub-1", height: 4n, time: header.time, nextValidatorsHash: header.nextValidatorsHash });
    await expect(c.trustedState(5n)).rejects.toThrow(/no consensus state at 5/);
  });
});

describe("validators: every page", () => {
  const keys = Array.from({ length: 250 }, (_, i) => ed25519.getPublicKey(sha256(Buffer.from(`rpc.test ${i}`))));
  const entry = (pk: Uint8Array, i: number) => ({
    address: Buffer.from(validatorAddress(pk)).toString("hex").toUpperCase(),
    pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.from(pk).toString("base64") },
    voting_power: String(1000 - i),
    proposer_priority: "0",
  });
  const paged = (total = 250, tamper?: (page: number, r: Record<string, unknown>) => void): Handler => (_m, args) => {
    const page = Number(args.get("page"));
    const per = Number(args.get("per_page"));
    const slice = keys.slice(0, total).map(entry).slice((page - 1) * per, page * per);
    const result: Record<string, unknown> = { block_height: args.get("height"), validators: slice, count: String(slice.length), total: String(total) };
    tamper?.(page, result);
    return { result };
  };

  test("250 validators in three pages of 100, as one set in CometBFT's order", async () => {
    const calls: string[] = [];
    const set = await client(paged(), calls).validators(9n);
    expect(calls).toEqual([1, 2, 3].map((p) => `validators?height=9&page=${p}&per_page=100`));
    expect(set.validators).toHaveLength(250);
    expect(set.validators[0].votingPower).toBe(1000n);
    expect(set.totalVotingPower).toBe(BigInt(((1000 + 751) * 250) / 2));
  });

  test("inconsistent pages are refused", async () => {
    const changingTotal = paged(250, (p, r) => p === 2 && (r.total = "251"));
    expect((await failure(client(changingTotal).validators(9))).message).toMatch(/validators .*height 9: total 251 on page 2, 250 before/);
    const badCount = paged(250, (p, r) => p === 3 && (r.count = "3"));
    expect((await failure(client(badCount).validators(9))).message).toMatch(/count is not the page's length/);
    const empty = paged(250, (p, r) => p === 2 && ((r.validators = []), (r.count = "0")));
    expect((await failure(client(empty).validators(9))).message).toMatch(/page 2 is empty, 100 of 250 read/);
    const otherHeight = paged(250, (_p, r) => (r.block_height = "8"));
    expect((await failure(client(otherHeight).validators(9))).message).toMatch(/validators of height 8, asked for 9/);
  });
});

describe("tx_search: every page, each tx checked", () => {
  // The fixture's tx as tx_search lists it (its hash and proof included), repeated over pages.
  const entry = { ...FIXTURES.tx, hash: FIXTURES.tx.hash };
  const searched = (total: number, tamper?: (page: number, r: { txs: unknown[]; total_count: string }) => void): Handler => (_m, args) => {
    const page = Number(args.get("page"));
    const per = Number(args.get("per_page"));
    const n = Math.max(0, Math.min(per, total - (page - 1) * per));
    const result = { txs: Array.from({ length: n }, () => entry), total_count: String(total) };
    tamper?.(page, result);
    return { result };
  };

  test("a query in CometBFT's URI form, with proofs, oldest first; three pages for 250 txs", async () => {
    const calls: string[] = [];
    const txs = await client(searched(250), calls).txSearchAll("transfer.recipient='cosmos1abc' AND tx.height>3");
    expect(txs).toHaveLength(250);
    expect(calls).toHaveLength(3);
    const args = new URLSearchParams(calls[0].split("?")[1]);
    expect(Object.fromEntries(args)).toEqual({ query: `"transfer.recipient='cosmos1abc' AND tx.height>3"`, prove: "true", page: "1", per_page: "100", order_by: '"asc"' });
    expect(calls.map((c) => new URLSearchParams(c.split("?")[1]).get("page"))).toEqual(["1", "2", "3"]);
    expect([txs[0].hash, txs[0].height, txs[0].proof?.proof.total]).toEqual([FIXTURES.tx.hash, 4n, 1]);
    expect(await client(searched(0)).txSearchAll("tx.height>1")).toEqual([]);
  });

  test("a tx whose listed hash is not its own, or whose proof is for another tx, is refused", async () => {
    const wrongHash = searched(1, (_p, r) => (r.txs = [{ ...entry, hash: "AB".repeat(32) }]));
    expect((await failure(client(wrongHash).txSearch("tx.height>1"))).message).toMatch(/tx_search .*txs\[0\]: hash ABAB.*, the tx hashes to 6570/);
    const otherProof = searched(1, (_p, r) => (r.txs = [{ ...entry, proof: { ...entry.proof, data: Buffer.from("other").toString("base64") } }]));
    expect((await failure(client(otherProof).txSearch("tx.height>1"))).message).toMatch(/the proof is for another tx/);
    const noProof = await client(searched(1, (_p, r) => (r.txs = [{ ...entry, proof: undefined }]))).txSearch("tx.height>1", { prove: false });
    expect(noProof.txs[0].proof).toBeUndefined();
  });
});

describe("failures name the method", () => {
  test("a JSON-RPC error", async () => {
    const e = await failure(client(() => ({ error: { code: -32603, message: "Internal error", data: "height 100000 must be less than or equal to the current blockchain height 5" } })).commit(100000));
    expect([e.method, e.kind, e.code, e.retryable]).toEqual(["commit", "rpc", -32603, false]);
    expect(e.message).toBe("cometbft commit at http://127.0.0.1:1: RPC error -32603: Internal error: height 100000 must be less than or equal to the current blockchain height 5");
  });

  test("an HTTP answer that is not JSON-RPC", async () => {
    const e = await failure(client(() => new Response("<html>bad gateway</html>", { status: 502 })).status());
    expect([e.method, e.kind, e.code, e.retryable]).toEqual(["status", "http", 502, true]);
  });

  test("a result that does not decode", async () => {
    const e = await failure(client(() => ({ result: { signed_header: { header: {}, commit: {} } } })).commit(3));
    expect([e.method, e.kind]).toEqual(["commit", "bad-response"]);
    expect(e.message).toMatch(/height=3: bad-encoding: header.version is not an object/);
  });

  test("unreachable; a reset kept-alive connection is retried once", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const e = await failure(new CometRpcClient({ url: URL_, fetch: (() => Promise.reject(refused)) as typeof fetch }).status());
    expect([e.kind, e.retryable]).toEqual(["unreachable", true]);
    expect(e.message).toMatch(/cometbft status at .*fetch failed \(ECONNREFUSED\)/);
    let n = 0;
    const reset = Object.assign(new TypeError("fetch failed"), { cause: { code: "UND_ERR_SOCKET" } });
    const flaky = fakeFetch(fixtureHandler);
    const c = new CometRpcClient({ url: URL_, fetch: ((...a: Parameters<typeof fetch>) => (n++ === 0 ? Promise.reject(reset) : flaky(...a))) as typeof fetch });
    expect((await c.status()).chainId).toBe("localhub-1");
    expect(n).toBe(2);
  });

  test("a timeout", async () => {
    const hang = ((_u: unknown, init?: RequestInit) =>
      new Promise((_res, rej) => init?.signal?.addEventListener("abort", () => rej(init.signal!.reason)))) as typeof fetch;
    const e = await failure(new CometRpcClient({ url: URL_, fetch: hang, timeoutMs: 50 }).validators(1));
    expect([e.method, e.kind, e.retryable]).toEqual(["validators", "timeout", true]);
  });
});
