/**
 * `pegzone devnet` end to end, as `npm start` runs it (on free ports): the node, btcd in regtest
 * with its block producer, a local Cosmos Hub (gaiad), the relayer and the signer, all started by
 * the one command. The dev account pegs in with nothing but CLI commands (`tx peg register-address`,
 * `dev btc-send`), and from the Hub with the `gaiad tx bank send` line the banner prints (the Hub is
 * registered in genesis as hub-local; the devnet's relayer claims the deposit). Then the devnet is
 * stopped with SIGTERM and started again: the balances, pegzone's light clients, btcd's chain (which
 * btcd itself wipes at every start) and the Hub's chain all come back, and both relayers carry on.
 * After the restart the banner's Hub peg-out is paid to the dev account on the Hub.
 * Without .bin/gaiad the devnet runs without the Hub (it warns) and the Hub checks are skipped.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DEV_BTC, devAccountAddress, DEVNET_BTC_RPC_PASSWORD, DEVNET_BTC_RPC_USER } from "../app/cli/devnet";
import { DEVNET_HUB_MAINCHAIN, devHubAddress } from "../app/cli/devnet-hub";
import { stopLeftoverBtcd } from "../app/node/btcd";
import { runGaiad, stopLeftoverGaiad } from "../app/node/gaiad";
import { BitcoinRpcClient } from "../relayer/bitcoin-rpc";
import { CometRpcClient } from "../relayer/cometbft-rpc";
import { GAIAD_MISSING, haveGaiad } from "./support/gaiad";
import { CLI, freePortBlock, Proc, runCli, waitForHeight, until } from "./support/harness";

const DENOM = "peg/btc-regtest";
const HUB_DENOM = `peg/${DEVNET_HUB_MAINCHAIN}`;
/** What the banner's gaiad command sends, less hub-local's peg_in_fee (100). */
const HUB_DEPOSIT = 10_000_000n;
const HUB_MINTED = HUB_DEPOSIT - 100n;
const WITH_HUB = haveGaiad();
if (!WITH_HUB) console.warn(`test/devnet.test.ts: the local Cosmos Hub checks are skipped: ${GAIAD_MISSING}`);

jest.setTimeout(180_000);

