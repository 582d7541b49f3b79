/**
 * End to end, no mocks: a real local Cosmos Hub (gaiad v25.1.1, one validator, a block a second)
 * followed by the Tendermint light client in a real pegzone store (CommitMultiStore on LevelDB, the
 * client under a prefix), fed by the relayer's CometBFT RPC client and follower:
 *  - the client is registered from the Hub's block 2 (commit + validators + next validators over RPC);
 *  - it follows the Hub for more than 50 blocks, a sync and a store commit each round; pegzone's
 *    "now" is the fetched header's time + 5 s;
 *  - forged headers (an app_hash byte changed; a block re-signed by a key outside the set) are refused
 *    with a reason and leave the store as it was;
 *  - closed and reopened, the store carries the client, and a new follower continues from it;
 *  - a MsgSend with a peg1... memo is proven (tx + result, code 0) and the recipient's bank balance is
 *    proven by ICS23 against the next header's app_hash; a changed balance is refused.
 * Skipped, saying why, when .bin/gaiad has not been built.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bech32 } from "@scure/base";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { CommitMultiStore } from "../chain/store";
import { sha256 } from "../chain/store/sha256";
import { PrefixStore } from "../chain/store/prefix";
import type { KVStore } from "../chain/store/types";
import { checkForMisbehaviour, consensusState, initialize, proveState, proveTransaction, status, updateState, verifyClientMessage } from "../light-client/tendermint/client";
import { TendermintError } from "../light-client/tendermint/errors";
import { headerHash } from "../light-client/tendermint/header-hash";
import { commitSignBytes } from "../light-client/tendermint/sign-bytes";
import type { Header, SignedHeader } from "../light-client/tendermint/types";
import { makeValidatorSet, validatorAddress, validatorSetHash } from "../light-client/tendermint/validator-set";
import { encodeHeaderMessage, fetchStateClaim, fetchTxClaim, type HeaderUpdate, localClient, localLatestHeight, TendermintFollower } from "../relayer/tendermint-follower";
import { bankBalanceKey, GAIAD_MISSING, haveGaiad, LocalHub } from "./support/gaiad";

jest.setTimeout(180_000);

const SECOND = 1_000_000_000n;
/** pegzone's block time, as seen by the client: the header's time + 5 s. */
const nowFor = (h: Header) => h.time + 5n * SECOND;
const GENESIS_HEIGHT = 2n;
const FOLLOW_BLOCKS = 50n;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

async function reasonOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof TendermintError)) throw new Error(`expected a TendermintError, got ${String(e)}`);
  return e.reason;
}

