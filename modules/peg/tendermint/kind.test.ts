/**
 * A Tendermint main chain registered in the peg, in-process: genesis registration, relaying through
 * MsgRelayHeaders (verify → misbehaviour → update), the client-state and consensus-state queries,
 * misbehaviour freezing the client and the peg, expiry, and revival by the peg authority only.
 * Headers come from a synthetic four-validator chain (test/support/tendermint.ts) signed with real
 * ed25519 keys; pegzone's block time is set just after them.
 */
import { hubMainchainEntry } from "../../../test/support/tendermint-peg";
import { afterAll, describe, expect, it } from "@jest/globals";
import { pegzone } from "../../../proto";
import { closeHarnesses, newHarness, type Harness } from "../../../test/support/peg-harness";
import { BLOCK_INTERVAL, headerBytes, heightAt, lightBlock, SECOND, T0, testChain, trustedJson } from "../../../test/support/tendermint";
import { revisionOf } from "../../../light-client/tendermint/client-state";
import { pegTypeUrls } from "../msgs";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";

const v1 = pegzone.peg.v1;
const HUB = "cosmoshub-local";
const spec = testChain();
const REV = revisionOf(spec.chainId);
/** pegzone's first block: a little after the Hub's block 40. */
const START = (T0 + 40n * BLOCK_INTERVAL) / SECOND + 5n;
const TRUSTING_PERIOD = 3600;

const hubEntry = () => hubMainchainEntry(HUB, spec, TRUSTING_PERIOD);

const harness = () => newHarness({}, [], [], {}, { extraMainchains: [hubEntry()], startTime: START });
afterAll(closeHarnesses);

/** The Header message for block `h` trusting block `trusted`'s next validators. */
const header = (h: bigint, trusted = 1n, o: Parameters<typeof lightBlock>[2] = {}) => headerBytes(lightBlock(spec, h, o), heightAt(REV, trusted), spec.valsAt(trusted + 1n));

async function relay(h: Harness, headers: Uint8Array[], from = h.accounts[2]) {
  const [r] = await h.block([h.tx(from, pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: from.address, mainchain: HUB, headers })]);
  return r;
}

const clientState = (h: Harness) => h.query("ClientState", v1.QueryClientStateRequest, { mainchain: HUB }, v1.QueryClientStateResponse);

