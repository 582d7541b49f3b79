/**
 * Attacks on the peg through its light client, in-process: a deposit "proven" through the inner Merkle
 * node of a mined 64-byte transaction (CVE-2017-12842), and shallow reorgs that add up to orphan a claimed
 * deposit. Each must end refused with nothing changed, or with the peg frozen and saying why.
 */
import {
  REGTEST,
  blockHash,
  blockHashHex,
  blockWork,
  computeMerkleRoot,
  decodeHeader,
  encodeHeader,
  encodeInclusionProof,
  encodeMerkleBlock,
  sha256d,
  toHex,
  txid,
  verifyTxInclusion,
} from "../../light-client/bitcoin";
import { mineHeader } from "../../test/support/bitcoin-synthetic";
import { sixtyFourByteCarrier } from "../../test/support/bitcoin";
import { pegzone } from "../../proto";
import { claim, closeHarnesses, CONFIRMATIONS, depositScript, MAINCHAIN, newHarness, pegState, relay } from "../../test/support/peg-harness";
import { TestBitcoinChain, testCoinbase, testTx, type TestBlock } from "../../test/support/peg";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);

it("refuses a deposit proven through the halves of a mined 64-byte transaction (CVE-2017-12842), with no state change", async () => {
  const h = await newHarness();
  const btc = new TestBitcoinChain();
  const recipient = h.accounts[0].address;
  // FAKE pays the recipient's deposit address and is never mined; the mined 64-byte CARRIER's first half is sha256d(FAKE).
  const { fake, carrier } = sixtyFourByteCarrier((n) => testTx(`never mined ${n}`, [{ value: 500_000n, scriptPubKey: depositScript(recipient) }]));
  const block = btc.mine([carrier]);
  btc.mineEmpty(CONFIRMATIONS);
  expect((await h.block([relay(h, btc.headers(1))]))[0].code).toBe(0);

  // The real tree is H(coinbase, carrier). Claimed with 4 transactions, the carrier's halves are leaves 2 and 3
  // and the coinbase's txid is the pruned left subtree: a well-formed merkleblock "proving" FAKE at position 2.
  const [coinbaseTxid] = block.txs.map((t) => txid(t));
  const forged = { header: decodeHeader(block.header), tree: { totalTransactions: 4, hashes: [coinbaseTxid, carrier.subarray(0, 32), carrier.subarray(32)], flags: Uint8Array.of(0b01101) } };
  expect(verifyTxInclusion(fake, forged)).toMatchObject({ index: 2 }); // what the bare-merkleblock proof format accepted

  const before = await pegState(h);
  const attempts = [
    { tx: fake, vout: 0, merkleProof: encodeMerkleBlock(forged), reason: /no-coinbase/ },
    { tx: fake, vout: 0, merkleProof: encodeInclusionProof(forged, block.txs[0]), reason: /coinbase-not-in-proof/ },
    { tx: carrier, vout: 0, merkleProof: btc.proof(block, 1), reason: /tx-64-bytes/ },
  ];
  for (const { reason, ...fields } of attempts) {
    const [res] = await h.block([claim(h, { ...fields, blockHash: block.hash, recipient })]);
    expect([res.codespace, res.code]).toEqual(["peg", 5]);
    expect(res.log).toMatch(reason);
  }
  expect(await pegState(h)).toBe(before);
  expect(await h.balance(recipient)).toBe(0n);
});

describe("reorgs add up", () => {
  // Regtest lets a block more than 20 minutes after its parent use the minimum difficulty (work 2); blocks on
  // time keep the last real bits. Anchored at a checkpoint of harder bits (work about 256), a branch of fewer
  // blocks can have more work, so two reorgs of depth 2 can orphan a block that had 3 confirmations.
  const HARD = 0x2000ffff;
  const mineOn = (prev: TestBlock, spacing: number, txs: Uint8Array[] = [], salt = ""): TestBlock => {
    const height = prev.height + 1;
    const all = [testCoinbase(height, salt), ...txs];
    const p = decodeHeader(prev.header);
    const bits = spacing > 2 * REGTEST.targetSpacing ? REGTEST.powLimitBits : HARD;
    const header = mineHeader({ version: 0x20000000, prevBlock: blockHash(p), merkleRoot: computeMerkleRoot(all.map((t) => txid(t))).root, time: p.time + spacing, bits }, REGTEST.powLimit);
    return { header, hash: blockHashHex(header), height, txs: all };
  };
  // heights 2016..2026: the checkpoint must hold the first block of its retarget period and the 10 below it
  const belowCheckpoint = { header: encodeHeader({ version: 0x20000000, prevBlock: sha256d(Uint8Array.of(1)), merkleRoot: new Uint8Array(32), time: REGTEST.genesis.time + 600 * 2015, bits: HARD, nonce: 0 }), hash: "", height: 2015, txs: [] };
  const anchored: TestBlock[] = [];
  for (let b: TestBlock = belowCheckpoint; anchored.length < 11; ) anchored.push((b = mineOn(b, 600)));
  const checkpoint = { network: "regtest", height: 2026, chain_work: String(2n * 2016n + 11n * blockWork(HARD)), headers: anchored.map((b) => toHex(b.header)) };
  const C = anchored[10];

  it("freezes the peg when two reorgs of depth 2 (limit 2) orphan a claimed deposit's block, naming it", async () => {
    const h = await newHarness({ checkpoint });
    const recipient = h.accounts[0].address;
    const depositTx = testTx("deposit", [{ value: 50_000n, scriptPubKey: depositScript(recipient) }]);
    const D = mineOn(C, 600, [depositTx]); // 2027
    const late1 = mineOn(D, 1201); // 2028 and 2029 at minimum difficulty: D has its 3 confirmations
    const late2 = mineOn(late1, 1201);
    expect((await h.block([relay(h, [D.header, late1.header, late2.header])]))[0].code).toBe(0);
    const [claimed] = await h.block([claim(h, { tx: depositTx, vout: 0, blockHash: D.hash, merkleProof: new TestBitcoinChain().proof(D, 1), recipient })]);
    expect(claimed.code).toBe(0);
    expect(await h.balance(recipient)).toBe(49_000n);
    const clientState = () => h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);

    // 1: one block on D outweighs 2028 + 2029: 2 disconnected, D stays
    const B = mineOn(D, 600, [], "b");
    const [first] = await h.block([relay(h, [B.header])]);
    expect(first.code).toBe(0);
    expect(first.events.find((e) => e.type === "relay_headers")?.attributes.reorg_depth).toBe("2");
    expect((await clientState()).freeze?.frozen ?? false).toBe(false);

    // 2: three blocks on 2026 outweigh D + B: 2 disconnected again, D among them
    const E1 = mineOn(C, 600, [], "e");
    const E2 = mineOn(E1, 600, [], "e");
    const E3 = mineOn(E2, 600, [], "e");
    const [second] = await h.block([relay(h, [E1.header, E2.header, E3.header])]);
    expect(second.code).toBe(0);
    expect(second.events.find((e) => e.type === "relay_headers")?.attributes.reorg_depth).toBe("2");
    const state = await clientState();
    expect(state.tipHash).toBe(E3.hash);
    const atD = await h.query("Header", v1.QueryHeaderRequest, { mainchain: MAINCHAIN, height: D.height }, v1.QueryHeaderResponse);
    expect(atD.hash).toBe(E1.hash);
    expect(state.freeze!.frozen).toBe(true);
    expect(state.freeze!.reason).toMatch(/a reorg disconnected 2 blocks \(limit 2\)/);
    expect(state.freeze!.reason).toContain(`block ${D.hash} at height ${D.height}`);
  });
});
