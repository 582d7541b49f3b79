/**
 * A small checked client for a CometBFT v0.38 node's JSON-RPC over HTTP (URI form: GET /method?args,
 * the node's own `fetch`): what a Tendermint relayer reads — status, signed headers, validator sets
 * (all pages), block results, txs with their proofs (by hash, or every page of a `tx_search`),
 * ABCI queries with their proofs, and broadcast_tx_sync (the relayer sends the federation's releases).
 *
 * Answers are untrusted: each is decoded at the edge into the light client's domain types by
 * light-client/tendermint's decoders (decode.ts, proof-*.ts), and checked against what was asked
 * (height, hash). Nothing here is a proof of anything; the light client verifies what it is sent.
 *
 * Every failure is a `CometRpcError` naming the method: `kind` says whether the node was unreachable,
 * timed out, answered with a JSON-RPC error ("rpc") or an ABCI error code ("abci"), or sent something
 * that does not decode ("bad-response").
 */
import { sha256 } from "../chain/store/sha256";
import { decodeSignedHeader, decodeValidatorSet, parseTime } from "../light-client/tendermint/decode";
import type { SignedHeader, Time, ValidatorSet } from "../light-client/tendermint/types";
import { decodeBlockResultsJson } from "../light-client/tendermint/proof-results-build";
import { decodeExecResultJson, type ExecResult } from "../light-client/tendermint/proof-results";
import { decodeTxProofJson, type TxProof } from "../light-client/tendermint/proof-tx";
import { decodeProofOpsJson, type ProofOp } from "../light-client/tendermint/proof-state";
import { base64Bytes, field, hexBytes, int64, safeInt, toHexUpper, uint32 } from "../light-client/tendermint/proof-json";

export type CometRpcFailure = "unreachable" | "timeout" | "http" | "rpc" | "abci" | "bad-response";

export class CometRpcError extends Error {
  override readonly name = "CometRpcError";
  constructor(
    readonly method: string,
    readonly url: string,
    readonly kind: CometRpcFailure,
    detail: string,
    /** The JSON-RPC error code ("rpc"), the ABCI code ("abci"), or the HTTP status ("http"). */
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(`cometbft ${method} at ${url}: ${detail}`, options);
  }

  /** Unreachable, timed out, a 5xx without a JSON-RPC body: the node may come (back) up. */
  get retryable(): boolean {
    return this.kind === "unreachable" || this.kind === "timeout" || (this.kind === "http" && (this.code ?? 500) >= 500);
  }
}

export interface CometRpcOptions {
  /** e.g. "http://127.0.0.1:26657". */
  readonly url: string;
  /** Per call; default 30 s. */
  readonly timeoutMs?: number;
  /** For tests: a replacement for the global fetch. */
  readonly fetch?: typeof fetch;
}

export interface NodeStatus {
  /** node_info.network. */
  readonly chainId: string;
  readonly latestHeight: bigint;
  readonly latestTime: Time;
  readonly latestAppHash: Uint8Array;
  readonly earliestHeight: bigint;
  readonly catchingUp: boolean;
}

export interface TxAnswer {
  /** sha256(tx), uppercase hex. */
  readonly hash: string;
  readonly height: bigint;
  readonly index: number;
  readonly tx: Uint8Array;
  /** The deterministic part of its result (what last_results_hash commits to). */
  readonly result: ExecResult;
  /** Present when asked with prove=true. */
  readonly proof?: TxProof;
}

/** What `broadcast_tx_sync` answered: CheckTx's verdict on a tx. */
export interface BroadcastAnswer {
  /** sha256(tx), uppercase hex. */
  readonly hash: string;
  /** The node has seen the tx already (its mempool cache: pending, or included), so it did not check it again; code 0 then. */
  readonly inCache: boolean;
  /** CheckTx's code: 0 when the mempool took the tx. */
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
}

export interface AbciQueryAnswer {
  readonly key: Uint8Array;
  /** Undefined when the key is absent. */
  readonly value: Uint8Array | undefined;
  readonly height: bigint;
  /** Empty when asked without prove. */
  readonly proofOps: readonly ProofOp[];
}

/** `{signed_header, validator_set, next_validator_set}` as RPC JSON: what a light client's genesis trusts. */
export interface LightBlockJson {
  readonly signed_header: unknown;
  readonly validator_set: { validators: unknown[] };
  readonly next_validator_set: { validators: unknown[] };
}

/** CometBFT's largest page of /validators. */
export const VALIDATORS_PER_PAGE = 100;
/** CometBFT's largest page of /tx_search. */
export const TX_SEARCH_PER_PAGE = 100;

export interface TxSearchPage {
  readonly txs: TxAnswer[];
  /** All the txs the query matches, over every page. */
  readonly totalCount: number;
}

