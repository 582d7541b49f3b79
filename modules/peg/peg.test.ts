/**
 * The peg module in-process: genesis registration, header relay, deposit claims and every forged
 * input the peg-in must refuse, each leaving the peg's state as it was.
 */
import { createHash } from "node:crypto";
import { pegzone } from "../../proto";
import { pegTypeUrls } from "./msgs";
import {
  account,
  claim,
  closeHarnesses,
  CONFIRMATIONS,
  DENOM,
  depositScenario,
  depositScript,
  federationJson,
  MAINCHAIN,
  newHarness,
  pegState,
  relay,
  type ClaimFields,
  type TestAccount,
} from "../../test/support/peg-harness";
import { TestBitcoinChain, testTx } from "../../test/support/peg";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);
describe("peg-in", () => {
  it("mints amount − fee to the recipient once the deposit has its confirmations, and records the reserve", async () => {
    const { h, valid, recipient, depositTx } = await depositScenario(50_000n);
    const [res] = await h.block([claim(h, valid)]);
    expect(res).toMatchObject({ code: 0 });
    expect(await h.balance(recipient)).toBe(49_000n);
    const reserve = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
    expect(reserve.total).toBe("50000");
    expect(reserve.supply).toBe("49000");
    expect(reserve.entries).toHaveLength(1);
    const txidHex = Buffer.from(createHash("sha256").update(createHash("sha256").update(depositTx).digest()).digest()).reverse().toString("hex");
    const status = await h.query("Deposit", v1.QueryDepositRequest, { mainchain: MAINCHAIN, displayId: `${txidHex}:1` }, v1.QueryDepositResponse);
    expect(status.claimed).toBe(true);
    expect(status.deposit!.minted).toBe("49000");
  });

  type Case = { name: string; malleate: (s: Awaited<ReturnType<typeof depositScenario>>) => ClaimFields; expErr: [string, number] };
  const cases: Case[] = [
    { name: "a Merkle proof of another tx", malleate: ({ valid, btc, block }) => ({ ...valid, merkleProof: btc.proof(block, 0) }), expErr: ["peg", 5] },
    {
      name: "a proof whose position was altered",
      malleate: ({ valid, block }) => {
        const proof = Uint8Array.from(valid.merkleProof);
        // flip a flag bit (the merkleblock's last byte, just before the coinbase): the path now leads elsewhere
        proof[proof.length - block.txs[0].length - 1] ^= 0x01;
        return { ...valid, merkleProof: proof };
      },
      expErr: ["peg", 5],
    },
    { name: "a tx that is not in the block", malleate: ({ valid }) => ({ ...valid, tx: testTx("elsewhere", [{ value: 50_000n, scriptPubKey: depositScript(valid.recipient) }]) }), expErr: ["peg", 5] },
    { name: "an output index past the tx's outputs", malleate: ({ valid }) => ({ ...valid, vout: 7 }), expErr: ["peg", 5] },
    { name: "an output to another script", malleate: ({ valid }) => ({ ...valid, vout: 0 }), expErr: ["peg", 7] },
    { name: "the deposit claimed for someone it does not name", malleate: ({ valid, h }) => ({ ...valid, recipient: h.accounts[1].address }), expErr: ["peg", 7] },
    { name: "an unknown block", malleate: ({ valid }) => ({ ...valid, blockHash: "11".repeat(32) }), expErr: ["peg", 5] },
  ];
  it.each(cases)("refuses $name with no state change", async ({ malleate, expErr }) => {
    const scenario = await depositScenario();
    const before = await pegState(scenario.h);
    const [res] = await scenario.h.block([claim(scenario.h, malleate(scenario))]);
    expect([res.codespace, res.code]).toEqual(expErr);
    expect(await pegState(scenario.h)).toBe(before);
  });

  it("refuses a deposit with too few confirmations, then accepts it once confirmed", async () => {
    const { h, btc, valid } = await depositScenario(50_000n, { confirmations: CONFIRMATIONS - 1 });
    const before = await pegState(h);
    const [res] = await h.block([claim(h, valid)]);
    expect([res.codespace, res.code]).toEqual(["peg", 6]);
    expect(res.log).toMatch(/2 of the 3 confirmations/);
    expect(await pegState(h)).toBe(before);
    btc.mine();
    await h.block([relay(h, btc.headers(btc.tip.height))]);
    expect((await h.block([claim(h, valid)]))[0].code).toBe(0);
  });

  it("refuses the same outpoint claimed twice, in one block and in a later one", async () => {
    const { h, valid, recipient } = await depositScenario();
    const results = await h.block([claim(h, valid), claim(h, valid, h.accounts[1])]);
    expect(results.map((r) => [r.codespace, r.code])).toEqual([["", 0], ["peg", 10]]);
    const after = await pegState(h);
    const [again] = await h.block([claim(h, valid)]);
    expect([again.codespace, again.code]).toEqual(["peg", 10]);
    expect(await pegState(h)).toBe(after);
    expect(await h.balance(recipient)).toBe(49_000n);
  });

  it("refuses a 64-byte transaction", async () => {
    const h = await newHarness();
    const btc = new TestBitcoinChain();
    // 4 version + 1 + 41 input + 1 + 13 output (8 value, 1 length, 4 script) + 4 locktime = 64 bytes
    const tx64 = testTx("sixty-four", [{ value: 50_000n, scriptPubKey: Uint8Array.of(0x51, 0x51, 0x51, 0x51) }]);
    expect(tx64.length).toBe(64);
    const block = btc.mine([tx64]);
    btc.mineEmpty(CONFIRMATIONS);
    await h.block([relay(h, btc.headers(1))]);
    const before = await pegState(h);
    const [res] = await h.block([claim(h, { tx: tx64, vout: 0, blockHash: block.hash, merkleProof: btc.proof(block, 1), recipient: h.accounts[0].address })]);
    expect([res.codespace, res.code]).toEqual(["peg", 5]);
    expect(res.log).toMatch(/64/);
    expect(await pegState(h)).toBe(before);
  });

  it("refuses an amount under the minimum and a claim over the cap", async () => {
    const small = await depositScenario(9_999n);
    const [low] = await small.h.block([claim(small.h, small.valid)]);
    expect([low.codespace, low.code]).toEqual(["peg", 8]);
    const big = await depositScenario(1_000_001n);
    const [over] = await big.h.block([claim(big.h, big.valid)]);
    expect([over.codespace, over.code]).toEqual(["peg", 9]);
    expect(await big.h.balance(big.recipient)).toBe(0n);
  });

  it("refuses a deposit in a block that a more-work fork orphaned (a reorg within the limit: no freeze)", async () => {
    const h = await newHarness();
    const btc = new TestBitcoinChain();
    btc.mineEmpty(5);
    const recipient = h.accounts[0].address;
    const depositTx = testTx("orphaned deposit", [{ value: 50_000n, scriptPubKey: depositScript(recipient) }]);
    const block = btc.mine([depositTx]);
    await h.block([relay(h, btc.headers(1))]);
    // a branch from height 5 with more work replaces the deposit's block (a reorg of depth 1)
    const fork = btc.fork(5);
    fork.mineEmpty(CONFIRMATIONS + 1, "fork");
    const [relayed] = await h.block([relay(h, fork.headers(6))]);
    expect(relayed.code).toBe(0);
    const state = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    expect(state.freeze?.frozen ?? false).toBe(false);
    expect(state.tipHash).toBe(fork.tip.hash);
    const before = await pegState(h);
    const [res] = await h.block([claim(h, { tx: depositTx, vout: 0, blockHash: block.hash, merkleProof: btc.proof(block, 1), recipient })]);
    expect([res.codespace, res.code]).toEqual(["peg", 5]);
    expect(await pegState(h)).toBe(before);
  });

  it("keeps a claimable deposit through a shallow reorg above it", async () => {
    const { h, btc, block, valid } = await depositScenario();
    const fork = btc.fork(block.height);
    fork.mineEmpty(CONFIRMATIONS, "fork"); // disconnects the 2 blocks above the deposit: depth 2 = the limit
    const [relayed] = await h.block([relay(h, fork.headers(block.height + 1))]);
    expect(relayed.code).toBe(0);
    const state = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    expect(state.freeze?.frozen ?? false).toBe(false);
    expect((await h.block([claim(h, valid)]))[0].code).toBe(0);
  });

  it("freezes on a reorg beyond the limit: minting stops until the authority unfreezes", async () => {
    const { h, btc, valid, recipient } = await depositScenario();
    const fork = btc.fork(btc.tip.height - CONFIRMATIONS);
    fork.mineEmpty(CONFIRMATIONS + 1, "deep");
    await h.block([relay(h, fork.headers(fork.tip.height - CONFIRMATIONS))]);
    const state = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    expect(state.freeze!.frozen).toBe(true);
    expect(state.freeze!.reason).toMatch(/reorg disconnected 3 blocks/);
    expect(state.tipHash).toBe(fork.tip.hash);

    // the original deposit is orphaned anyway; a deposit on the new best chain is refused while frozen
    const depositTx = testTx("after freeze", [{ value: 50_000n, scriptPubKey: depositScript(recipient) }]);
    const block = fork.mine([depositTx]);
    fork.mineEmpty(CONFIRMATIONS);
    await h.block([relay(h, fork.headers(block.height))]);
    const fresh = { tx: depositTx, vout: 0, blockHash: block.hash, merkleProof: fork.proof(block, 1), recipient };
    const [frozen] = await h.block([claim(h, fresh)]);
    expect([frozen.codespace, frozen.code]).toEqual(["peg", 3]);

    const unfreeze = (from: TestAccount) => h.tx(from, pegTypeUrls.unfreeze, v1.MsgUnfreeze, { authority: from.address, mainchain: MAINCHAIN });
    const [notAuthority] = await h.block([unfreeze(h.accounts[1])]);
    expect([notAuthority.codespace, notAuthority.code]).toEqual(["sdk", 4]);
    const [ok] = await h.block([unfreeze(h.accounts[3])]);
    expect(ok).toMatchObject({ code: 0 });
    const [claimed] = await h.block([claim(h, fresh)]);
    expect(claimed.code).toBe(0);
    expect(await h.balance(recipient)).toBe(49_000n);
    const [orphaned] = await h.block([claim(h, valid)]);
    expect([orphaned.codespace, orphaned.code]).toEqual(["peg", 5]);
  });
});

