/**
 * Fuzzing a running node (one validator: the app and real CometBFT) through every public door at
 * once, with a seeded generator so any failure can be replayed:
 *  - raw ABCI frames on fresh connections to the app's ABCI address (random bytes, oversized and
 *    broken length prefixes, mutated Echo/Info/Query/CheckTx frames; frames that decode as
 *    consensus-connection requests are left out: whoever may write to the ABCI socket is trusted by
 *    design, which is why it is owner-only);
 *  - mutated signed transactions over CometBFT RPC (bit flips, truncation, insertion, splicing);
 *  - random ABCI queries (registered gRPC paths and made-up ones, random data, random heights);
 *  - and all the while valid bank sends whose effect is tracked exactly.
 * It checks that every answer carries a registered code (never the internal-error path), that the
 * node keeps committing blocks, that every valid tx was committed and is found by hash, and that
 * balances and the supply are exact.
 *
 *   PEGZONE_FUZZ_SECONDS (default 20)  how long to fuzz; docs/robustness.md gives the full-length run
 *   PEGZONE_FUZZ_SEED                  the generator's seed (printed at the end)
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { Request } from "cosmjs-types/tendermint/abci/types";
import { BinaryWriter } from "cosmjs-types/binary";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import { freePortBlock, rpc, sleep, Testnet, waitForHeight, type Proc } from "./support/harness";

const SECONDS = Number(process.env.PEGZONE_FUZZ_SECONDS ?? 20);
const SEED = Number(process.env.PEGZONE_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CHAIN_ID = "pegzone-fuzz";
/** The internal-error code the SDK gives a panic; fuzzed input must never reach it. */
const INTERNAL = 111222;

/** xorshift32: small, fast, and the same sequence for the same seed. */
function generator(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (n: number) => next() % n;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)];
  return { int, bytes, pick };
}
type Gen = ReturnType<typeof generator>;

function mutate(g: Gen, input: Uint8Array): Uint8Array {
  const b = Uint8Array.from(input);
  switch (g.int(5)) {
    case 0: // flip bits
      for (let i = 0, n = 1 + g.int(8); i < n && b.length > 0; i++) b[g.int(b.length)] ^= 1 << g.int(8);
      return b;
    case 1: // truncate
      return b.subarray(0, g.int(b.length + 1));
    case 2: // insert random bytes
      {
        const at = g.int(b.length + 1);
        return Uint8Array.from([...b.subarray(0, at), ...g.bytes(1 + g.int(16)), ...b.subarray(at)]);
      }
    case 3: // overwrite a run with an extreme byte
      {
        const at = g.int(Math.max(1, b.length));
        b.fill(g.pick([0x00, 0xff, 0x80, 0x7f]), at, at + 1 + g.int(8));
        return b;
      }
    default: // splice two copies
      return Uint8Array.from([...b.subarray(0, g.int(b.length + 1)), ...input.subarray(g.int(input.length + 1))]);
  }
}

function uvarint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}

function frame(request: Request): Uint8Array {
  const body = Request.encode(request, BinaryWriter.create()).finish();
  return Uint8Array.from([...uvarint(body.length), ...body]);
}

/** Whether bytes decode as a request only CometBFT's consensus connection may send. */
function isConsensusRequest(bytes: Uint8Array): boolean {
  try {
    let len = 0;
    let shift = 1;
    let i = 0;
    for (; i < bytes.length; i++) {
      len += (bytes[i] & 0x7f) * shift;
      shift *= 128;
      if (bytes[i] < 0x80) break;
    }
    const r = Request.decode(bytes.subarray(i + 1, i + 1 + len));
    return !!(r.initChain || r.prepareProposal || r.processProposal || r.finalizeBlock || r.commit || r.extendVote || r.verifyVoteExtension || r.offerSnapshot || r.applySnapshotChunk);
  } catch {
    return false;
  }
}

/** Writes `bytes` on a fresh connection to the app's ABCI address, reads for a moment, closes. */
async function sendRaw(proxyApp: string, bytes: Uint8Array): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket: Socket = proxyApp.startsWith("unix://")
      ? connect({ path: proxyApp.slice("unix://".length) })
      : connect({ host: new URL(proxyApp).hostname, port: Number(new URL(proxyApp).port) });
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.on("error", done);
    socket.on("close", done);
    socket.on("connect", () => socket.write(bytes, () => setTimeout(done, 20)));
    socket.on("data", () => undefined);
  });
}