/** A tx of `/tx` or `tx_search`: its bytes hashed, its proof (with `prove`) checked to be for it. */
function decodeTxAnswer(r: unknown, prove: boolean): TxAnswer {
  const tx = base64Bytes(field(r, "tx", "tx"), "tx");
  const proof = prove ? decodeTxProofJson(field(r, "proof", "tx")) : undefined;
  if (proof !== undefined && Buffer.compare(proof.data, tx) !== 0) throw new Error("the proof is for another tx");
  return {
    hash: toHexUpper(sha256(tx)),
    height: int64(field(r, "height", "tx"), "height"),
    index: safeInt(field(r, "index", "tx"), "index"),
    tx,
    result: decodeExecResultJson(field(r, "tx_result", "tx")),
    ...(proof === undefined ? {} : { proof }),
  };
}

type Height = bigint | number;

export class CometRpcClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(o: CometRpcOptions | string) {
    const opts = typeof o === "string" ? { url: o } : o;
    const u = new URL(opts.url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new TypeError(`a CometBFT RPC URL must be http(s)://, got ${opts.url}`);
    this.url = opts.url.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** One call: the answer's `result`, unchecked. Args are URI-form (strings quoted, bytes 0x-hex). */
  async call(method: string, args: Record<string, string> = {}): Promise<unknown> {
    const qs = new URLSearchParams(args).toString();
    const target = `${this.url}/${method}${qs ? `?${qs}` : ""}`;
    let res: Response;
    let text: string;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.fetchFn(target, { signal: AbortSignal.timeout(this.timeoutMs) });
        text = await res.text();
        break;
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        if (err.name === "TimeoutError" || err.name === "AbortError") throw this.error(method, "timeout", `no answer within ${this.timeoutMs} ms`);
        // A kept-alive connection the node closed while idle fails once with a socket error: retry it.
        const code = err.cause?.code ?? "";
        if (attempt === 0 && /ECONNRESET|UND_ERR_SOCKET|EPIPE/.test(code)) continue;
        throw this.error(method, "unreachable", `${err.message}${code ? ` (${code})` : ""}`, undefined, e);
      }
    }
    let body: { result?: unknown; error?: { code?: number; message?: string; data?: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw this.error(method, "http", `HTTP ${res.status}, not JSON-RPC: ${text.slice(0, 200)}`, res.status);
    }
    if (typeof body !== "object" || body === null) throw this.error(method, "bad-response", "the answer is not a JSON-RPC object");
    if (body.error !== undefined) {
      const { code, message, data } = body.error ?? {};
      throw this.error(method, "rpc", `RPC error ${code}: ${message ?? ""}${data ? `: ${data}` : ""}`, code);
    }
    if (body.result === undefined) throw this.error(method, "bad-response", "the answer has neither result nor error");
    return body.result;
  }

  async status(): Promise<NodeStatus> {
    return this.decoded("status", {}, (r) => {
      const sync = field(r, "sync_info", "status");
      const network = field(field(r, "node_info", "status"), "network", "node_info");
      if (typeof network !== "string") throw new TypeError("node_info.network is not a string");
      return {
        chainId: network,
        latestHeight: int64(field(sync, "latest_block_height", "sync_info"), "latest_block_height"),
        latestTime: parseTime(field(sync, "latest_block_time", "sync_info"), "latest_block_time"),
        latestAppHash: hexBytes(field(sync, "latest_app_hash", "sync_info"), "latest_app_hash"),
        earliestHeight: int64(field(sync, "earliest_block_height", "sync_info"), "earliest_block_height"),
        catchingUp: field(sync, "catching_up", "sync_info") === true,
      };
    });
  }

  /** The signed header at `height` (the latest when omitted). */
  async commit(height?: Height): Promise<SignedHeader> {
    const args: Record<string, string> = height === undefined ? {} : { height: String(height) };
    return this.decoded("commit", args, (r) => {
      const sh = decodeSignedHeader(field(r, "signed_header", "commit"));
      if (height !== undefined && sh.header.height !== BigInt(height)) throw new Error(`a header at height ${sh.header.height}, asked for ${height}`);
      return sh;
    });
  }

  /** The validator set that signs block `height`: every page, as one checked set. */
  async validators(height: Height): Promise<ValidatorSet> {
    const raw = await this.validatorsJson(height);
    return this.decoded("validators", { height: String(height) }, () => decodeValidatorSet({ validators: raw }), raw);
  }

