/** BlockArchive: the devnet's on-disk copy of btcd's chain (no btcd needed here; test/devnet.test.ts runs the real one). */
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromDisplayHex } from "../../light-client/bitcoin/bytes";
import { blockHash, blockHashHex, encodeHeader } from "../../light-client/bitcoin/header";
import type { BitcoinRpcClient } from "../../relayer/bitcoin-rpc";
import { BlockArchive } from "./btcd";

/** A fake block: a header linking to `prev` and `extra` bytes standing for the transactions. */
function block(prev: Uint8Array, tag: number, extra = 10): Uint8Array {
  const header = encodeHeader({ version: 4, prevBlock: prev, merkleRoot: new Uint8Array(32).fill(tag), time: 1_700_000_000 + tag, bits: 0x207fffff, nonce: tag });
  const raw = new Uint8Array(80 + extra).fill(tag);
  raw.set(header);
  return raw;
}

function chain(n: number, from: Uint8Array = new Uint8Array(32), tagBase = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = from;
  for (let i = 0; i < n; i++) {
    const b = block(prev, tagBase + i + 1, 10 + i);
    out.push(b);
    prev = blockHash(b.subarray(0, 80));
  }
  return out;
}

/** The three calls `sync` makes, over an in-memory best chain. */
function fakeNode(blocks: () => Uint8Array[]): BitcoinRpcClient {
  return {
    getBlockCount: async () => blocks().length,
    getBlockHash: async (h: number) => blockHashHex(blocks()[h - 1].subarray(0, 80)),
    getBlockRaw: async (hash: string) => blocks().find((b) => blockHashHex(b.subarray(0, 80)) === hash)!,
  } as unknown as BitcoinRpcClient;
}

describe("BlockArchive", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pegzone-archive-"));
    file = join(dir, "blocks.dat");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("appends, reads back after reopening, and refuses a block that does not link", () => {
    const blocks = chain(5);
    const a = BlockArchive.open(file);
    expect(a.height).toBe(0);
    for (const b of blocks) a.append(b);
    expect(() => a.append(block(new Uint8Array(32).fill(9), 99))).toThrow(/does not follow/);
    a.close();
    const b = BlockArchive.open(file);
    expect(b.dropped).toBe(0);
    expect(b.height).toBe(5);
    expect([...b.blocks()]).toEqual(blocks.map((x) => Buffer.from(x)));
    expect(b.hashAt(3)).toBe(blockHashHex(blocks[2].subarray(0, 80)));
    expect(() => b.read(6)).toThrow(RangeError);
    b.close();
  });

  test("a torn last record (a write cut short by kill -9) is cut off on open", () => {
    const blocks = chain(4);
    const a = BlockArchive.open(file);
    for (const b of blocks.slice(0, 3)) a.append(b);
    a.close();
    const good = statSync(file).size;
    const torn = Buffer.alloc(4 + 40);
    torn.writeUInt32LE(blocks[3].length, 0);
    torn.set(blocks[3].subarray(0, 40), 4);
    appendFileSync(file, torn);
    const b = BlockArchive.open(file);
    expect(b.height).toBe(3);
    expect(b.dropped).toBe(44);
    expect(statSync(file).size).toBe(good);
    b.append(blocks[3]);
    b.close();
    expect(BlockArchive.open(file).height).toBe(4);
  });

  test("sync follows the node: appends new blocks, and on a reorg drops the blocks it left", async () => {
    let best = chain(6);
    const node = fakeNode(() => best);
    const a = BlockArchive.open(file);
    expect(await a.sync(node)).toBe(6);
    expect(await a.sync(node)).toBe(0);
    // the node reorganizes at height 4 onto a longer branch
    const fork = chain(4, blockHash(best[2].subarray(0, 80)), 50);
    best = [...best.slice(0, 3), ...fork];
    expect(await a.sync(node)).toBe(4);
    expect(a.height).toBe(7);
    expect(a.hashAt(4)).toBe(blockHashHex(fork[0].subarray(0, 80)));
    a.close();
    const b = BlockArchive.open(file);
    expect(b.height).toBe(7);
    expect(b.hashAt(7)).toBe(blockHashHex(fork[3].subarray(0, 80)));
    expect(Buffer.from(fromDisplayHex(b.hashAt(1)!))).toEqual(Buffer.from(blockHash(best[0].subarray(0, 80))));
    b.close();
  });
});
