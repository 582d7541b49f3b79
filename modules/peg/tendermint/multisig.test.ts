/**
 * The federation's multisig account against values made by real Cosmos SDK chains and CosmJS:
 *  - CosmJS' multisignature.spec.ts: the 2-of-5 multisig of its simapp faucet's keys 0..4 is
 *    cosmos1h90ml36rcu7yegwduzgzderj2jmq49hcpfclw9, an account a real simapp accepted a multisigned
 *    tx from (the SDK checks the signer key hashes to the account address);
 *  - CosmJS' amino testutils.spec.ts: bech32 multisig pubkeys printed by `wasmd keys add --multisig`
 *    (keys sorted by address by default, `--nosort` keeps the given order);
 *  - the address recomputed by hand: sha256(amino bytes)[:20].
 *  - `gaiad keys add --multisig` (gaiad v25.1.1) of the test federation's keys, and of the faucet's
 *    in another order (the same cosmos1h90ml…).
 */
import { describe, expect, it } from "@jest/globals";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { fromBech32 } from "../../../chain/crypto/address";
import type { pegzone } from "../../../proto";
import type { Federation } from "../kinds";
import { federationAccount, federationAccountAddress, federationMultisigPubkey } from "./multisig";
import { tendermintParamsAny } from "./params";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const b64 = (s: string) => Uint8Array.from(Buffer.from(s, "base64"));
const chain = (bech32Prefix: string): pegzone.peg.v1.IMainChain => ({ id: "hub", params: tendermintParamsAny({ denom: "uatom", bech32Prefix }) });
const federationOf = (keys: Uint8Array[], threshold: number): Federation => ({ id: 1, members: keys.map((pubkey) => ({ pubkey, weight: 1, account: "" })), threshold });
/** The data of a bech32 string of any length (bech32 pubkeys are longer than addresses). */
const bech32Data = (s: string) => bech32.fromWords(bech32.decode(s as `${string}1${string}`, 1023).words);

// CosmJS simapp faucet keys 0..4 (packages/stargate testutils: faucet.pubkey0..4)
const FAUCET = [
  "A08EGB7ro1ORuFhjOnZcSgwYlpe0DSFjVNUIkNNQxwKQ",
  "AiDosfIbBi54XJ1QjCeApumcy/FjdtF+YhywPf3DKTx7",
  "AzQg33JZqH7vSsm09esZY5bZvmzYwE/SY78cA0iLxpD7",
  "A3gOAlB6aiRTCPvWMQg2+ZbGYNsLd8qlvV28m8p2UhY2",
  "Aum2063ub/ErUnIUB36sK55LktGUStgcbSiaAnL1wadu",
].map(b64);

// CosmJS amino testutils: wasmd test1..3 (their amino data is eb5ae987 21 ‖ key) and multisigs of them
const TEST1 = hex("038cb598ee54130d34f8e0818e7787aa06139a0e2d0026cadb662b55cf16859a67");
const TEST2 = hex("02906f1bd9516c8cd3b52639322c801bf8724c1fa5e878c0e32b9bd6c0bb8b0f68");
const TEST3 = hex("03cc93519d61b686da6f0e8cff9431e356b45f91063ed6f81f79ddd898858800f3");
const TESTGROUP1 =
  "wasmpub1ytql0csgqgfzd666axrjzquvkkvwu4qnp5603cyp3emc02sxzwdqutgqym9dke3t2h83dpv6vufzd666axrjzq5sdudaj5tv3nfm2f3exgkgqxlcwfxplf0g0rqwx2um6mqthzc0dqfzd666axrjzq7vjdge6cdksmdx7r5vl72rrc6kk30ezp376mup77wamzvgtzqq7v7aysdd";
const TESTGROUP3 =
  "wasmpub1ytql0csgqgfzd666axrjzquvkkvwu4qnp5603cyp3emc02sxzwdqutgqym9dke3t2h83dpv6vufzd666axrjzq7vjdge6cdksmdx7r5vl72rrc6kk30ezp376mup77wamzvgtzqq7vzjhugu";
const TESTGROUP4_NOSORT =
  "wasmpub1ytql0csgqgfzd666axrjzq7vjdge6cdksmdx7r5vl72rrc6kk30ezp376mup77wamzvgtzqq7vfzd666axrjzquvkkvwu4qnp5603cyp3emc02sxzwdqutgqym9dke3t2h83dpv6vujvg56k";