  /** The deterministic results of block `height`'s txs, in block order. */
  async blockResults(height: Height): Promise<ExecResult[]> {
    return this.decoded("block_results", { height: String(height) }, (r) => {
      const got = int64(field(r, "height", "block_results"), "height");
      if (got !== BigInt(height)) throw new Error(`results of height ${got}, asked for ${height}`);
      return decodeBlockResultsJson(r);
    });
  }

  /** A tx by hash (hex, with or without 0x); with `prove` its inclusion proof under its block's data_hash. */
  async tx(hash: string, prove = true): Promise<TxAnswer> {
    const h = hash.replace(/^0x/i, "");
    if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new TypeError(`tx: hash must be 64 hex characters, got ${hash}`);
    return this.decoded("tx", { hash: `0x${h}`, prove: String(prove) }, (r) => {
      const answer = decodeTxAnswer(r, prove);
      if (answer.hash !== h.toUpperCase()) throw new Error(`a tx hashing to ${answer.hash}, asked for ${h.toUpperCase()}`);
      return answer;
    });
  }

  /** As `tx`, but undefined when the node's index has no tx of that hash (not included, or not indexed yet). */
  async findTx(hash: string, prove = true): Promise<TxAnswer | undefined> {
    try {
      return await this.tx(hash, prove);
    } catch (e) {
      // CometBFT answers an unknown hash with a JSON-RPC error "tx (HASH) not found".
      if (e instanceof CometRpcError && e.kind === "rpc" && /tx \([0-9A-Fa-f]*\) not found/.test(e.message)) return undefined;
      throw e;
    }
  }

  /** Sends a raw tx to the node's mempool and waits for CheckTx (not for a block). */
  async broadcastTxSync(tx: Uint8Array): Promise<BroadcastAnswer> {
    const args = { tx: `0x${Buffer.from(tx).toString("hex")}` };
    const hash = toHexUpper(sha256(tx));
    let r: unknown;
    try {
      r = await this.call("broadcast_tx_sync", args);
    } catch (e) {
      // CometBFT refuses a tx its mempool cache holds with a JSON-RPC error, before CheckTx.
      if (e instanceof CometRpcError && e.kind === "rpc" && /tx already exists in cache/.test(e.message)) return { hash, inCache: true, code: 0, codespace: "", log: e.message };
      throw e;
    }
    return this.decoded("broadcast_tx_sync", { hash }, (res) => {
      const got = toHexUpper(hexBytes(field(res, "hash", "broadcast_tx_sync"), "hash"));
      if (got !== hash) throw new Error(`an answer for tx ${got}, sent ${hash}`);
      const text = (name: string) => {
        const v = field(res, name, "broadcast_tx_sync");
        if (typeof v !== "string") throw new TypeError(`${name} is not a string`);
        return v;
      };
      return { hash, inCache: false, code: uint32(field(res, "code", "broadcast_tx_sync"), "code"), codespace: text("codespace"), log: text("log") };
    }, r);
  }

  /**
   * One page of `tx_search` (CometBFT's event query language, e.g. `transfer.recipient='cosmos1...'`),
   * txs with their proofs when `prove`; pages count from 1, `perPage` at most TX_SEARCH_PER_PAGE.
   * Each tx is checked as `tx` checks one (its hash, its proof's data). A page past the last is an
   * "rpc" error from the node; `txSearchAll` reads every page.
   */
  async txSearch(query: string, o: { page?: number; perPage?: number; prove?: boolean; orderBy?: "asc" | "desc" } = {}): Promise<TxSearchPage> {
    const prove = o.prove ?? true;
    const args = {
      query: JSON.stringify(query),
      prove: String(prove),
      page: String(o.page ?? 1),
      per_page: String(Math.min(o.perPage ?? TX_SEARCH_PER_PAGE, TX_SEARCH_PER_PAGE)),
      order_by: JSON.stringify(o.orderBy ?? "asc"),
    };
    return this.decoded("tx_search", args, (r) => {
      const list = field(r, "txs", "tx_search");
      if (!Array.isArray(list)) throw new Error("txs is not an array");
      const txs = list.map((t, i) => {
        const answer = decodeTxAnswer(t, prove);
        const claimed = field(t, "hash", "tx_search");
        if (typeof claimed !== "string" || claimed.toUpperCase() !== answer.hash) throw new Error(`txs[${i}]: hash ${String(claimed)}, the tx hashes to ${answer.hash}`);
        return answer;
      });
      return { txs, totalCount: safeInt(field(r, "total_count", "tx_search"), "total_count") };
    });
  }

  /** Every tx `query` matches, page by page, oldest first (a tx added while paging may be seen on a later call). */
  async txSearchAll(query: string, prove = true): Promise<TxAnswer[]> {
    const all: TxAnswer[] = [];
    for (let page = 1; ; page++) {
      const { txs, totalCount } = await this.txSearch(query, { page, prove, orderBy: "asc" });
      all.push(...txs);
      if (txs.length === 0 || all.length >= totalCount) return all;
    }
  }

