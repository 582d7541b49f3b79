/**
 * A small typed JSON-RPC client for a Bitcoin node: btcd or Bitcoin Core (bitcoind).
 *
 * Transport: HTTP POST with basic auth, JSON-RPC 1.0 request objects (`{"jsonrpc":"1.0","id":n,...}`),
 * which both btcd and bitcoind accept. btcd drops requests without an id and closes the connection
 * after every reply (it hijacks the socket), so no keep-alive agent is used: one connection a call.
 *
 * Byte order, everywhere in this file:
 *  - Hashes (block hashes, txids) cross the RPC as *display hex*: the byte-reversed hex that explorers
 *    and RPCs print. Methods take and return them as `DisplayHash` strings. To get the internal byte
 *    order the light client uses (Merkle trees, outpoints, prevBlock), use `fromDisplayHex`.
 *  - Raw objects (headers, blocks, transactions, merkleblock proofs) are returned as `Uint8Array` in
 *    wire (serialization) order, ready for the light client's decoders.
 *
 * Errors:
 *  - `BitcoinRpcError`: the node answered with a JSON-RPC error object (`code`, `message`).
 *  - `BitcoinRpcConnectionError`: no usable answer at all: the node is unreachable (ECONNREFUSED, ...),
 *    the call timed out, or the HTTP reply was not JSON-RPC (401 bad credentials, 503 busy, ...).
 *    `retryable` says whether trying again later may help (a relayer loop retries those).
 */
import { request } from "node:http";
import { fromHex, toHex } from "../light-client/bitcoin/bytes";

/** A block hash or txid as RPCs print it: 64 hex characters, byte-reversed from internal order. */
export type DisplayHash = string;

export interface BitcoinRpcOptions {
  /** e.g. "http://127.0.0.1:18443". Only plain HTTP (btcd with --notls, or bitcoind). */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Per call; default 30 s. */
  readonly timeoutMs?: number;
}

/** Codes of the JSON-RPC errors callers commonly branch on (same values in btcd and Bitcoin Core). */
export const RPC_ERROR = Object.freeze({
  /** Core: RPC_MISC_ERROR; btcd: also "unimplemented" and "wallet command" (both -1). */
  MISC: -1,
  /** RPC_TYPE_ERROR: a parameter of the wrong JSON type (Core). */
  TYPE: -3,
  /** RPC_INVALID_ADDRESS_OR_KEY: unknown block or transaction (Core; btcd uses -5 for txs too). */
  INVALID_ADDRESS_OR_KEY: -5,
  /** RPC_INVALID_PARAMETER. */
  INVALID_PARAMETER: -8,
  /** RPC_DESERIALIZATION_ERROR: a raw transaction or block that does not decode. */
  DESERIALIZATION: -22,
  /** RPC_IN_WARMUP (Core, while loading): retry later. */
  IN_WARMUP: -28,
  /** RPC_VERIFY_ERROR / RPC_VERIFY_REJECTED / RPC_VERIFY_ALREADY_IN_CHAIN (sendrawtransaction). */
  VERIFY_ERROR: -25,
  VERIFY_REJECTED: -26,
  VERIFY_ALREADY_IN_CHAIN: -27,
  /** JSON-RPC "method not found". */
  METHOD_NOT_FOUND: -32601,
  /** JSON-RPC "invalid params" (btcd, for parameters it cannot unmarshal). */
  INVALID_PARAMS: -32602,
  /** JSON-RPC "parse error". */
  PARSE_ERROR: -32700,
});

/** The node answered the call with an error object. */
export class BitcoinRpcError extends Error {
  override readonly name = "BitcoinRpcError";
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
  ) {
    super(`${method}: RPC error ${code}: ${rpcMessage}`);
  }

  /** Core's "in warm-up" (-28): the node is starting; the call may succeed later. */
  get retryable(): boolean {
    return this.code === RPC_ERROR.IN_WARMUP;
  }
}

export type ConnectionFailure = "unreachable" | "timeout" | "http" | "bad-response";

/** No JSON-RPC answer: the node could not be reached, timed out, or replied with something else. */
export class BitcoinRpcConnectionError extends Error {
  override readonly name = "BitcoinRpcConnectionError";
  constructor(
    readonly method: string,
    readonly url: string,
    readonly reason: ConnectionFailure,
    message: string,
    /** The socket error code (ECONNREFUSED, ECONNRESET, ...) when there was one. */
    readonly errno?: string,
    /** The HTTP status when the node replied with one but no JSON-RPC body. */
    readonly status?: number,
  ) {
    super(`${method} at ${url}: ${message}`);
  }