describe("the federation's multisig account", () => {
  it("is the account CosmJS' simapp test multisigned from (2 of the faucet's keys 0..4), whatever the members' order", () => {
    for (const order of [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]]) {
      expect(federationAccountAddress(chain("cosmos"), federationOf(order.map((i) => FAUCET[i]), 2))).toBe("cosmos1h90ml36rcu7yegwduzgzderj2jmq49hcpfclw9");
    }
  });

  it("is the account `gaiad keys add fed --multisig m2,m0,m1 --multisig-threshold 2` (gaiad v25.1.1) made of the test federation's keys", () => {
    // test/support/peg-harness.ts memberKeys 0..2, the pegzone tests' 2-of-3 federation
    const keys = ["AneFBvQMDutdBO1Kps59GtGOM0WJCrAk6bJ4j7CmFhV0", "AoMyDHtGj2I1pswOWAw+FBac0eLqtZ6EPVwmhj1SxW1b", "A8ZxNXLgbtYxgeAoZeZ1vVBIpvHpnMnE78I7XuBj/XNw"].map(b64);
    expect(federationAccountAddress(chain("cosmos"), federationOf(keys, 2))).toBe("cosmos1yv5c439dcysejxawzs7ws7hyfgpcck3f88kx5k");
    // gaiad v25.1.1 gives cosmos1h90ml36rcu7yegwduzgzderj2jmq49hcpfclw9 for `--multisig f4,f2,f0,f3,f1 --multisig-threshold 2` of the faucet keys, too
  });

  const wasmd: Array<{ name: string; keys: Uint8Array[]; threshold: number; pubkey: string }> = [
    { name: "2 of test1,test2,test3 (testgroup1)", keys: [TEST1, TEST2, TEST3], threshold: 2, pubkey: TESTGROUP1 },
    { name: "2 of test3,test2,test1, sorted by address (testgroup1)", keys: [TEST3, TEST2, TEST1], threshold: 2, pubkey: TESTGROUP1 },
    { name: "2 of test3,test1, sorted as `keys add --multisig=test3,test1` sorts them (testgroup3)", keys: [TEST3, TEST1], threshold: 2, pubkey: TESTGROUP3 },
  ];
  it.each(wasmd)("encodes $name as `wasmd keys add --multisig` printed it", ({ keys, threshold, pubkey }) => {
    const account = federationAccount(chain("wasm"), federationOf(keys, threshold));
    const amino = bech32Data(pubkey);
    expect(Buffer.from(account.aminoPubkey).toString("hex")).toBe(Buffer.from(amino).toString("hex"));
    expect(Buffer.from(account.aminoPubkey.subarray(0, 4)).toString("hex")).toBe("22c1f7e2");
    // the address, by hand: the first 20 bytes of sha256 of the amino encoding
    expect(Buffer.from(account.rawAddress).toString("hex")).toBe(Buffer.from(sha256(amino).subarray(0, 20)).toString("hex"));
    expect(fromBech32(account.address, "wasm")).toEqual(account.rawAddress);
  });

  it("is not the `--nosort` multisig of the same keys (the order is part of the address)", () => {
    const sorted = federationAccount(chain("wasm"), federationOf([TEST3, TEST1], 2));
    expect(Buffer.from(sorted.aminoPubkey).equals(Buffer.from(bech32Data(TESTGROUP4_NOSORT)))).toBe(false);
  });

  it("sorts members by account address, takes the threshold as it is, and the chain's prefix", () => {
    const pubkey = federationMultisigPubkey(federationOf([TEST3, TEST2, TEST1], 2));
    // test1 9028…, test2 aeb3…, test3 eeb8… (their account addresses)
    expect(pubkey.value.pubkeys.map((k) => Buffer.from(k.value, "base64").toString("hex"))).toEqual([TEST1, TEST2, TEST3].map((k) => Buffer.from(k).toString("hex")));
    expect(pubkey.value.threshold).toBe("2");
    const raw = federationAccount(chain("cosmos"), federationOf([TEST1, TEST2, TEST3], 2)).rawAddress;
    expect(federationAccountAddress(chain("osmo"), federationOf([TEST1, TEST2, TEST3], 2))).toMatch(/^osmo1/);
    expect(fromBech32(federationAccountAddress(chain("osmo"), federationOf([TEST1, TEST2, TEST3], 2)), "osmo")).toEqual(raw);
    expect(federationAccount(chain("cosmos"), federationOf([TEST1, TEST2, TEST3], 3)).rawAddress).not.toEqual(raw);
  });

  it("refuses a federation without members, with a bad key or threshold, and a chain without a prefix", () => {
    expect(() => federationAccountAddress(chain("cosmos"), federationOf([], 1))).toThrow(/no members/);
    expect(() => federationAccountAddress(chain("cosmos"), federationOf([TEST1.subarray(1)], 1))).toThrow(/33-byte/);
    expect(() => federationAccountAddress(chain("cosmos"), federationOf([TEST1, TEST2], 3))).toThrow(/exceeds/);
    expect(() => federationAccountAddress(chain("cosmos"), federationOf([TEST1, TEST2], 0))).toThrow(/threshold/);
    expect(() => federationAccountAddress(chain(""), federationOf([TEST1, TEST2], 2))).toThrow(/prefix/);
  });
});
