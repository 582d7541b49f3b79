/**
 * `pegzone devnet` end to end, as `npm start` runs it (on free ports): the node, btcd in regtest
 * with its block producer, the relayer and the signer, all started by the one command. The dev
 * account pegs in with nothing but CLI commands (`tx peg register-address`, `dev btc-send`), then
 * the devnet is stopped with SIGTERM and started again: the balance, pegzone's light client and
 * btcd's chain (which btcd itself wipes at every start) all come back.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEV_BTC, devAccountAddress, DEVNET_BTC_RPC_PASSWORD, DEVNET_BTC_RPC_USER } from "../app/cli/devnet";
import { stopLeftoverBtcd } from "../app/node/btcd";
import { BitcoinRpcClient } from "../relayer/bitcoin-rpc";
import { CLI, freePortBlock, Proc, runCli, waitForHeight, until } from "./support/harness";

const DENOM = "peg/btc-regtest";

jest.setTimeout(120_000);

describe("pegzone devnet: the peg works out of the box and survives a restart", () => {
  let dir: string;
  let home: string;
  let devnet: Proc | undefined;
  let runs = 0;
  // free ports, taken in beforeAll: the node's P2P (RPC +1, ABCI +2) and btcd's RPC (P2P +1)
  let basePort: number;
  let btcRpcPort: number;
  let btcP2pPort: number;
  let node: string;
  let btcRpc: string;
  let btc: BitcoinRpcClient;
  const dev = devAccountAddress();

  const start = () => {
    devnet = new Proc(
      process.execPath,
      [CLI, "devnet", "--home", home, "--base-port", String(basePort), "--btc-rpc-port", String(btcRpcPort), "--btc-p2p-port", String(btcP2pPort), "--btc-block-time", "1"],
      join(dir, `devnet${runs++}.log`),
    );
    return devnet;
  };
  const stop = async () => {
    const code = await devnet?.kill("SIGTERM");
    devnet = undefined;
    return code;
  };
  const cli = (args: string[]) => JSON.parse(runCli([...args, "--node", node, "--output", "json"])) as Record<string, unknown>;
  const clientState = () => cli(["query", "peg", "client-state", "--mainchain", "btc-regtest"]) as { tip_height: string; freeze?: { frozen?: boolean } };
  const pegBalance = () => {
    const { balances } = cli(["query", "bank", "balances", dev]) as { balances: Array<{ denom: string; amount: string }> };
    return BigInt(balances.find((b) => b.denom === DENOM)?.amount ?? "0");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pegzone-devnet-"));
    home = join(dir, "home");
    basePort = await freePortBlock(10);
    btcRpcPort = await freePortBlock(2);
    btcP2pPort = btcRpcPort + 1;
    node = `http://127.0.0.1:${basePort + 1}`;
    btcRpc = `http://${DEVNET_BTC_RPC_USER}:${DEVNET_BTC_RPC_PASSWORD}@127.0.0.1:${btcRpcPort}`;
    btc = new BitcoinRpcClient({ url: `http://127.0.0.1:${btcRpcPort}`, user: DEVNET_BTC_RPC_USER, password: DEVNET_BTC_RPC_PASSWORD, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await stop();
    // a devnet that did not stop cleanly must not leave its btcd running
    if (home) await stopLeftoverBtcd(join(home, "btcd"));
    if (dir && !process.env.PEGZONE_KEEP_E2E) rmSync(dir, { recursive: true, force: true });
  });

  test("npm start's devnet: register, pay with `dev btc-send`, the relayer claims; SIGTERM and start again resumes all of it", async () => {
    const first = start();
    await first.waitForLine(/pegzone devnet/, 30_000);
    await waitForHeight(node, 1, 60_000);
    // 101 blocks are mined on a fresh chain and relayed to pegzone's light client
    await until("the light client to hold the first 101 blocks", async () => (Number(clientState().tip_height) >= 101 ? true : undefined));

    const registered = cli(["tx", "peg", "register-address", "--from", "dev", "--keyring-backend", "test", "--home", home]);
    expect(registered.code).toBe(0);
    const deposit = cli(["query", "peg", "deposit-address", dev]) as { address: string };

    const sent = JSON.parse(runCli(["dev", "btc-send", dev, "1btc", "--node", node, "--btc-rpc", btcRpc, "--output", "json"])) as { txid: string; to: string; block: string; amount: string };
    expect(sent.to).toBe(deposit.address);
    expect(sent.amount).toBe("100000000");
    expect((await btc.getRawTransactionVerbose(sent.txid)).blockhash).toBe(sent.block);

    // the block producer adds the confirmations, the relayer claims: 1 BTC less the 1000-sat peg-in fee
    const minted = await until("the deposit to be minted", async () => {
      const b = pegBalance();
      return b > 0n ? b : undefined;
    });
    expect(minted).toBe(100_000_000n - 1000n);
    expect((cli(["query", "peg", "deposit", `${sent.txid}:0`, "--mainchain", "btc-regtest"]) as { claimed: boolean }).claimed).toBe(true);

    // The banner's peg-out: the tx prints the withdrawal's id, and the withdrawal can be looked up by it.
    const withdrawn = cli(["tx", "peg", "withdraw", "50000000", DEV_BTC.address, "--from", "dev", "--keyring-backend", "test", "--home", home]) as { code: number; withdrawal_id: string };
    expect(withdrawn.code).toBe(0);
    const withdrawal = cli(["query", "peg", "withdrawal", withdrawn.withdrawal_id, "--mainchain", "btc-regtest"]) as { id: string; owner: string; amount: string; destination: string };
    expect(withdrawal).toMatchObject({ id: withdrawn.withdrawal_id, owner: dev, amount: "50000000", destination: DEV_BTC.address });
    const remaining = minted - 50_000_000n;
    expect(pegBalance()).toBe(remaining);

    const btcHeight = await btc.getBlockCount();
    const btcBest = await btc.getBlockHash(btcHeight);
    const clientTip = Number(clientState().tip_height);
    expect(await stop()).toBe(0);
    // btcd stopped with the devnet, and its blocks were kept
    await expect(btc.getBlockCount()).rejects.toMatchObject({ reason: "unreachable" });
    expect(existsSync(join(home, "btcd", "btcd.pid"))).toBe(false);
    expect(existsSync(join(home, "btcd", "blocks.dat"))).toBe(true);

    start();
    await until("btcd to answer again", async () => (await btc.getBlockCount()) >= btcHeight || undefined);
    // btcd wiped its regtest database at start; the devnet gave it the same chain back
    expect(await btc.getBlockHash(btcHeight)).toBe(btcBest);
    await waitForHeight(node, 1, 60_000);
    expect(pegBalance()).toBe(remaining);
    expect(Number(clientState().tip_height)).toBeGreaterThanOrEqual(clientTip);
    // and the relayer follows it on from there: the light client passes btcd's height from before, unfrozen
    await until("the light client to pass btcd's height from before the restart", async () => (Number(clientState().tip_height) > btcHeight ? true : undefined));
    const after = clientState();
    expect(after.freeze?.frozen ?? false).toBe(false);
    const header = cli(["query", "peg", "header", String(btcHeight), "--mainchain", "btc-regtest"]) as { hash: string; on_best_chain: boolean };
    expect(header).toMatchObject({ hash: btcBest, on_best_chain: true });
    expect(await stop()).toBe(0);
  });
});