  /** Unreachable, timed out, 5xx: the node may come (back) up. Bad credentials (401/403) will not fix themselves. */
  get retryable(): boolean {
    if (this.reason === "unreachable" || this.reason === "timeout") return true;
    if (this.reason === "http") return this.status === undefined || this.status >= 500;
    return false;
  }
}

/** `getrawtransaction txid 1`: the fields both btcd and Core return and the relayer needs. */
export interface RawTransactionVerbose {
  readonly txid: DisplayHash;
  /** wtxid (Core calls it "hash"). */
  readonly hash: DisplayHash;
  /** The raw transaction, wire order. */
  readonly raw: Uint8Array;
  /** Absent while the transaction is in the mempool. */
  readonly blockhash?: DisplayHash;
  /** 0 or absent while in the mempool. */
  readonly confirmations?: number;
  readonly blocktime?: number;
}

export interface BlockchainInfo {
  /** "main", "test", "testnet4", "signet", "regtest" (btcd and Core use the same names). */
  readonly chain: string;
  readonly blocks: number;
  readonly bestblockhash: DisplayHash;
}

export interface TxOut {
  readonly bestblock: DisplayHash;
  readonly confirmations: number;
  /** BTC as a JSON number (as both nodes print it); convert with care. */
  readonly value: number;
  readonly scriptPubKey: { readonly hex: string };
  readonly coinbase: boolean;
}

export interface Outpoint {
  readonly txid: DisplayHash;
  readonly vout: number;
}

const HASH_RE = /^[0-9a-f]{64}$/;

function checkHash(h: string, what: string): DisplayHash {
  if (typeof h !== "string" || !HASH_RE.test(h)) throw new TypeError(`${what} must be 64 lowercase hex characters (display order), got ${String(h).slice(0, 80)}`);
  return h;
}

export class BitcoinRpcClient {
  readonly url: string;
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private nextId = 1;
  /** Whether `getblock` takes an int verbosity (btcd >= 0.22, Core >= 0.15) or only a bool (old btcd); learnt on first use. */
  private getblockVerbosityBool: boolean | undefined;
  /** Whether the node has `generate` (btcd) or only `generatetoaddress` (Core >= 0.19); learnt on first use. */
  private hasGenerate: boolean | undefined;