if (!haveGaiad()) {
  console.warn(`test/gaiad.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`local Cosmos Hub: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("a local Cosmos Hub followed by the Tendermint light client", () => {
  let hub: LocalHub;
  let dir: string;
  let ms: CommitMultiStore;
  let store: KVStore;
  const started = Date.now();
  const timing: Record<string, number> = {};
  const lap = (name: string) => (timing[name] = (Date.now() - started) / 1000);

  async function openStore(): Promise<void> {
    ms = await CommitMultiStore.open(dir, ["peg"], { keepRecent: 0, cacheSize: 10_000 });
    store = new PrefixStore(ms.working().store("peg"), Buffer.from("client/localhub-1/"));
  }

  /** MsgUpdateClient as the peg module would run it, at pegzone time header time + 5 s. */
  async function submit(u: HeaderUpdate): Promise<void> {
    const now = nowFor(u.signedHeader.header);
    const verified = await verifyClientMessage(store, u.bytes, now);
    expect(await checkForMisbehaviour(store, verified)).toBeUndefined();
    await updateState(store, verified, now);
  }
  const follower = () => new TendermintFollower({ rpc: hub.rpc, client: localClient(store), submit, now: nowFor });

  beforeAll(async () => {
    hub = await LocalHub.create();
    await hub.start(Number(GENESIS_HEIGHT) + 1);
    dir = mkdtempSync(join(tmpdir(), "pegzone-gaiad-store-"));
    await openStore();
    lap("hub up");
  });

  afterAll(async () => {
    await ms?.close();
    await hub?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`gaiad e2e timings (s since start): ${JSON.stringify(timing)}`);
  });

  test("registers the client from the Hub's block 2 (signed header + validators over RPC)", async () => {
    const trusted = await hub.rpc.lightBlockJson(GENESIS_HEIGHT);
    const state = await initialize(store, {
      chain_id: hub.chainId,
      trust_level: { numerator: 1, denominator: 3 },
      trusting_period_seconds: 14 * 86_400,
      max_clock_drift_seconds: 10,
      trusted,
    });
    await ms.commit();
    expect(state.latestHeight).toEqual({ revisionNumber: 1n, revisionHeight: GENESIS_HEIGHT });
    expect(await localLatestHeight(store)).toBe(GENESIS_HEIGHT);
  });

  test(`follows the Hub for at least ${FOLLOW_BLOCKS} blocks; the latest height and app hash are the node's`, async () => {
    let rounds = 0;
    let sent = 0;
    while ((await localLatestHeight(store)) < GENESIS_HEIGHT + FOLLOW_BLOCKS) {
      await hub.waitForHeight((await localLatestHeight(store)) + 1n);
      const r = await follower().sync();
      await ms.commit();
      rounds++;
      sent += r.sent;
      expect(r.bisections).toBe(0); // one validator: every header it signed is trusted
    }
    lap("followed");
    const latest = await localLatestHeight(store);
    const node = await hub.rpc.commit(latest);
    const stored = (await consensusState(store, latest))!;
    expect(hex(stored.root)).toBe(hex(node.header.appHash));
    expect(hex(stored.headerHash)).toBe(hex(node.commit.blockId.hash));
    expect(await status(store, nowFor(node.header))).toBe("Active");
    expect(latest - GENESIS_HEIGHT).toBeGreaterThanOrEqual(FOLLOW_BLOCKS);
    console.log(`followed heights ${GENESIS_HEIGHT}..${latest} in ${rounds} rounds, ${sent} headers`);
  });

  test("forged headers are refused with a reason and change nothing", async () => {
    const latest = await localLatestHeight(store);
    await hub.waitForHeight(latest + 2n);
    const real = (await follower().nextUpdate(latest + 2n))!;
    expect(real.trustedHeight).toBe(latest);
    const sh = real.signedHeader;
    const now = nowFor(sh.header);
    const send = (parts: Omit<HeaderUpdate, "bytes">) => verifyClientMessage(store, encodeHeaderMessage(parts), now);

    // One byte of app_hash changed: the commit signs another block.
    const appHash = Uint8Array.from(sh.header.appHash);
    appHash[0] ^= 1;
    expect(await reasonOf(send({ ...real, signedHeader: { ...sh, header: { ...sh.header, appHash } } }))).toBe("block-id-mismatch");

    // The changed block re-hashed and signed by a key outside the set, in the real validator's slot.
    const stranger = sha256(Buffer.from("a key outside the Hub's validator set"));
    const strangerPub = ed25519.getPublicKey(stranger);
    const resign = (header: Header, validators = real.validatorSet): SignedHeader => {
      const blockId = { ...sh.commit.blockId, hash: headerHash(header) };
      const unsigned = { ...sh.commit, blockId, signatures: sh.commit.signatures.map((s, i) => ({ ...s, validatorAddress: validators.validators[i]?.address ?? s.validatorAddress })) };
      return { header, commit: { ...unsigned, signatures: unsigned.signatures.map((s, i) => ({ ...s, signature: ed25519.sign(commitSignBytes(hub.chainId, unsigned, i), stranger) })) } };
    };
    expect(await reasonOf(send({ ...real, signedHeader: resign({ ...sh.header, appHash }) }))).toBe("bad-signature");

    // A whole set of strangers, its hash in the header: they are no part of the trusted set.
    const strangers = makeValidatorSet([{ address: validatorAddress(strangerPub), pubKey: strangerPub, votingPower: 100n, proposerPriority: 0n }]);
    const forged = { ...sh.header, appHash, validatorsHash: validatorSetHash(strangers), nextValidatorsHash: validatorSetHash(strangers) };
    expect(await reasonOf(send({ ...real, signedHeader: resign(forged, strangers), validatorSet: strangers }))).toBe("not-enough-trust");

    expect(await localLatestHeight(store)).toBe(latest);
    expect(await consensusState(store, latest + 2n)).toBeUndefined();
    await submit(real); // the real one is accepted
    await ms.commit();
    expect(await localLatestHeight(store)).toBe(latest + 2n);
    lap("forgeries");
  });

  test("restart: the reopened store carries the client, and a new follower continues", async () => {
    const before = await localLatestHeight(store);
    await ms.close();
    await openStore();
    expect(await localLatestHeight(store)).toBe(before);
    const node = await hub.waitForHeight(before + 2n);
    const r = await follower().sync(node);
    await ms.commit();
    expect(r.from).toBe(before);
    expect(await localLatestHeight(store)).toBe(node);
    expect(await status(store, nowFor((await hub.rpc.commit(node)).header))).toBe("Active");
    lap("restart");
  });

  test("proves a MsgSend with a peg memo, and the recipient's balance; a changed balance is refused", async () => {
    const recipient = Uint8Array.from(Buffer.from("pegzone-e2e-recipient").subarray(0, 20));
    const to = bech32.encode("cosmos", bech32.toWords(recipient));
    const memo = bech32.encode("peg", bech32.toWords(new Uint8Array(20).fill(9)));
    const sent = await hub.sendWithMemo({ to, amount: 4242n, memo });
    expect(sent.code).toBe(0);
    const H = sent.height;
    // Consensus states at H (data_hash) and H+1 (last_results_hash, app_hash of the state after H), then past them.
    await hub.waitForHeight(H + 2n);
    const f = follower();
    await f.sync(H);
    await f.sync(H + 1n);
    await f.sync();
    await ms.commit();
    const latest = await localLatestHeight(store);
    expect(latest).toBeGreaterThan(H + 1n);
    const now = nowFor((await hub.rpc.commit(latest)).header);

    const claim = await fetchTxClaim(hub.rpc, sent.txhash);
    const proven = await proveTransaction(store, claim, now);
    expect(proven).toMatchObject({ txHash: sent.txhash, code: 0, height: { revisionNumber: 1n, revisionHeight: H } });
    const body = TxBody.decode(TxRaw.decode(claim.tx).bodyBytes);
    expect(body.memo).toBe(memo);
    expect(MsgSend.decode(body.messages[0].value)).toMatchObject({ toAddress: to, amount: [{ denom: "stake", amount: "4242" }] });

    const key = bankBalanceKey(recipient);
    const state = await fetchStateClaim(hub.rpc, "bank", key, H);
    expect(Buffer.from(state.value!).toString()).toBe("4242");
    expect((await proveState(store, state, now)).value).toEqual(state.value);
    expect(await reasonOf(proveState(store, { ...state, value: Buffer.from("4243") }, now))).toBe("value-mismatch");
    expect(await reasonOf(proveState(store, { ...state, height: latest }, now))).toBe("unknown-height");
    console.log(`proved tx ${sent.txhash} at height ${H} (code 0, memo ${memo}) and balance 4242stake after ${H} against ${H + 1n}'s app hash; client at ${latest}`);
    lap("proofs");
  });
});
