/**
 * A regtest main chain made in memory for peg tests and benchmarks: blocks with real Merkle roots
 * and regtest proof of work, forks, and the bitcoin light client's inclusion proofs. Deterministic.
 */
import { outpointId, parseOutpointId } from "../../modules/peg/bitcoin/peg-flow";
import { pegzone } from "../../proto";
import { bitcoinParamsAny } from "../../modules/peg/bitcoin/params";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  REGTEST,
  blockHash,
  blockHashHex,
  buildPartialMerkleTree,
  computeMerkleRoot,
  decodeHeader,
  encodeHeader,
  encodeInclusionProof,
  encodeTx,
  txid,
  type TxOutput,
} from "../../light-client/bitcoin";
import { mineHeader } from "./bitcoin-synthetic";

export interface TestBlock {
  readonly header: Uint8Array;
  readonly hash: string;
  readonly height: number;
  readonly txs: Uint8Array[];
}

/** A transaction spending a made-up outpoint (`seed` keeps txids distinct) to `outputs`. */
export function testTx(seed: string, outputs: TxOutput[]): Uint8Array {
  return encodeTx({
    version: 2,
    inputs: [{ prevTxid: sha256(new TextEncoder().encode(seed)), prevIndex: 0, scriptSig: new Uint8Array(), sequence: 0xffffffff, witness: [] }],
    outputs,
    locktime: 0,
  });
}

/** A coinbase (one input spending the null prevout) for the block at `height`; `salt` keeps forks' apart. */
export function testCoinbase(height: number, salt = ""): Uint8Array {
  return encodeTx({
    version: 2,
    // at least 11 bytes of script: the coinbase is never 64 bytes, which inclusion proofs refuse
    inputs: [{ prevTxid: new Uint8Array(32), prevIndex: 0xffffffff, scriptSig: new TextEncoder().encode(`coinbase ${height} ${salt}`), sequence: 0xffffffff, witness: [] }],
    outputs: [{ value: 5_000_000_000n, scriptPubKey: Uint8Array.of(0x51) }],
    locktime: 0,
  });
}

export class TestBitcoinChain {
  /** blocks[h] is the block at height h on this branch; blocks[0] is regtest's genesis (no txs known). */
  readonly blocks: TestBlock[];

  constructor(blocks?: TestBlock[]) {
    this.blocks = blocks ?? [{ header: encodeHeader(REGTEST.genesis), hash: REGTEST.genesisHash, height: 0, txs: [] }];
  }

  get tip(): TestBlock {
    return this.blocks[this.blocks.length - 1];
  }

  /** A branch sharing this chain's blocks up to `height`. */
  fork(height: number): TestBitcoinChain {
    return new TestBitcoinChain(this.blocks.slice(0, height + 1));
  }

  /** Mines a block holding a coinbase and `txs`; `salt` makes a fork's blocks differ from the original's. */
  mine(txs: Uint8Array[] = [], salt = ""): TestBlock {
    const prev = this.tip;
    const height = prev.height + 1;
    const all = [testCoinbase(height, salt), ...txs];
    const { root } = computeMerkleRoot(all.map((t) => txid(t)));
    const prevHeader = decodeHeader(prev.header);
    const header = mineHeader(
      { version: 0x20000000, prevBlock: blockHash(prevHeader), merkleRoot: root, time: prevHeader.time + 600, bits: REGTEST.genesis.bits },
      REGTEST.powLimit,
    );
    const block = { header, hash: blockHashHex(header), height, txs: all };
    this.blocks.push(block);
    return block;
  }

  mineEmpty(n: number, salt = ""): void {
    for (let i = 0; i < n; i++) this.mine([], salt);
  }

  /** Raw headers from `fromHeight` to the tip. */
  headers(fromHeight: number): Uint8Array[] {
    return this.blocks.slice(fromHeight).map((b) => b.header);
  }

  /** The inclusion proof of the tx at `index` of `block`: the merkleblock matching it and the coinbase, then the coinbase. */
  proof(block: TestBlock, index: number): Uint8Array {
    const ids = block.txs.map((t) => txid(t));
    const tree = buildPartialMerkleTree(ids, ids.map((_, i) => i === 0 || i === index));
    return encodeInclusionProof({ header: decodeHeader(block.header), tree }, block.txs[0]);
  }
}


/** A regtest bitcoin main chain as the kind's address functions read it (only its params matter to them). */
export const REGTEST_CHAIN = { id: "btc-regtest", clientType: "bitcoin", params: bitcoinParamsAny({ network: "regtest" }) };

/** A bitcoin reserve entry's (or release input's) outpoint. */
export function outpointOf(entry: pegzone.peg.v1.IReserveEntry): { txid: string; vout: number } {
  return parseOutpointId(entry.id!);
}

/** The witness script a bitcoin reserve entry's data says spends it. */
export function witnessScriptOf(entry: pegzone.peg.v1.IReserveEntry): Uint8Array {
  return pegzone.peg.bitcoin.v1.ReserveOutput.decode(entry.data!.value!).witnessScript;
}

/** The output index of a bitcoin release's change, −1 when it has none. */
export function changeVoutOf(release: pegzone.peg.v1.IRelease): number {
  return release.change ? parseOutpointId(release.change.id!).vout : -1;
}

/** A bitcoin reserve entry as genesis JSON lists it. */
export function reserveEntryJson(o: { mainchain: string; txid: string; vout: number; value: string; script: Uint8Array; witnessScript: Uint8Array; federationId: number }): Record<string, unknown> {
  const data = pegzone.peg.bitcoin.v1.ReserveOutput.encode({ script: o.script, witnessScript: o.witnessScript }).finish();
  return {
    mainchain: o.mainchain,
    id: Buffer.from(outpointId(o.txid, o.vout)).toString("base64"),
    display_id: `${o.txid}:${o.vout}`,
    value: o.value,
    federation_id: String(o.federationId),
    release_id: "0",
    data: { type_url: "/pegzone.peg.bitcoin.v1.ReserveOutput", value: Buffer.from(data).toString("base64") },
  };
}