  constructor(o: BitcoinRpcOptions) {
    const u = new URL(o.url);
    if (u.protocol !== "http:") throw new TypeError(`only http:// RPC URLs are supported, got ${o.url}`);
    this.url = o.url;
    this.host = u.hostname;
    this.port = u.port === "" ? 80 : Number(u.port);
    this.path = u.pathname === "" ? "/" : u.pathname;
    this.auth = Buffer.from(`${o.user}:${o.password}`).toString("base64");
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** One JSON-RPC call; `result` is returned as parsed JSON (callers narrow it). */
  call<T = unknown>(method: string, params: readonly unknown[] = []): Promise<T> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: "1.0", id, method, params });
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve(value as T);
      };
      const req = request(
        {
          host: this.host,
          port: this.port,
          path: this.path,
          method: "POST",
          agent: false,
          headers: {
            "Content-Type": "application/json",
            "Content-Length": Buffer.byteLength(body),
            Authorization: `Basic ${this.auth}`,
            Connection: "close",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e: NodeJS.ErrnoException) =>
            done(new BitcoinRpcConnectionError(method, this.url, "unreachable", `reading the reply: ${e.message}`, e.code)),
          );
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let reply: { result?: unknown; error?: { code?: unknown; message?: unknown } | null; id?: unknown };
            try {
              reply = JSON.parse(text);
            } catch {
              // Not JSON-RPC: 401 (bad credentials), 503 (too many clients), 404, ...
              const status = res.statusCode;
              done(new BitcoinRpcConnectionError(method, this.url, "http", `HTTP ${status}: ${text.trim().slice(0, 200)}`, undefined, status));
              return;
            }
            if (reply === null || typeof reply !== "object") {
              done(new BitcoinRpcConnectionError(method, this.url, "bad-response", `reply is not a JSON object: ${text.slice(0, 200)}`));
              return;
            }
            // Core answers errors with HTTP 500/404 and a JSON body; btcd with 200. Either way the body decides.
            if (reply.error !== undefined && reply.error !== null) {
              const code = typeof reply.error.code === "number" ? reply.error.code : RPC_ERROR.MISC;
              const msg = typeof reply.error.message === "string" ? reply.error.message : JSON.stringify(reply.error);
              done(new BitcoinRpcError(method, code, msg));
              return;
            }
            if (reply.id !== id) {
              done(new BitcoinRpcConnectionError(method, this.url, "bad-response", `reply id ${JSON.stringify(reply.id)} is not request id ${id}`));
              return;
            }
            done(undefined, reply.result as T);
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        done(new BitcoinRpcConnectionError(method, this.url, "timeout", `no reply within ${this.timeoutMs} ms`));
        req.destroy();
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        const what = e.code === "ECONNREFUSED" ? "node unreachable (connection refused; is it running?)" : `request failed: ${e.message}`;
        done(new BitcoinRpcConnectionError(method, this.url, "unreachable", what, e.code));
      });
      req.end(body);
    });
  }

  private hexResult(method: string, v: unknown): Uint8Array {
    if (typeof v !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v))
      throw new BitcoinRpcConnectionError(method, this.url, "bad-response", `expected a hex string result, got ${JSON.stringify(v)?.slice(0, 80)}`);
    return fromHex(v);
  }

  // --- chain -------------------------------------------------------------------------------------

  async getBlockCount(): Promise<number> {
    return this.call<number>("getblockcount");
  }

  async getBestBlockHash(): Promise<DisplayHash> {
    return checkHash(await this.call<string>("getbestblockhash"), "getbestblockhash result");
  }

  /** Hash of the main-chain block at `height`, display hex. */
  async getBlockHash(height: number): Promise<DisplayHash> {
    if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`bad height ${height}`);
    return checkHash(await this.call<string>("getblockhash", [height]), "getblockhash result");
  }

  /** The 80-byte serialized header (wire order) of block `hash` (display hex): `getblockheader hash false`. */
  async getBlockHeaderRaw(hash: DisplayHash): Promise<Uint8Array> {
    const raw = this.hexResult("getblockheader", await this.call("getblockheader", [checkHash(hash, "block hash"), false]));
    if (raw.length !== 80) throw new BitcoinRpcConnectionError("getblockheader", this.url, "bad-response", `header is ${raw.length} bytes, not 80`);
    return raw;
  }

  /**
   * The serialized block (wire order, with witness data) of block `hash` (display hex): `getblock hash 0`.
   * btcd since 0.22 and Core take an int verbosity; older btcd took a bool `verbose` and rejects 0 with a
   * parameter error, in which case `false` is sent instead (and from then on).
   */
  async getBlockRaw(hash: DisplayHash): Promise<Uint8Array> {
    checkHash(hash, "block hash");
    if (this.getblockVerbosityBool !== true) {
      try {
        const v = await this.call("getblock", [hash, 0]);
        this.getblockVerbosityBool = false;
        return this.hexResult("getblock", v);
      } catch (e) {
        const paramType = e instanceof BitcoinRpcError && ([RPC_ERROR.INVALID_PARAMS, RPC_ERROR.TYPE, RPC_ERROR.PARSE_ERROR, RPC_ERROR.INVALID_PARAMETER] as number[]).includes(e.code);
        if (this.getblockVerbosityBool === false || !paramType) throw e;
        this.getblockVerbosityBool = true;
      }
    }
    return this.hexResult("getblock", await this.call("getblock", [hash, false]));
  }

  /**
   * `submitblock`: offer a serialized block (wire order). null when accepted; otherwise the node's
   * reason, e.g. "duplicate", "inconclusive" (Core) or "rejected: <why>" (btcd).
   */
  async submitBlock(raw: Uint8Array): Promise<string | null> {
    const r = await this.call<string | null>("submitblock", [toHex(raw)]);
    return r ?? null;
  }

  async getBlockchainInfo(): Promise<BlockchainInfo> {
    const r = await this.call<BlockchainInfo>("getblockchaininfo");
    return { chain: r.chain, blocks: r.blocks, bestblockhash: checkHash(r.bestblockhash, "bestblockhash") };
  }

  // --- transactions ------------------------------------------------------------------------------

  /**
   * The raw transaction (wire order, with witness) `txid` (display hex). For confirmed transactions
   * btcd needs `--txindex` (Core `-txindex`, or pass the block hash to Core); mempool ones always work.
   */
  async getRawTransaction(txid: DisplayHash): Promise<Uint8Array> {
    return this.hexResult("getrawtransaction", await this.call("getrawtransaction", [checkHash(txid, "txid"), 0]));
  }

  /** `getrawtransaction txid 1`: raw bytes plus the block it is in and its confirmations, if mined. */
  async getRawTransactionVerbose(txid: DisplayHash): Promise<RawTransactionVerbose> {
    const r = await this.call<{ txid: string; hash: string; hex: string; blockhash?: string; confirmations?: number; blocktime?: number }>(
      "getrawtransaction",
      [checkHash(txid, "txid"), 1],
    );
    return {
      txid: checkHash(r.txid, "txid"),
      hash: checkHash(r.hash, "wtxid"),
      raw: fromHex(r.hex),
      // btcd omits these fields for mempool transactions; Core omits them too (older btcd sent "").
      ...(r.blockhash ? { blockhash: checkHash(r.blockhash, "blockhash") } : {}),
      ...(r.confirmations !== undefined ? { confirmations: r.confirmations } : {}),
      ...(r.blocktime !== undefined ? { blocktime: r.blocktime } : {}),
    };
  }

  /** Broadcast a raw transaction (wire order); returns its txid (display hex). */
  async sendRawTransaction(raw: Uint8Array): Promise<DisplayHash> {
    return checkHash(await this.call<string>("sendrawtransaction", [toHex(raw)]), "sendrawtransaction result");
  }

  /** `gettxout`: the unspent output, or null if it is spent in the chain or does not exist. btcd ignores spends still in its mempool. */
  async getTxOut(txid: DisplayHash, vout: number, includeMempool = true): Promise<TxOut | null> {
    return this.call<TxOut | null>("gettxout", [checkHash(txid, "txid"), vout, includeMempool]);
  }

  /** `gettxspendingprevout` (btcd, Core >= 24): for each outpoint, the txid of the mempool transaction spending it, if any. */
  async getTxSpendingPrevOut(outpoints: readonly Outpoint[]): Promise<Array<Outpoint & { spendingtxid?: DisplayHash }>> {
    const r = await this.call<Array<Outpoint & { spendingtxid?: string }>>("gettxspendingprevout", [
      outpoints.map((o) => ({ txid: checkHash(o.txid, "txid"), vout: o.vout })),
    ]);
    return r.map((x) => ({ txid: x.txid, vout: x.vout, ...(x.spendingtxid ? { spendingtxid: checkHash(x.spendingtxid, "spendingtxid") } : {}) }));
  }

  /**
   * Core's `gettxoutproof [txids] blockhash`: a serialized merkleblock (wire order) proving the txids are
   * in the block. btcd does not implement it (it answers RPC_ERROR.METHOD_NOT_FOUND); use
   * `fetchTxOutProof` in ./tx-proof, which builds the same bytes from the raw block.
   */
  async getTxOutProof(txids: readonly DisplayHash[], blockHash?: DisplayHash): Promise<Uint8Array> {
    const params: unknown[] = [txids.map((t) => checkHash(t, "txid"))];
    if (blockHash !== undefined) params.push(checkHash(blockHash, "block hash"));
    return this.hexResult("gettxoutproof", await this.call("gettxoutproof", params));
  }

  // --- regtest mining ----------------------------------------------------------------------------

  /**
   * Mine `n` blocks now; returns their hashes (display hex), oldest first. btcd: `generate n`, paying
   * its `--miningaddr`. Core has no `generate` (removed in 0.19): then `generatetoaddress n address`,
   * which needs `address`.
   */
  async generate(n: number, address?: string): Promise<DisplayHash[]> {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`bad block count ${n}`);
    if (this.hasGenerate !== false) {
      try {
        const r = await this.call<string[]>("generate", [n]);
        this.hasGenerate = true;
        return r.map((h) => checkHash(h, "generated block hash"));
      } catch (e) {
        if (!(e instanceof BitcoinRpcError && e.code === RPC_ERROR.METHOD_NOT_FOUND) || this.hasGenerate === true) throw e;
        this.hasGenerate = false;
      }
    }
    return this.generateToAddress(n, address);
  }

  /** `generatetoaddress n address` (Core; btcd does not have it). */
  async generateToAddress(n: number, address: string | undefined): Promise<DisplayHash[]> {
    if (address === undefined) throw new TypeError("the node has no 'generate'; generatetoaddress needs an address");
    const r = await this.call<string[]>("generatetoaddress", [n, address]);
    return r.map((h) => checkHash(h, "generated block hash"));
  }
}