  /**
   * An ABCI query at `height` (a query at H answers from the state committed by block H, proven
   * against header H+1's app_hash). A non-zero ABCI code is a CometRpcError of kind "abci".
   */
  async abciQuery(path: string, data: Uint8Array, height: Height, prove = true): Promise<AbciQueryAnswer> {
    const args = { path: JSON.stringify(path), data: `0x${Buffer.from(data).toString("hex")}`, height: String(height), prove: String(prove) };
    const response = await this.decoded("abci_query", args, (r) => field(r, "response", "abci_query"));
    const code = field(response, "code", "response") ?? 0;
    if (code !== 0) {
      const log = field(response, "log", "response");
      const space = field(response, "codespace", "response");
      throw this.error("abci_query", "abci", `${path} at height ${height}: code ${String(code)}${space ? ` (${String(space)})` : ""}: ${String(log ?? "")}`, Number(code));
    }
    return this.decoded("abci_query", args, () => {
      const got = int64(field(response, "height", "response"), "height");
      if (got !== BigInt(height)) throw new Error(`an answer at height ${got}, asked for ${height}`);
      const value = field(response, "value", "response");
      return {
        key: base64Bytes(field(response, "key", "response") ?? null, "key"),
        value: value === null || value === undefined ? undefined : base64Bytes(value, "value"),
        height: got,
        proofOps: prove ? decodeProofOpsJson(field(response, "proofOps", "response")) : [],
      };
    }, response);
  }

  /** The trusted block of a light client's genesis, as RPC JSON, after checking that it decodes. */
  async lightBlockJson(height: Height): Promise<LightBlockJson> {
    const signed = field(await this.call("commit", { height: String(height) }), "signed_header", "commit");
    const [vals, next] = await Promise.all([this.validatorsJson(height), this.validatorsJson(BigInt(height) + 1n)]);
    const block = { signed_header: signed, validator_set: { validators: vals }, next_validator_set: { validators: next } };
    return this.decoded("commit", { height: String(height) }, () => {
      if (decodeSignedHeader(signed).header.height !== BigInt(height)) throw new Error(`not a header at height ${height}`);
      decodeValidatorSet(block.validator_set);
      decodeValidatorSet(block.next_validator_set);
      return block;
    }, block);
  }

  /** Every page of /validators at `height` (raw entries), checked for a consistent total. */
  private async validatorsJson(height: Height): Promise<unknown[]> {
    const all: unknown[] = [];
    let total: bigint | undefined;
    for (let page = 1; total === undefined || BigInt(all.length) < total; page++) {
      const args = { height: String(height), page: String(page), per_page: String(VALIDATORS_PER_PAGE) };
      const { vals, pageTotal } = await this.decoded("validators", args, (r) => {
        const got = int64(field(r, "block_height", "validators"), "block_height");
        if (got !== BigInt(height)) throw new Error(`validators of height ${got}, asked for ${height}`);
        const list = field(r, "validators", "validators");
        if (!Array.isArray(list)) throw new Error("validators is not an array");
        if (int64(field(r, "count", "validators"), "count") !== BigInt(list.length)) throw new Error("count is not the page's length");
        return { vals: list as unknown[], pageTotal: int64(field(r, "total", "validators"), "total") };
      });
      if (total !== undefined && pageTotal !== total) throw this.error("validators", "bad-response", `height ${height}: total ${pageTotal} on page ${page}, ${total} before`);
      total = pageTotal;
      if (vals.length === 0 && BigInt(all.length) < total) throw this.error("validators", "bad-response", `height ${height}: page ${page} is empty, ${all.length} of ${total} read`);
      all.push(...vals);
    }
    if (BigInt(all.length) !== total) throw this.error("validators", "bad-response", `height ${height}: ${all.length} validators read, total says ${total}`);
    return all;
  }

  /** Calls (unless `result` is given) and decodes; a decoding failure becomes a "bad-response" naming the method. */
  private async decoded<T>(method: string, args: Record<string, string>, decode: (result: unknown) => T, result?: unknown): Promise<T> {
    const r = result !== undefined ? result : await this.call(method, args);
    try {
      return decode(r);
    } catch (e) {
      throw this.error(method, "bad-response", `${Object.entries(args).map(([k, v]) => `${k}=${v}`).join(" ")}: ${(e as Error).message}`, undefined, e);
    }
  }

  private error(method: string, kind: CometRpcFailure, detail: string, code?: number, cause?: unknown): CometRpcError {
    return new CometRpcError(method, this.url, kind, detail, code, cause === undefined ? undefined : { cause });
  }
}
