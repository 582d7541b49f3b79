/**
 * Issue 16, defect 1, end to end: public RPC must not be able to grow the app's memory. A node (the
 * app and real CometBFT) receives thousands of large txs that CheckTx refuses (a memo over the limit:
 * sdk 12, before any fee is charged) over broadcast_tx_sync, while it keeps producing blocks. The app
 * process's resident memory must stay under RSS_BOUND_MIB the whole time (docs/performance.md, "Memory
 * under public input"), and a valid tx sent afterwards must be committed.
 *
 *   PEGZONE_MEMORY_TXS (default 2000)  how many refused txs to send
 */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import { freePortBlock, latestHeight, rpc, sleep, Testnet, until, waitForHeight } from "./support/harness";

const CHAIN_ID = "pegzone-memory";
const TX_COUNT = Number(process.env.PEGZONE_MEMORY_TXS ?? 2000);
/** Under CometBFT's default max_tx_bytes (1 MB), and in hex under its RPC's max_header_bytes (1 MiB). */
const MEMO_BYTES = 400_000;
const IN_FLIGHT = 16;
const RSS_BOUND_MIB = 400;

const privateKey = createHash("sha256").update("memory budget sender").digest();
const pubkey = publicKeyFromPrivate(privateKey);
const sender = toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey));

function send(sequence: bigint, memo: string, fee = "200"): Uint8Array {
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: sender, toAddress: sender, amount: [{ denom: "upeg", amount: "1" }] }).finish() };
  return signDirect(
    { messages: [msg], memo, fee: { amount: [{ denom: "upeg", amount: fee }], gasLimit: 200_000n }, sequence },
    { pubkey, sign: (b) => signSecp256k1(privateKey, b) },
    CHAIN_ID,
    0n,
  );
}

interface BroadcastResult {
  code: number;
  codespace: string;
  log: string;
  hash: string;
}

/**
 * The i-th refused tx, hex: one signed tx whose memo is MEMO_BYTES of "m", with i written over nine
 * memo bytes. Every tx is then new to CometBFT's mempool cache; only the first one's signature is
 * right, which does not matter: the app refuses the memo before it looks at signatures.
 */
function refusedTxs(): (i: number) => string {
  const tx = Buffer.from(send(0n, "m".repeat(MEMO_BYTES)));
  const at = tx.indexOf("m".repeat(64));
  const hex = tx.toString("hex");
  return (i) => hex.slice(0, 2 * at) + Buffer.from(String(i).padStart(9, "0")).toString("hex") + hex.slice(2 * at + 18);
}

/** broadcast_tx_sync as a GET with the tx in hex: CometBFT parses that much faster than a JSON body. */
async function broadcast(url: string, tx: Uint8Array | string): Promise<BroadcastResult> {
  const hex = typeof tx === "string" ? tx : Buffer.from(tx).toString("hex");
  const json = (await (await fetch(`${url}/broadcast_tx_sync?tx=0x${hex}`)).json()) as { result?: BroadcastResult; error?: unknown };
  if (json.result === undefined) throw new Error(`broadcast_tx_sync: ${JSON.stringify(json.error)}`);
  return json.result;
}

/** Resident memory of a process, MiB (VmRSS in /proc/<pid>/status). */
function rssMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!kib) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib[1]) / 1024;
}

describe("memory under a flood of large refused txs", () => {
  let net: Testnet;

  beforeAll(async () => {
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", chainId: CHAIN_ID, accounts: [`${sender}=1000000000upeg`] });
    net.start(0);
    await waitForHeight(net.nodes[0].rpc, 2, 60_000);
  }, 90_000);

  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  it(`keeps the app under ${RSS_BOUND_MIB} MiB while ${TX_COUNT} txs of ${MEMO_BYTES / 1000} kB are refused, and keeps committing`, async () => {
    const url = net.nodes[0].rpc;
    const pid = net.procs[0]!.child.pid!;
    const before = rssMiB(pid);
    const startHeight = await latestHeight(url);
    let peak = before;
    let height = startHeight;
    let heightSince = Date.now();
    let longestStallMs = 0;
    let sampling = true;
    const sampleRss = async () => {
      for (; sampling; await sleep(100)) peak = Math.max(peak, rssMiB(pid));
    };
    const watchHeight = async () => {
      for (; sampling; await sleep(250)) {
        const now = await latestHeight(url);
        if (now > height) [height, heightSince] = [now, Date.now()];
        longestStallMs = Math.max(longestStallMs, Date.now() - heightSince);
      }
    };
    const samplers = Promise.all([sampleRss(), watchHeight()]);

    const refused = refusedTxs();
    const started = Date.now();
    const codes = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < TX_COUNT; i = next++) {
          const res = await broadcast(url, refused(i));
          const key = `${res.codespace}/${res.code}`;
          codes.set(key, (codes.get(key) ?? 0) + 1);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    sampling = false;
    await samplers;
    const endHeight = await latestHeight(url);
    const after = rssMiB(pid);
    console.log(
      `${TX_COUNT} refused txs of ${MEMO_BYTES} bytes in ${seconds.toFixed(1)} s; app RSS ${before.toFixed(0)} MiB before, ` +
        `${peak.toFixed(0)} MiB at most, ${after.toFixed(0)} MiB after; heights ${startHeight} → ${endHeight}, longest wait for a block ${longestStallMs} ms`,
    );

    expect(Object.fromEntries(codes)).toEqual({ "sdk/12": TX_COUNT });
    expect(peak).toBeLessThan(RSS_BOUND_MIB);
    // timeout_commit is 200 ms: blocks kept coming all along.
    expect(longestStallMs).toBeLessThan(5_000);

    const valid = await broadcast(url, send(0n, "after the flood", "500"));
    expect([valid.codespace, valid.code]).toEqual(["", 0]);
    const committed = await until("the valid tx to be committed", async () => {
      const found = await rpc<{ height: string; tx_result: { code: number } }>(url, "tx", { hash: `0x${valid.hash}` });
      return found.tx_result.code === 0 ? Number(found.height) : undefined;
    }, 30_000);
    expect(committed).toBeGreaterThan(endHeight);
  }, 180_000);
});
