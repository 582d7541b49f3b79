/**
 * A real regtest Bitcoin chain (btcd), the JSON-RPC client, Bitcoin-side transaction building and
 * tx-out proofs checked by the light client. btcd must have been built by `npm run deps`: without it
 * this test fails (it never skips).
 */
import * as btc from "@scure/btc-signer";
import { bytesEqual } from "../chain/store/bytes";
import { fromDisplayHex, toDisplayHex, toHex } from "../light-client/bitcoin/bytes";
import { blockHash, blockHashHex, decodeHeader } from "../light-client/bitcoin/header";
import { parseBlock, verifyBlockMerkleRoot } from "../light-client/bitcoin/block";
import { verifyTxInclusion } from "../light-client/bitcoin/inclusion";
import { decodeMerkleBlock, verifyMerkleBlock } from "../light-client/bitcoin/merkle";
import { REGTEST } from "../light-client/bitcoin/params";
import { parseTx } from "../light-client/bitcoin/tx";
import { BitcoinRpcClient, BitcoinRpcConnectionError, BitcoinRpcError, RPC_ERROR } from "../relayer/bitcoin-rpc";
import { buildTxOutProof, fetchTxOutProof } from "../relayer/tx-proof";
import { COINBASE_MATURITY, REGTEST_NETWORK, TEST_ADDRESS, TEST_SCRIPT, findMaturedCoinbase, spendCoinbase, testKey } from "./support/btc-wallet";
import { type BtcdNode, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd } from "./support/btcd";
import { freePortBlock } from "./support/harness";

jest.setTimeout(120_000);