const QUERY_PATHS = [
  "/cosmos.bank.v1beta1.Query/Balance",
  "/cosmos.bank.v1beta1.Query/AllBalances",
  "/cosmos.bank.v1beta1.Query/TotalSupply",
  "/cosmos.bank.v1beta1.Query/DenomMetadata",
  "/cosmos.auth.v1beta1.Query/Account",
  "/cosmos.auth.v1beta1.Query/Accounts",
  "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
  "/cosmos.tx.v1beta1.Service/Simulate",
  "/cosmos.tx.v1beta1.Service/GetTx",
  "/pegzone.peg.v1.Query/MainChains",
  "/pegzone.peg.v1.Query/Reserve",
  "/pegzone.peg.v1.Query/Withdrawals",
  "/pegzone.peg.v1.Query/DepositAddress",
  "/store/bank/key",
  "/store/peg/key",
  "/app/version",
];

interface Answer {
  code?: number;
  codespace?: string;
  log?: string;
}

/** Every refusal names a codespace and a registered code; nothing reaches the internal-error path. */
function checkAnswer(what: string, a: Answer, problems: string[]): void {
  const code = a.code ?? 0;
  if (code === 0) return;
  if (code === INTERNAL || !a.codespace) problems.push(`${what}: code ${a.codespace ?? "(no codespace)"}/${code}: ${(a.log ?? "").slice(0, 200)}`);
}