describe("header relay", () => {
  const forged: Array<{ name: string; headers: (btc: TestBitcoinChain) => Uint8Array[]; expErr: [string, number] }> = [
    { name: "a batch over 2,000 headers", headers: () => Array.from({ length: 2001 }, () => new Uint8Array(80)), expErr: ["sdk", 18] },
    { name: "an unknown parent", headers: (btc) => btc.headers(2), expErr: ["peg", 4] },
    {
      name: "too little work",
      headers: (btc) => {
        const raw = Uint8Array.from(btc.blocks[1].header);
        for (let nonce = 0; ; nonce++) {
          new DataView(raw.buffer).setUint32(76, nonce, true);
          // regtest's target takes about every second hash: find one above it
          if (createHash("sha256").update(createHash("sha256").update(raw).digest()).digest()[31] >= 0x80) return [raw];
        }
      },
      expErr: ["peg", 4],
    },
    { name: "a header that is not 80 bytes", headers: (btc) => [btc.blocks[1].header.subarray(0, 79)], expErr: ["peg", 4] },
  ];
  it.each(forged)("refuses $name and stores nothing", async ({ headers, expErr }) => {
    const h = await newHarness();
    const btc = new TestBitcoinChain();
    btc.mineEmpty(3);
    await h.block([]);
    const before = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    const [res] = await h.block([relay(h, headers(btc))]);
    expect([res.codespace, res.code]).toEqual(expErr);
    const after = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    expect(after.tipHeight).toBe(before.tipHeight);
    expect(after.tipHash).toBe(before.tipHash);
  });

  it("relays a chain, answers header queries, and re-relaying is harmless", async () => {
    const h = await newHarness();
    const btc = new TestBitcoinChain();
    btc.mineEmpty(10);
    expect((await h.block([relay(h, btc.headers(1))]))[0].code).toBe(0);
    expect((await h.block([relay(h, btc.headers(1))]))[0].code).toBe(0);
    const state = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    expect(state.tipHeight).toBe(10);
    expect(state.tipHash).toBe(btc.tip.hash);
    const byHeight = await h.query("Header", v1.QueryHeaderRequest, { mainchain: MAINCHAIN, height: 4 }, v1.QueryHeaderResponse);
    expect(byHeight.hash).toBe(btc.blocks[4].hash);
    const byHash = await h.query("Header", v1.QueryHeaderRequest, { mainchain: MAINCHAIN, hash: btc.blocks[4].hash }, v1.QueryHeaderResponse);
    expect(byHash.height).toBe(4);
    expect(Buffer.from(byHash.header).equals(Buffer.from(btc.blocks[4].header))).toBe(true);
  });
});