describe("btcd regtest", () => {
  let node: BtcdNode;
  /** RPC, P2P, and a third free port nothing listens on. */
  let ports: number;

  beforeAll(async () => {
    ports = await freePortBlock(3);
    node = await startBtcd({ rpcPort: ports, p2pPort: ports + 1, miningAddress: TEST_ADDRESS });
  });

  afterAll(async () => {
    await node?.remove();
  });

  test("the test wallet's address is a regtest P2WPKH", () => {
    expect(TEST_ADDRESS).toMatch(/^bcrt1q[0-9a-z]{38}$/);
    expect(toHex(TEST_SCRIPT)).toMatch(/^0014[0-9a-f]{40}$/);
  });

  test("starts at the regtest genesis block of the light client's params", async () => {
    expect(await node.rpc.getBlockCount()).toBe(0);
    const genesisHash = await node.rpc.getBlockHash(0);
    expect(genesisHash).toBe(REGTEST.genesisHash);
    const raw = await node.rpc.getBlockHeaderRaw(genesisHash);
    expect(blockHashHex(raw)).toBe(REGTEST.genesisHash);
    expect(decodeHeader(raw)).toEqual(REGTEST.genesis);
    const info = await node.rpc.getBlockchainInfo();
    expect(info.chain).toBe("regtest");
  });

  test("mines 101 blocks whose raw headers hash to their RPC hashes and link up", async () => {
    const hashes = await node.mine(COINBASE_MATURITY + 1);
    expect(hashes).toHaveLength(101);
    expect(await node.rpc.getBlockCount()).toBe(101);
    expect(await node.rpc.getBestBlockHash()).toBe(hashes[100]);

    let prev = fromDisplayHex(REGTEST.genesisHash);
    for (let h = 1; h <= 101; h++) {
      const hash = await node.rpc.getBlockHash(h);
      expect(hash).toBe(hashes[h - 1]);
      const raw = await node.rpc.getBlockHeaderRaw(hash);
      expect(raw).toHaveLength(80);
      expect(blockHashHex(raw)).toBe(hash);
      const header = decodeHeader(raw);
      expect(bytesEqual(header.prevBlock, prev)).toBe(true);
      expect(header.bits).toBe(REGTEST.powLimitBits);
      prev = blockHash(raw);
    }

    // The coinbase of block 1 pays the test wallet; the raw block's Merkle root is right.
    const block1 = parseBlock(await node.rpc.getBlockRaw(hashes[0]));
    verifyBlockMerkleRoot(block1);
    expect(toDisplayHex(block1.hash)).toBe(hashes[0]);
    expect(block1.transactions[0].outputs.some((o) => bytesEqual(o.scriptPubKey, TEST_SCRIPT) && o.value === 50n * 100_000_000n)).toBe(true);
  });

  test("spends a matured coinbase to a 2-of-3 P2WSH and proves it to the light client", async () => {
    const pubkeys = ["federation-0", "federation-1", "federation-2"].map((l) => testKey(l).publicKey);
    const deposit = btc.p2wsh(btc.p2ms(2, pubkeys), REGTEST_NETWORK);
    expect(deposit.address.startsWith("bcrt1q")).toBe(true);
    const amount = 12_345_678n;
    const fee = 2_000n;

    const spend = await spendCoinbase({ rpc: node.rpc, toScript: deposit.script, amount, feeSats: fee });
    expect(spend.spent.height).toBe(1);
    // Block 1's coinbase is now spent in the mempool (btcd's gettxout still calls it unspent), so the next
    // candidate is block 2's: at tip 101 it can go in block 102, 100 blocks later, as consensus allows.
    expect(await node.rpc.getTxOut(spend.spent.txid, spend.spent.vout)).not.toBeNull();
    expect(await findMaturedCoinbase(node.rpc)).toMatchObject({ height: 2 });

    // Unconfirmed: in the mempool, no block yet.
    const pending = await node.rpc.getRawTransactionVerbose(spend.txid);
    expect(pending.blockhash).toBeUndefined();
    expect(bytesEqual(pending.raw, spend.raw)).toBe(true);

    const [blockHashDisplay] = await node.mine(1);
    const confirmed = await node.rpc.getRawTransactionVerbose(spend.txid);
    expect(confirmed.blockhash).toBe(blockHashDisplay);
    expect(confirmed.confirmations).toBe(1);

    // The transaction as the node serves it (--txindex), parsed by the light client.
    const raw = await node.rpc.getRawTransaction(spend.txid);
    expect(bytesEqual(raw, spend.raw)).toBe(true);
    const tx = parseTx(raw);
    expect(toDisplayHex(tx.txid)).toBe(spend.txid);
    expect(tx.hasWitness).toBe(true);
    expect(toDisplayHex(tx.inputs[0].prevTxid)).toBe(spend.spent.txid);
    expect(tx.inputs[0].prevIndex).toBe(spend.spent.vout);
    expect(tx.outputs[0].value).toBe(amount);
    expect(bytesEqual(tx.outputs[0].scriptPubKey, deposit.script)).toBe(true);
    expect(toHex(tx.outputs[0].scriptPubKey)).toMatch(/^0020[0-9a-f]{64}$/);
    expect(tx.outputs[1].value).toBe(spend.spent.value - amount - fee);
    expect(bytesEqual(tx.outputs[1].scriptPubKey, TEST_SCRIPT)).toBe(true);

    // btcd has no gettxoutproof: it says "method not found", and the proof is built from the raw block.
    await expect(node.rpc.getTxOutProof([spend.txid], blockHashDisplay)).rejects.toMatchObject({ code: RPC_ERROR.METHOD_NOT_FOUND });
    const rawBlock = await node.rpc.getBlockRaw(blockHashDisplay);
    const proof = buildTxOutProof(rawBlock, spend.txid);
    expect(bytesEqual(await fetchTxOutProof(node.rpc, spend.txid, blockHashDisplay), proof)).toBe(true);

    // The light client: the proof's header is btcd's header for that block, and the tx is in it.
    const header = await node.rpc.getBlockHeaderRaw(blockHashDisplay);
    const mb = verifyMerkleBlock(proof);
    expect(toDisplayHex(mb.blockHash)).toBe(blockHashDisplay);
    expect(bytesEqual(blockHash(header), mb.blockHash)).toBe(true);
    expect(mb.totalTransactions).toBe(2);
    expect(mb.matched.map((m) => toDisplayHex(m.txid))).toEqual([spend.txid]);
    const inclusion = verifyTxInclusion(raw, proof);
    expect(inclusion.index).toBe(1);
    expect(toDisplayHex(inclusion.blockHash)).toBe(blockHashDisplay);
    expect(inclusion.tx.outputs[0].value).toBe(amount);

    // A proof for the coinbase of the same block does not prove the deposit.
    const coinbaseTxid = toDisplayHex(parseBlock(rawBlock).transactions[0].txid);
    expect(() => verifyTxInclusion(raw, buildTxOutProof(rawBlock, coinbaseTxid))).toThrow(/tx-not-in-proof|not among/);
    // Both at once: one proof, two matches.
    expect(decodeMerkleBlock(buildTxOutProof(rawBlock, [coinbaseTxid, spend.txid])).tree.hashes).toHaveLength(2);
    expect(() => buildTxOutProof(rawBlock, "00".repeat(32))).toThrow(/not in block/);
  });

  test("proves each transaction of a block with several, and any subset", async () => {
    // Tip 102: mine 4 more so that coinbases 2..6 are spendable in the next block.
    await node.mine(4);
    const scripts = [1, 2, 3, 4, 5].map((i) => btc.p2wsh(btc.p2ms(1, [testKey(`deposit-${i}`).publicKey]), REGTEST_NETWORK).script);
    const amounts = scripts.map((_, i) => BigInt(1_000_000 * (i + 1)));
    const spends = [];
    for (const [i, toScript] of scripts.entries()) spends.push(await spendCoinbase({ rpc: node.rpc, toScript, amount: amounts[i] }));
    expect(spends.map((sp) => sp.spent.height)).toEqual([2, 3, 4, 5, 6]);
    const [hash] = await node.mine(1);
    const rawBlock = await node.rpc.getBlockRaw(hash);
    const block = parseBlock(rawBlock);
    expect(block.transactions).toHaveLength(6);
    for (const [i, sp] of spends.entries()) {
      const inclusion = verifyTxInclusion(await node.rpc.getRawTransaction(sp.txid), buildTxOutProof(rawBlock, sp.txid));
      expect(toDisplayHex(block.transactions[inclusion.index].txid)).toBe(sp.txid);
      expect(toDisplayHex(inclusion.blockHash)).toBe(hash);
      expect(inclusion.tx.outputs[0].value).toBe(amounts[i]);
      expect(bytesEqual(inclusion.tx.outputs[0].scriptPubKey, scripts[i])).toBe(true);
    }
    const subset = [spends[0].txid, spends[3].txid, spends[4].txid];
    const mb = verifyMerkleBlock(buildTxOutProof(rawBlock, subset));
    expect(mb.matched.map((m) => toDisplayHex(m.txid)).sort()).toEqual([...subset].sort());
  });

  test("RPC errors carry the node's code; an unreachable node is a retryable connection error", async () => {
    await expect(node.rpc.getBlockHash(10_000)).rejects.toBeInstanceOf(BitcoinRpcError);
    await expect(node.rpc.getRawTransaction("11".repeat(32))).rejects.toMatchObject({ name: "BitcoinRpcError", code: RPC_ERROR.INVALID_ADDRESS_OR_KEY });
    const bad = await node.rpc.sendRawTransaction(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BitcoinRpcError);
    expect(bad).toMatchObject({ code: RPC_ERROR.DESERIALIZATION, retryable: false });

    const wrongPass = new BitcoinRpcClient({ url: `http://127.0.0.1:${node.rpcPort}`, user: BTCD_RPC_USER, password: "wrong" });
    const denied = await wrongPass.getBlockCount().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(BitcoinRpcConnectionError);
    expect(denied).toMatchObject({ reason: "http", status: 401, retryable: false });

    // Nothing listens on the third port of the block (free, and kept from other tests by its lock).
    const nobody = new BitcoinRpcClient({ url: `http://127.0.0.1:${ports + 2}`, user: BTCD_RPC_USER, password: BTCD_RPC_PASS, timeoutMs: 2_000 });
    const refused = await nobody.getBlockCount().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BitcoinRpcConnectionError);
    expect(refused).toMatchObject({ reason: "unreachable", errno: "ECONNREFUSED", retryable: true });
  });

  test("the chain survives a restart (btcd wipes regtest data on start; the harness re-submits the blocks)", async () => {
    const tip = await node.rpc.getBestBlockHash();
    const height = await node.rpc.getBlockCount();
    expect(height).toBe(107);
    await node.restart();
    expect(await node.rpc.getBlockCount()).toBe(height);
    expect(await node.rpc.getBestBlockHash()).toBe(tip);
    // The tx index was rebuilt, and mining goes on from the old tip.
    const block = parseBlock(await node.rpc.getBlockRaw(tip));
    expect(await node.rpc.getRawTransaction(toDisplayHex(block.transactions[1].txid))).toHaveLength(block.transactions[1].size);
    const [next] = await node.mine(1);
    expect(bytesEqual(decodeHeader(await node.rpc.getBlockHeaderRaw(next)).prevBlock, fromDisplayHex(tip))).toBe(true);

    // After a stop the client reports the node unreachable (retryable).
    await node.stop({ keepChain: false });
    await expect(node.rpc.getBlockCount()).rejects.toMatchObject({ reason: "unreachable", errno: "ECONNREFUSED", retryable: true });
    // Without the harness's copy, btcd itself restarts regtest from genesis: if this ever fails, btcd
    // stopped wiping its regtest database and the replay in test/btcd.ts is no longer needed.
    await node.start();
    expect(await node.rpc.getBlockCount()).toBe(0);
    expect(node.logTail(200)).toMatch(/Removing regression test database/);
  });
});
