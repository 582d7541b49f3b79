/**
 * `FakeChain`: the fake kind's main chain, in memory, for tests. It mines blocks (keeping each
 * block's transactions), signs their headers with its chain key, and hands out what relayers and
 * claimers send: header messages for MsgRelayHeaders, deposit proofs for MsgClaimDeposit and
 * release-inclusion proofs for MsgConfirmRelease. Also the forgeries the client must refuse or
 * catch: headers signed by another key, and a second, validly signed header at a height.
 * Deterministic: the same seed and calls give the same bytes.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { type FakeHeader, headerHash, headerMessage, headerSignBytes } from "./client";
import { blockProof, DEPOSIT_PROOF_TYPE, depositTx, RELEASE_PROOF_TYPE, txRoot } from "./flow";
import { encodeUtf8, toHex } from "./json";

export interface FakeBlock {
  readonly height: number;
  readonly hash: string;
  readonly header: FakeHeader;
  /** The header as MsgRelayHeaders carries it. */
  readonly message: Uint8Array;
  readonly txs: readonly Uint8Array[];
}

export interface FakeChainOptions {
  readonly seed?: string;
  readonly genesisHeight?: number;
  /** Unix nanoseconds of the genesis block; each block is `blockInterval` later than its parent. */
  readonly genesisTime: bigint;
  readonly blockInterval?: bigint;
}

const keyFrom = (seed: string): Uint8Array => sha256(encodeUtf8(seed));

export class FakeChain {
  readonly secretKey: Uint8Array;
  readonly chainKey: Uint8Array;
  readonly genesis: { readonly height: number; readonly hash: string; readonly time: bigint };
  /** The blocks mined after genesis, in height order. */
  readonly blocks: FakeBlock[] = [];
  private readonly interval: bigint;

  constructor(opts: FakeChainOptions) {
    const seed = opts.seed ?? "fake chain";
    this.secretKey = keyFrom(`${seed} chain key`);
    this.chainKey = ed25519.getPublicKey(this.secretKey);
    this.genesis = { height: opts.genesisHeight ?? 100, hash: toHex(sha256(encodeUtf8(`${seed} genesis`))), time: opts.genesisTime };
    this.interval = opts.blockInterval ?? 1_000_000_000n;
  }

  /** The light client's registration (a main chain's `checkpoint` in genesis). */
  registration(): { chain_key: string; genesis: { height: number; hash: string; time: string } } {
    return { chain_key: toHex(this.chainKey), genesis: { height: this.genesis.height, hash: this.genesis.hash, time: this.genesis.time.toString() } };
  }

  get tipHeight(): number {
    return this.genesis.height + this.blocks.length;
  }

  private get tipHash(): string {
    return this.blocks.length === 0 ? this.genesis.hash : this.blocks[this.blocks.length - 1].hash;
  }

  private timeAt(height: number): bigint {
    return this.genesis.time + BigInt(height - this.genesis.height) * this.interval;
  }

  block(height: number): FakeBlock {
    const b = this.blocks[height - this.genesis.height - 1];
    if (b === undefined) throw new Error(`no mined block at height ${height}`);
    return b;
  }

  /** A header signed by `secretKey` (the chain key unless a forgery wants another), as relayed. */
  sign(header: FakeHeader, secretKey = this.secretKey): Uint8Array {
    return headerMessage(header, ed25519.sign(headerSignBytes(header), secretKey));
  }

  /** Mines a block holding `txs` on the tip. */
  mine(txs: readonly Uint8Array[] = []): FakeBlock {
    const height = this.tipHeight + 1;
    const header: FakeHeader = { height, parent: this.tipHash, time: this.timeAt(height), txRoot: txRoot(txs) };
    const block = { height, hash: headerHash(header), header, message: this.sign(header), txs: [...txs] };
    this.blocks.push(block);
    return block;
  }

  mineEmpty(n: number): void {
    for (let i = 0; i < n; i++) this.mine();
  }

  /** Header messages from `fromHeight` to the tip, one per MsgRelayHeaders. */
  messages(fromHeight: number): Uint8Array[] {
    return this.blocks.filter((b) => b.height >= fromHeight).map((b) => b.message);
  }

  /** A second header at a mined height, validly signed by the chain key: other transactions, same parent and time. */
  conflicting(height: number, salt = "conflict"): Uint8Array {
    const original = this.block(height).header;
    return this.sign({ ...original, txRoot: txRoot([encodeUtf8(salt)]) });
  }

  /** The next header (on the tip) signed by a key that is not the chain key. */
  forgedNext(txs: readonly Uint8Array[] = []): Uint8Array {
    const height = this.tipHeight + 1;
    return this.sign({ height, parent: this.tipHash, time: this.timeAt(height), txRoot: txRoot(txs) }, keyFrom("not the chain key"));
  }

  /** A deposit transaction paying `amount` to `to`. */
  depositTx(to: string, amount: bigint, nonce: string): Uint8Array {
    return depositTx(to, amount, nonce);
  }

  /** MsgClaimDeposit.proof of transaction `index` of `block`. */
  depositProof(block: FakeBlock, index: number): { type_url: string; value: Uint8Array } {
    return { type_url: DEPOSIT_PROOF_TYPE, value: blockProof(block.height, block.txs, index) };
  }

  /** MsgConfirmRelease.proof of transaction `index` of `block`. */
  releaseProof(block: FakeBlock, index: number): { type_url: string; value: Uint8Array } {
    return { type_url: RELEASE_PROOF_TYPE, value: blockProof(block.height, block.txs, index) };
  }
}