describe("list queries", () => {
  it("page registered addresses: a limit, a next key, and an empty next key after the last page", async () => {
    const h = await newHarness();
    const register = (a: TestAccount) => h.tx(a, pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddress, { sender: a.address, mainchain: MAINCHAIN, recipient: "" });
    expect((await h.block(h.accounts.map(register))).every((r) => r.code === 0)).toBe(true);
    const page = (key: Uint8Array) => h.query("RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain: MAINCHAIN, page: { key, limit: 3 } }, v1.QueryRegisteredAddressesResponse);
    const first = await page(new Uint8Array());
    expect(first.addresses).toHaveLength(3);
    expect(first.page!.nextKey!.length).toBeGreaterThan(0);
    const second = await page(first.page!.nextKey!);
    expect(second.addresses).toHaveLength(1);
    expect(second.page!.nextKey!.length).toBe(0);
    const seen = [...first.addresses, ...second.addresses].map((a) => a.recipient).sort();
    expect(seen).toEqual(h.accounts.map((a) => a.address).sort());
  });
});

describe("genesis and invariants", () => {
  it.each([
    { name: "reorg_limit not below confirmations", overrides: { reorg_limit: CONFIRMATIONS }, expErr: /reorg_limit/ },
    { name: "min_deposit not above the fee", overrides: { min_deposit: "1000" }, expErr: /min_deposit/ },
    { name: "an unknown client type", overrides: { client_type: "ethereum" }, expErr: /unknown client type/ },
    { name: "a threshold of half the weight", overrides: { federation: { ...federationJson, threshold: 1 } }, expErr: /more than half/ },
    {
      name: "an uncompressed federation key",
      overrides: { federation: { ...federationJson, members: [{ ...federationJson.members[0], pubkey: Buffer.alloc(65, 4).toString("base64") }] } },
      expErr: /33-byte/,
    },
    { name: "a member without a pegzone account", overrides: { federation: { ...federationJson, members: [{ ...federationJson.members[0], account: "" }, ...federationJson.members.slice(1)] } }, expErr: /account/ },
    { name: "min_withdrawal not above max_fee + dust", overrides: { min_withdrawal: "50546" }, expErr: /min_withdrawal/ },
  ])("refuses a genesis with $name", async ({ overrides, expErr }) => {
    await expect(newHarness(overrides)).rejects.toThrow(expErr);
  });

  it("freezes a peg whose supply exceeds its reserve, and says why", async () => {
    const holder = account(7).address;
    const h = await newHarness({}, [{ address: holder, coins: [{ denom: DENOM, amount: "5000" }] }]);
    await h.block([]);
    const state = await h.query("ClientState", v1.QueryClientStateRequest, { mainchain: MAINCHAIN }, v1.QueryClientStateResponse);
    expect(state.freeze!.frozen).toBe(true);
    expect(state.freeze!.reason).toMatch(/supply 5000 .* > reserve 0/);
  });
});