describe("fuzzing a running node", () => {
  let net: Testnet;
  let node: Proc | undefined;
  const senderKey = createHash("sha256").update("pegzone fuzz sender").digest();
  const senderPub = publicKeyFromPrivate(senderKey);
  const sender = toBech32(ADDRESS_PREFIX, addressFromPubkey(senderPub));
  const receiver = toBech32(ADDRESS_PREFIX, createHash("sha256").update("pegzone fuzz receiver").digest().subarray(0, 20));
  const FUNDS = 1_000_000_000n;

  beforeAll(async () => {
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", chainId: CHAIN_ID, accounts: [`${sender}=${FUNDS}upeg`] });
    node = net.startGroup(0);
    await waitForHeight(net.nodes[0].rpc, 2, 60_000);
  });

  afterAll(async () => {
    await node?.killGroup(); // the app and its CometBFT
    net?.remove();
  });

  test(`answers ${SECONDS} s of raw frames, mutated txs and random queries with registered codes, and keeps every valid tx exact`, async () => {
    const url = net.nodes[0].rpc;
    const home = net.nodes[0].home;
    const proxyApp = /^proxy_app\s*=\s*"([^"]+)"/m.exec(readFileSync(join(home, "config", "config.toml"), "utf8"))![1];
    const g = generator(SEED);
    const problems: string[] = [];
    const counts = { frames: 0, txs: 0, queries: 0, valid: 0 };
    const query = async (path: string, data: Uint8Array) => {
      const res = await rpc<{ response: { code?: number; log?: string; value?: string } }>(url, "abci_query", { path: JSON.stringify(path), data: "0x" + Buffer.from(data).toString("hex") });
      if ((res.response.code ?? 0) !== 0) throw new Error(`${path}: ${res.response.code} ${res.response.log}`);
      return Buffer.from(res.response.value ?? "", "base64");
    };
    const { account } = QueryAccountResponse.decode(await query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address: sender }).finish()));
    const accountNumber = BaseAccount.decode(account!.value).accountNumber;
    const balance = async (address: string) =>
      BigInt(QueryBalanceResponse.decode(await query("/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address, denom: "upeg" }).finish())).balance?.amount ?? "0");
    const fee = { amount: [{ denom: "upeg", amount: "500" }], gasLimit: 200_000n };
    const signedSend = (sequence: bigint, amount: bigint) =>
      signDirect(
        { messages: [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: sender, toAddress: receiver, amount: [{ denom: "upeg", amount: amount.toString() }] }).finish() }], fee, sequence, memo: "fuzz" },
        { pubkey: senderPub, sign: (b) => signSecp256k1(senderKey, b) },
        CHAIN_ID,
        accountNumber,
      );

    const templates = [frame({ echo: { message: "fuzz" } } as Request), frame({ info: { version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" } } as Request), frame({ query: { data: new Uint8Array([1, 2]), path: "/app/version", height: 0n, prove: false } } as Request), frame({ checkTx: { tx: signedSend(0n, 1n), type: 0 } } as Request)];
    const validHashes: string[] = [];
    let sequence = 0n;
    let sent = 0n;
    const deadline = Date.now() + SECONDS * 1000;
    while (Date.now() < deadline) {
      const which = g.int(10);
      if (which < 3) {
        // raw frames
        let bytes: Uint8Array;
        switch (g.int(4)) {
          case 0:
            bytes = g.bytes(1 + g.int(256));
            break;
          case 1:
            bytes = Uint8Array.from([...uvarint(g.int(2 ** 30)), ...g.bytes(g.int(64))]); // claims far more than it sends
            break;
          case 2:
            bytes = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]); // a varint over 64 bits
            break;
          default:
            bytes = mutate(g, g.pick(templates));
        }
        if (isConsensusRequest(bytes)) continue;
        await sendRaw(proxyApp, bytes);
        counts.frames++;
      } else if (which < 6) {
        // mutated txs
        const original = signedSend(sequence, 1n + BigInt(g.int(1000)));
        const tx = mutate(g, original);
        if (Buffer.from(tx).equals(Buffer.from(original))) continue; // a mutation that changed nothing
        const res = await rpc<Answer & { hash: string }>(url, "broadcast_tx_sync", { tx: "0x" + Buffer.from(tx).toString("hex") }).catch((e: Error) => ({ code: -1, codespace: "rpc", log: e.message, hash: "" }));
        // A mutation can leave a tx valid (e.g. a flipped bit in the memo is caught by the signature, not always elsewhere): only refusals are checked.
        if ((res.code ?? 0) === 0) {
          problems.push(`a mutated tx was accepted by CheckTx: ${Buffer.from(tx).toString("hex").slice(0, 80)}...`);
        } else if (res.code !== -1) checkAnswer("mutated tx", res, problems);
        counts.txs++;
      } else if (which < 9) {
        // random queries
        const path = g.int(5) === 0 ? "/" + Buffer.from(g.bytes(1 + g.int(20))).toString("base64") : g.pick(QUERY_PATHS);
        const params: Record<string, string> = { path: JSON.stringify(path), data: "0x" + Buffer.from(g.bytes(g.int(80))).toString("hex") };
        if (g.int(4) === 0) params.height = String(g.int(5) === 0 ? 2 ** 40 : g.int(100));
        if (g.int(4) === 0) params.prove = "true";
        const res = await rpc<{ response: Answer }>(url, "abci_query", params).catch((e: Error) => ({ response: { code: -1, codespace: "rpc", log: e.message } }));
        if (res.response.code !== -1) checkAnswer(`query ${path}`, res.response, problems);
        counts.queries++;
      } else {
        // a valid send, tracked exactly
        const amount = 1n + BigInt(g.int(1000));
        const tx = signedSend(sequence, amount);
        const res = await rpc<Answer & { hash: string }>(url, "broadcast_tx_sync", { tx: "0x" + Buffer.from(tx).toString("hex") });
        if ((res.code ?? 0) !== 0) problems.push(`a valid send was refused: ${res.codespace}/${res.code} ${res.log}`);
        else {
          validHashes.push(res.hash);
          sequence++;
          sent += amount;
          counts.valid++;
        }
      }
    }

    // Every valid send commits (findable by hash, code 0); the node is still producing blocks.
    for (const hash of validHashes) {
      let found: { tx_result: { code: number } } | undefined;
      for (let i = 0; i < 100 && !found; i++) found = await rpc<{ tx_result: { code: number } }>(url, "tx", { hash: "0x" + hash }).catch(() => sleep(100).then(() => undefined));
      if (!found) problems.push(`valid tx ${hash} was never committed`);
      else if (found.tx_result.code !== 0) problems.push(`valid tx ${hash} failed in its block with ${found.tx_result.code}`);
    }
    const status = await rpc<{ sync_info: { latest_block_height: string } }>(url, "status");
    await waitForHeight(url, Number(status.sync_info.latest_block_height) + 2, 30_000);

    console.log(`fuzz seed ${SEED}: ${counts.frames} raw frames, ${counts.txs} mutated txs, ${counts.queries} queries, ${counts.valid} valid sends in ${SECONDS} s; ${problems.length} problems`);
    expect(problems).toEqual([]);
    // Balances are exact: the sender paid what it sent plus its fees, nothing else moved.
    expect(await balance(receiver)).toBe(sent);
    expect(await balance(sender)).toBe(FUNDS - sent - 500n * BigInt(counts.valid));
    expect(counts.frames + counts.txs + counts.queries).toBeGreaterThan(SECONDS * 10);
    expect(node!.child.exitCode).toBeNull();
    // The app logged no internal error for any of it.
    expect(net.log(0)).not.toMatch(/"level":50[^\n]*(panic|internal)/i);
  });
});
