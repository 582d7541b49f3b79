/**
 * Issue 16, defect 3: CometBFT indexes a block's txs asynchronously after committing it, so a node
 * killed in between (app and CometBFT together) used to come back with committed txs missing from
 * /tx. Here the whole node is killed with SIGKILL of its process group (and sometimes stopped with
 * SIGTERM), just after a block commits, again and again under a stream of bank sends; after the last
 * restart every tx of every block must be found by its hash.
 */
import { createHash } from "node:crypto";
import { StargateClient } from "@cosmjs/stargate";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { ecdsaSign } from "secp256k1";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import { MSG_SEND_TYPE_URL } from "../modules/bank/codecs";
import { freePortBlock, latestHeight, rpc, sleep, Testnet, waitForHeight, type Proc } from "./support/harness";

const CHAIN_ID = "pegzone-txindex";
const SENDERS = 3;
/** PEGZONE_SOAK_KILLS: the full soak (docs/robustness.md) runs 30 or more. */
const KILLS = Number(process.env.PEGZONE_SOAK_KILLS ?? 10);
/** A clean stop (SIGTERM) can lose the last block's index too: CometBFT stops its event bus before consensus. */
const STOPS = 3;
const SINK = "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56";

interface BlockResult {
  block: { data: { txs: string[] | null } };
}
interface BlockResults {
  txs_results: Array<{ code: number }> | null;
}
interface TxResult {
  height: string;
  tx_result: { code: number };
}

describe("the tx index after kill -9 of the whole node", () => {
  let net: Testnet;
  let node: Proc | undefined;
  let stopLoad = false;

  afterAll(async () => {
    stopLoad = true;
    await node?.killGroup();
    if (!process.env.PEGZONE_KEEP_E2E) net?.remove();
  });

  test(`${KILLS} kills of app and CometBFT, and ${STOPS} SIGTERMs, just after a commit: every tx of every committed block is found by /tx`, async () => {
    const senders = Array.from({ length: SENDERS }, (_, i) => {
      const privateKey = createHash("sha256").update(`pegzone tx index sender ${i}`).digest();
      const pubkey = publicKeyFromPrivate(privateKey);
      // libsecp256k1 signs in microseconds: the test's event loop stays free to time the kills
      const sign = (bytes: Uint8Array) => ecdsaSign(createHash("sha256").update(bytes).digest(), privateKey).signature;
      return { pubkey, sign, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)) };
    });
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "150ms", chainId: CHAIN_ID, accounts: senders.map((s) => `${s.address}=1000000000000upeg`) });
    const url = net.nodes[0].rpc;

    const start = () => {
      node = net.startGroup(0);
      return node.waitForLine(/application state opened/, 30_000).then((line) => (JSON.parse(line) as { height: number }).height);
    };
    let opened = start();
    await waitForHeight(url, 1, 60_000);
    const client = await StargateClient.connect(url);
    // Each sender signs with its own sequence and broadcasts without waiting for inclusion: 10-30 txs a block.
    let accepted = 0;
    const send = async (sender: (typeof senders)[number]) => {
      const msg = { typeUrl: MSG_SEND_TYPE_URL, value: MsgSend.encode({ fromAddress: sender.address, toAddress: SINK, amount: [{ denom: "upeg", amount: "3" }] }).finish() };
      const fee = { amount: [{ denom: "upeg", amount: "375" }], gasLimit: 150_000n };
      let account: { number: bigint; sequence: bigint } | undefined;
      while (!stopLoad) {
        try {
          if (!account) {
            const a = (await client.getAccount(sender.address))!;
            account = { number: BigInt(a.accountNumber), sequence: BigInt(a.sequence) };
          }
          const tx = signDirect({ messages: [msg], fee, sequence: account.sequence }, sender, CHAIN_ID, account.number);
          const res = await rpc<{ code: number }>(url, "broadcast_tx_sync", { tx: `0x${Buffer.from(tx).toString("hex")}` });
          if (res.code !== 0) throw new Error(`CheckTx code ${res.code}`);
          account.sequence++;
          accepted++;
          await sleep(15);
        } catch {
          // The node is down, or lost its mempool in a kill: ask the chain for the sequence again.
          account = undefined;
          await sleep(200);
        }
      }
    };
    const load = Promise.all(senders.map(send));

    const stoppedAt: string[] = [];
    for (let round = 0; round < KILLS + STOPS; round++) {
      // A few blocks with txs, then the kill lands a few ms after the app's commit: while CometBFT
      // saves its state and hands the block to its indexer.
      const target = (await opened) + 3 + Math.floor(Math.random() * 3);
      await node!.waitForLine(new RegExp(`"height":${target},"appHash":"[0-9A-F]+","msg":"committed"`), 60_000);
      await sleep(Math.floor(Math.random() * 8));
      if (round % 4 === 3) {
        expect(await node!.kill("SIGTERM")).toBe(0);
        stoppedAt.push(`stop after ${target}`);
      } else {
        await node!.killGroup();
        stoppedAt.push(`kill after ${target}`);
      }
      opened = start();
    }
    await waitForHeight(url, (await opened) + 3, 60_000);
    stopLoad = true;
    await load;
    client.disconnect();
    const top = await latestHeight(url);
    // The indexer trails the newest block; two more and `top` is surely indexed.
    await waitForHeight(url, top + 2, 30_000);

    const missing: string[] = [];
    let txs = 0;
    for (let h = 1; h <= top; h++) {
      const [{ block }, results] = await Promise.all([rpc<BlockResult>(url, "block", { height: String(h) }), rpc<BlockResults>(url, "block_results", { height: String(h) })]);
      const blockTxs = block.data.txs ?? [];
      expect(results.txs_results ?? []).toHaveLength(blockTxs.length);
      for (const [i, tx] of blockTxs.entries()) {
        txs++;
        const hash = createHash("sha256").update(Buffer.from(tx, "base64")).digest("hex").toUpperCase();
        const found = await rpc<TxResult>(url, "tx", { hash: `0x${hash}` }).catch(() => undefined);
        if (found === undefined) missing.push(`height ${h} tx ${i} ${hash}`);
        else {
          expect(found.height).toBe(String(h));
          expect(found.tx_result.code).toBe(results.txs_results![i].code);
        }
      }
    }
    // The kills must have landed among txs for this to mean anything.
    expect(accepted).toBeGreaterThan(100);
    expect(txs).toBeGreaterThan(100);
    expect({ stoppedAt, missing }).toEqual({ stoppedAt, missing: [] });
  }, 180_000);
});