describe("pegzone devnet: the peg works out of the box and survives a restart", () => {
  let dir: string;
  let home: string;
  let devnet: Proc | undefined;
  let runs = 0;
  // free ports, taken in beforeAll: the node's P2P (RPC +1, ABCI +2) and btcd's RPC (P2P +1)
  let basePort: number;
  let btcRpcPort: number;
  let btcP2pPort: number;
  let hubRpcPort: number;
  let hubP2pPort: number;
  let hubRpc: CometRpcClient;
  let node: string;
  let btcRpc: string;
  let btc: BitcoinRpcClient;
  const dev = devAccountAddress();

  const start = () => {
    devnet = new Proc(
      process.execPath,
      [CLI, "devnet", "--home", home, "--base-port", String(basePort), "--btc-rpc-port", String(btcRpcPort), "--btc-p2p-port", String(btcP2pPort), "--btc-block-time", "1",
        "--hub-rpc-port", String(hubRpcPort), "--hub-p2p-port", String(hubP2pPort)],
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
  const pegBalance = (denom = DENOM) => {
    const { balances } = cli(["query", "bank", "balances", dev]) as { balances: Array<{ denom: string; amount: string }> };
    return BigInt(balances.find((b) => b.denom === denom)?.amount ?? "0");
  };
  const hubClientTip = () => Number((cli(["query", "peg", "client-state", "--mainchain", DEVNET_HUB_MAINCHAIN]) as { tip_height: string }).tip_height);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pegzone-devnet-"));
    home = join(dir, "home");
    basePort = await freePortBlock(10);
    btcRpcPort = await freePortBlock(2);
    btcP2pPort = btcRpcPort + 1;
    node = `http://127.0.0.1:${basePort + 1}`;
    btcRpc = `http://${DEVNET_BTC_RPC_USER}:${DEVNET_BTC_RPC_PASSWORD}@127.0.0.1:${btcRpcPort}`;
    btc = new BitcoinRpcClient({ url: `http://127.0.0.1:${btcRpcPort}`, user: DEVNET_BTC_RPC_USER, password: DEVNET_BTC_RPC_PASSWORD, timeoutMs: 10_000 });
    hubRpcPort = await freePortBlock(2);
    hubP2pPort = hubRpcPort + 1;
    hubRpc = new CometRpcClient({ url: `http://127.0.0.1:${hubRpcPort}`, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await stop();
    // a devnet that did not stop cleanly must not leave its btcd running
    if (home) await stopLeftoverBtcd(join(home, "btcd"));
    if (home) await stopLeftoverGaiad(join(home, "gaiad"));
    if (dir && !process.env.PEGZONE_KEEP_E2E) rmSync(dir, { recursive: true, force: true });
  });

  test("npm start's devnet: register, pay with `dev btc-send`, deposit from the Hub with the banner's gaiad command, the relayer claims both; SIGTERM and start again resumes all of it", async () => {
    const first = start();
    // the banner's Hub deposit line, printed (after the Hub's first block) with the rest of the banner
    const hubLine = WITH_HUB ? first.waitForLine(/^\s+\S*gaiad tx bank send /, 90_000) : undefined;
    await first.waitForLine(/pegzone devnet/, 90_000);
    await waitForHeight(node, 1, 60_000);

    // The Hub side first, so that its deposit is claimed while the Bitcoin one below is made.
    let hubTx: string | undefined;
    if (hubLine !== undefined) {
      const { mainchains } = cli(["query", "peg", "mainchains"]) as { mainchains: Array<{ id: string; client_type: string; max_fee: string; federation: { threshold: number; members: unknown[] } }> };
      const hubChain = mainchains.find((m) => m.id === DEVNET_HUB_MAINCHAIN);
      expect(hubChain).toMatchObject({ client_type: "tendermint", federation: { threshold: 1 } });
      expect(hubChain?.federation.members).toHaveLength(1);
      // the banner's command pays the federation's account with the dev account as the memo, as `query peg deposit-address` says
      const target = cli(["query", "peg", "deposit-address", dev, "--mainchain", DEVNET_HUB_MAINCHAIN]) as { address: string; memo: string };
      expect(target.memo).toBe(dev);
      const [bin, ...args] = (await hubLine).trim().split(/\s+/);
      expect(args.slice(0, 6)).toEqual(["tx", "bank", "send", "dev", target.address, `${HUB_DEPOSIT}stake`]);
      expect(args.join(" ")).toContain(`--note ${dev} `);
      const { stdout } = await promisify(execFile)(bin, [...args, "--output", "json"], { timeout: 60_000 });
      const sent = JSON.parse(stdout) as { code: number; txhash: string; raw_log: string };
      expect(sent).toMatchObject({ code: 0 });
      hubTx = sent.txhash;
    }
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

    // the Hub deposit, claimed by the devnet's relayer: the amount less hub-local's peg-in fee
    let hubHeight = 0n;
    if (hubTx !== undefined) {
      await until("the Hub deposit to be minted", async () => (pegBalance(HUB_DENOM) > 0n ? true : undefined));
      expect(pegBalance(HUB_DENOM)).toBe(HUB_MINTED);
      expect(cli(["query", "peg", "deposit", `${hubTx}:0`, "--mainchain", DEVNET_HUB_MAINCHAIN])).toMatchObject({ claimed: true });
      hubHeight = (await hubRpc.status()).latestHeight;
    }

    const btcHeight = await btc.getBlockCount();
    const btcBest = await btc.getBlockHash(btcHeight);
    const clientTip = Number(clientState().tip_height);
    expect(await stop()).toBe(0);
    // btcd stopped with the devnet, and its blocks were kept
    await expect(btc.getBlockCount()).rejects.toMatchObject({ reason: "unreachable" });
    expect(existsSync(join(home, "btcd", "btcd.pid"))).toBe(false);
    expect(existsSync(join(home, "btcd", "blocks.dat"))).toBe(true);
    // and so did gaiad
    if (WITH_HUB) {
      await expect(hubRpc.status()).rejects.toThrow();
      expect(existsSync(join(home, "gaiad", "gaiad.pid"))).toBe(false);
    }

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
    if (WITH_HUB) {
      // the Hub carried on from its own chain, and the relayer follows it past its height from before
      expect((await hubRpc.status()).latestHeight).toBeGreaterThanOrEqual(hubHeight);
      expect(pegBalance(HUB_DENOM)).toBe(HUB_MINTED);
      await until("hub-local's light client to pass the Hub's height from before the restart", async () => (hubClientTip() > Number(hubHeight) ? true : undefined));

      // The banner's Hub peg-out, paid by the restarted relayer and signer: the amount less the release's fee
      // (a 1-of-1 MsgSend: 150,000 gas at 1 stake per gas).
      const hubDestination = devHubAddress();
      const hubBalance = async () => {
        const out = JSON.parse(await runGaiad(["query", "bank", "balances", hubDestination, "--node", `tcp://127.0.0.1:${hubRpcPort}`, "--output", "json"])) as { balances?: Array<{ denom: string; amount: string }> };
        return BigInt(out.balances?.find((c) => c.denom === "stake")?.amount ?? "0");
      };
      const before = await hubBalance();
      const out = cli(["tx", "peg", "withdraw", "5000000", hubDestination, "--mainchain", DEVNET_HUB_MAINCHAIN, "--from", "dev", "--keyring-backend", "test", "--home", home]) as { code: number; withdrawal_id: string };
      expect(out.code).toBe(0);
      const paid = await until("the Hub withdrawal to be paid", async () => {
        const w = cli(["query", "peg", "withdrawal", out.withdrawal_id, "--mainchain", DEVNET_HUB_MAINCHAIN]) as { status: string; paid: string };
        return w.status === "WITHDRAWAL_STATUS_COMPLETED" ? BigInt(w.paid) : undefined;
      }, 120_000);
      expect(paid).toBe(5_000_000n - 150_000n);
      expect(await hubBalance()).toBe(before + paid);
      expect(pegBalance(HUB_DENOM)).toBe(HUB_MINTED - 5_000_000n);
    }
    expect(await stop()).toBe(0);
  });
});
