/**
 * ADR-020 unknown-field rejection for every message the app registers, peg messages included: a
 * field the message does not declare (at any depth, or a declared one with another wire type) fails
 * decoding with sdk/2 in CheckTx and in blocks and changes nothing; an unknown non-critical field
 * is tolerated but flagged, so that LEGACY_AMINO_JSON refuses it, as the SDK does.
 */
import { Writer } from "protobufjs/minimal";
import { pegzone } from "../../proto";
import { pegTypeUrls } from "../../modules/peg/msgs";
import { MAINCHAIN, closeHarnesses, memberKeys, newHarness, type Harness } from "../../test/support/peg-harness";
import { signSecp256k1 } from "../crypto/secp256k1";
import { signDirect } from "./build";
import { decodeTx } from "./decode";
import { SdkError } from "./errors";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);

/** Field 99, varint 1: declared by no message. */
const UNKNOWN_FIELD = Uint8Array.of(0x98, 0x06, 0x01);
/** Field 1025 (bit 11 set: non-critical), varint 1. */
const NON_CRITICAL_FIELD = Uint8Array.of(0x88, 0x40, 0x01);

const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** A message type for Harness.tx whose encoding is `type`'s followed by `extra`. */
function withExtra(type: { create(o: object): unknown; encode(m: never): { finish(): Uint8Array } }, extra: Uint8Array) {
  return { create: (o: object) => type.create(o), encode: (m: never) => ({ finish: () => concat(type.encode(m).finish(), extra) }) };
}

function txOf(h: Harness, typeUrl: string, value: Uint8Array): Uint8Array {
  const from = h.accounts[0];
  return signDirect({ messages: [{ typeUrl, value }], fee: { amount: [], gasLimit: 1_000_000n }, sequence: from.sequence }, { pubkey: from.pubkey, sign: (b) => signSecp256k1(from.privateKey, b) }, "any-chain", from.accountNumber);
}

function decodeError(f: () => unknown): [string, number] | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof SdkError ? [e.codespace, e.code] : ["not an SdkError", 0];
  }
  return undefined;
}

describe("unknown fields in tx messages", () => {
  it("every registered message type refuses an unknown field with sdk/2 and only flags an unknown non-critical one", async () => {
    const h = await newHarness();
    const registry = h.app.msgs.registry;
    const typeUrls = registry.typeUrls();
    expect(typeUrls).toEqual(expect.arrayContaining(Object.values(pegTypeUrls)));
    for (const typeUrl of typeUrls) {
      expect({ typeUrl, got: decodeError(() => decodeTx(txOf(h, typeUrl, UNKNOWN_FIELD), registry)) }).toEqual({ typeUrl, got: ["sdk", 2] });
      const tolerated = decodeTx(txOf(h, typeUrl, NON_CRITICAL_FIELD), registry);
      expect({ typeUrl, flagged: tolerated.hasUnknownNonCriticals }).toEqual({ typeUrl, flagged: true });
    }
    // Outside a tx body nothing unknown is tolerated.
    for (const typeUrl of Object.values(pegTypeUrls)) {
      expect({ typeUrl, got: decodeError(() => registry.decode(typeUrl, NON_CRITICAL_FIELD)) }).toEqual({ typeUrl, got: ["sdk", 2] });
    }
  });

  it("a peg message with an unknown field, a mistyped field or an unknown field in a nested message is refused in CheckTx and in a block, changing nothing", async () => {
    const h = await newHarness();
    const [alice] = h.accounts;
    const member = memberKeys[0];
    const registered = () => h.query("RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain: MAINCHAIN }, v1.QueryRegisteredAddressesResponse);
    const pending = () => h.query("FederationProposal", v1.QueryFederationProposalRequest, { mainchain: MAINCHAIN }, v1.QueryFederationProposalResponse).then((r) => r.proposal ?? null, () => null);
    const register = { sender: alice.address, mainchain: MAINCHAIN, recipient: "" };
    const proposedMember = { pubkey: memberKeys[1].pubkey, weight: 1, account: memberKeys[1].address };
    const memberWithExtra = new Writer().uint32((3 << 3) | 2).bytes(concat(v1.FederationMember.encode(v1.FederationMember.create(proposedMember)).finish(), UNKNOWN_FIELD)).finish();

    const forged: Array<[string, () => Uint8Array, { sequence: bigint }]> = [
      ["MsgRegisterDepositAddress with field 99", () => h.tx(alice, pegTypeUrls.registerDepositAddress, withExtra(v1.MsgRegisterDepositAddress, UNKNOWN_FIELD), register), alice],
      // field 2 (mainchain, a string) sent as a varint
      ["MsgRegisterDepositAddress with a mistyped mainchain", () => h.tx(alice, pegTypeUrls.registerDepositAddress, withExtra(v1.MsgRegisterDepositAddress, Uint8Array.of(0x10, 0x01)), { sender: alice.address, recipient: "" }), alice],
      [
        "MsgProposeFederation with field 99 inside a member",
        () => h.tx(member, pegTypeUrls.proposeFederation, withExtra(v1.MsgProposeFederation, memberWithExtra), { proposer: member.address, mainchain: MAINCHAIN, threshold: 2, members: [{ pubkey: memberKeys[2].pubkey, weight: 1, account: memberKeys[2].address }] }),
        member,
      ],
    ];
    await h.block([]);
    const before = JSON.stringify([await registered(), await pending()]);
    for (const [name, build, signer] of forged) {
      const tx = build();
      signer.sequence--; // refused before the ante handler: the sequence does not move
      const checked = await h.app.checkTx({ tx, type: 0 });
      expect({ name, got: [checked.codespace, checked.code] }).toEqual({ name, got: ["sdk", 2] });
      const [res] = await h.block([tx]);
      expect({ name, got: [res.codespace, res.code], events: res.events }).toEqual({ name, got: ["sdk", 2], events: [] });
      expect(JSON.stringify([await registered(), await pending()])).toBe(before);
    }
    // The same messages without the forged fields go through, at the unchanged sequences.
    const [ok] = await h.block([h.tx(alice, pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddress, register)]);
    expect(ok).toMatchObject({ code: 0 });
    expect((await registered()).addresses).toHaveLength(1);
  });
});