describe("a tendermint main chain in the peg", () => {
  it("registers from genesis, follows relayed headers and shows status, height and app hash", async () => {
    const h = await harness();
    await h.block([]); // genesis state is committed with the first block
    const before = await clientState(h);
    expect(before).toMatchObject({ clientType: "tendermint", tipHeight: 1, status: "Active" });
    expect(before.details.chain_id).toBe(spec.chainId);

    const r = await relay(h, [header(20n)]);
    expect(r.code).toBe(0);
    const after = await clientState(h);
    expect(after).toMatchObject({ tipHeight: 20, status: "Active" });
    const block20 = lightBlock(spec, 20n).signedHeader.header;
    expect(after.details.app_hash).toBe(Buffer.from(block20.appHash).toString("hex").toUpperCase());
    expect(r.events.find((e) => e.type === "relay_headers")?.attributes).toMatchObject({ tip_height: "20", height: "1-20", added: "1" });

    const at = await h.query("ConsensusState", v1.QueryConsensusStateRequest, { mainchain: HUB, height: 19 }, v1.QueryConsensusStateResponse);
    expect(Number(at.height)).toBe(1);
    const latest = await h.query("ConsensusState", v1.QueryConsensusStateRequest, { mainchain: HUB, height: 0 }, v1.QueryConsensusStateResponse);
    expect(Number(latest.height)).toBe(20);
    expect(latest.details.time_nanos).toBe(String(block20.time));
  });

  // Every refusal is ErrInvalidHeaders (peg 4) and leaves the client where it was.
  const forged: Array<{ name: string; malleate: () => Uint8Array[]; reason: RegExp }> = [
    { name: "a commit signed for another chain id", malleate: () => [header(21n, 1n, { signChainId: "other-hub-1" })], reason: /signature/i },
    { name: "a header not from the trusted validators (1/4 signed)", malleate: () => [header(21n, 1n, { signs: (k) => k === spec.keys[0] })], reason: /trust|power|signed/i },
    { name: "a header from the future", malleate: () => [header(21n, 1n, { time: START * SECOND + 3600n * SECOND })], reason: /future|drift/i },
    { name: "two headers in one message", malleate: () => [header(21n), header(22n)], reason: /one Header/ },
    { name: "bytes that are no Header", malleate: () => [Uint8Array.of(1, 2, 3)], reason: /decode|encoding|invalid/i },
  ];
  it.each(forged)("refuses $name", async ({ malleate, reason }) => {
    const h = await harness();
    const r = await relay(h, malleate());
    expect({ code: r.code, codespace: r.codespace }).toEqual({ code: 4, codespace: "peg" });
    expect(r.log).toMatch(reason);
    expect(await clientState(h)).toMatchObject({ tipHeight: 1, status: "Active" });
  });

  it("freezes the client and the peg on a conflicting header at a stored height", async () => {
    const h = await harness();
    expect((await relay(h, [header(20n)])).code).toBe(0);
    const r = await relay(h, [header(20n, 1n, { fork: "b" })]);
    expect(r.code).toBe(0);
    const state = await clientState(h);
    expect(state.status).toBe("Frozen");
    expect(state.freeze?.frozen).toBe(true);
    expect(state.freeze?.reason).toMatch(/conflicting headers/);
    expect((await relay(h, [header(21n, 20n)])).log).toMatch(/frozen/);
  });

  it("takes claims through its deposit flow (deposit-flow.test.ts) and refuses withdrawals to what is not a plain account of the Hub", async () => {
    const h = await harness();
    const a = h.accounts[0];
    const [claim] = await h.block([
      h.tx(a, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: a.address, mainchain: HUB, recipient: a.address, proof: { type_url: "/pegzone.peg.tendermint.v1.DepositProof", value: Uint8Array.of(1) } }),
    ]);
    expect({ code: claim.code, codespace: claim.codespace }).toEqual({ code: 5, codespace: "peg" });
    expect(claim.log).toMatch(/malformed-proof/);
    const withdraw = async (destination: string) => (await h.block([h.tx(a, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: a.address, mainchain: HUB, amount: "5000", destination })]))[0];
    // A bitcoin address, a malformed one, another chain's prefix, the fee collector (a blocked module account), the federation's own account.
    const feeCollector = bech32.encode("cosmos", bech32.toWords(sha256(new TextEncoder().encode("fee_collector")).subarray(0, 20)));
    const federation = (await h.query("DepositAddress", v1.QueryDepositAddressRequest, { mainchain: HUB, recipient: a.address }, v1.QueryDepositAddressResponse)).address;
    for (const [destination, why] of [
      ["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", /prefix is "bcrt", the Hub's is "cosmos"/],
      ["cosmos1xyz", /not bech32/],
      [bech32.encode("osmo", bech32.toWords(new Uint8Array(20).fill(7))), /prefix is "osmo"/],
      [feeCollector, /fee_collector module account/],
      [federation, /reserve address/],
    ] as const) {
      const res = await withdraw(destination);
      expect({ code: res.code, codespace: res.codespace }).toEqual({ code: expect.any(Number), codespace: expect.stringMatching(/peg|sdk/) });
      expect(res.code).not.toBe(0);
      expect(res.log).toMatch(why);
    }
  });

  it("expires past the trusting period and is revived by the peg authority only", async () => {
    const h = await harness();
    expect((await relay(h, [header(20n)])).code).toBe(0);
    // pegzone's time moves past block 20's time + the trusting period
    h.clockSkip = BigInt(TRUSTING_PERIOD) + 200n;
    await h.block([]);
    expect((await clientState(h)).status).toBe("Expired");
    expect((await relay(h, [header(21n, 20n)])).log).toMatch(/expired/i);

    // a later trusted header, within its trusting period at pegzone's time now
    const hubNow = START + BigInt(h.height + 1) + h.clockSkip;
    const later = (hubNow * SECOND - T0) / BLOCK_INTERVAL - 2n;
    const trusted = new TextEncoder().encode(JSON.stringify(trustedJson(lightBlock(spec, later))));
    const revive = (from = h.accounts[3]) => h.tx(from, pegTypeUrls.reviveClient, v1.MsgReviveClient, { authority: from.address, mainchain: HUB, trusted });
    const [byOther] = await h.block([revive(h.accounts[0])]);
    expect({ code: byOther.code, codespace: byOther.codespace }).toEqual({ code: 4, codespace: "sdk" });
    expect((await clientState(h)).status).toBe("Expired");

    const [byAuthority] = await h.block([revive()]);
    expect(byAuthority.code).toBe(0);
    expect(await clientState(h)).toMatchObject({ status: "Active", tipHeight: Number(later) });
    expect((await relay(h, [header(later + 1n, later)])).code).toBe(0);
    expect((await clientState(h)).tipHeight).toBe(Number(later + 1n));
  });

  it("refuses to revive a client that is not expired, and a bitcoin client (it never expires)", async () => {
    const h = await harness();
    const trusted = new TextEncoder().encode(JSON.stringify(trustedJson(lightBlock(spec, 30n))));
    const auth = h.accounts[3];
    const [active] = await h.block([h.tx(auth, pegTypeUrls.reviveClient, v1.MsgReviveClient, { authority: auth.address, mainchain: HUB, trusted })]);
    expect({ code: active.code, codespace: active.codespace }).toEqual({ code: 4, codespace: "peg" });
    expect(active.log).toMatch(/Active/);
    const [bitcoin] = await h.block([h.tx(auth, pegTypeUrls.reviveClient, v1.MsgReviveClient, { authority: auth.address, mainchain: "btc-regtest", trusted })]);
    expect({ code: bitcoin.code, codespace: bitcoin.codespace }).toEqual({ code: 26, codespace: "peg" });
  });

  it("exports the client with the chain and imports it into a new app", async () => {
    const h = await harness();
    expect((await relay(h, [header(20n)])).code).toBe(0);
    const exported = await h.app.exportGenesis();
    const peg = (exported as { peg: { mainchains: Array<Record<string, unknown>> } }).peg;
    const hub = peg.mainchains.find((m) => m.id === HUB)!;
    expect(hub.params).toEqual({ "@type": "/pegzone.peg.tendermint.v1.Params", denom: "uatom", display_denom: "atom", decimals: 6, bech32_prefix: "cosmos", gas_price_micro: "0", release_timeout_blocks: "0" });
    expect(hub.checkpoint).toMatchObject({ chain_id: spec.chainId });
  });
});
