import { DirectSecp256k1HdWallet, DirectSecp256k1Wallet, Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes, GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { freePortBlock, header, latestHeight, sleep, Testnet, waitForHeight, type Proc } from "./support/harness";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { Home, readSignerKey } from "../app/node/home";
import { pegzone } from "../proto";

const PROPOSE = "/pegzone.validators.v1.MsgPropose";


/** Heights and app hashes the app logged as committed, across all its runs. */
function committedHashes(log: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of log.split("\n")) {
    if (!line.includes('"committed"')) continue;
    const e = JSON.parse(line) as { height: number; appHash: string };
    const seen = out.get(e.height);
    // A block replayed after a crash must commit to the very same state.
    if (seen !== undefined && seen !== e.appHash) throw new Error(`height ${e.height} committed twice with different app hashes`);
    out.set(e.height, e.appHash);
  }
  return out;
}

describe("crash safety: kill -9 of the app at any moment", () => {
  let net: Testnet;
  let app: Proc | undefined;
  let comet: Proc | undefined;
  let stopLoad = false;

  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    const faucet = (await wallet.getAccounts())[0].address;
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "150ms", accounts: [`${faucet}=1000000000000upeg`] });
  });

  afterAll(async () => {
    stopLoad = true;
    await app?.kill("SIGKILL");
    await comet?.kill("SIGKILL");
    net?.remove();
  });

  /** PEGZONE_SOAK_ROUNDS: the plan below, this many times (the full soak in docs/robustness.md runs 3: 36 kills). */
  const rounds = Number(process.env.PEGZONE_SOAK_ROUNDS ?? 1);
  const plan = ["finalize:2", "commit:2", "committed:2", "random", "finalize:4", "commit:3", "committed:5", "random", "finalize:1", "commit:1", "committed:1", "random"];
  test(`restarts ${plan.length * rounds} times, including mid-FinalizeBlock and around the commit batch, without losing or forking a block`, async () => {
    const url = net.nodes[0].rpc;
    // Keep txs flowing so blocks change state; failures while the node is down are expected.
    const load = (async () => {
      const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
      const [{ address }] = await wallet.getAccounts();
      while (!stopLoad) {
        try {
          const client = await SigningStargateClient.connectWithSigner(url, wallet, { gasPrice: GasPrice.fromString("0.0025upeg") });
          while (!stopLoad) await client.sendTokens(address, "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56", [{ denom: "upeg", amount: "7" }], "auto");
        } catch {
          await sleep(300);
        }
      }
    })();

    // Validator changes in flight too: the one validator's operator flips its own power between 10
    // and 11 (its own approval passes it), so blocks keep carrying validator updates to CometBFT.
    let flips = 0;
    const powerFlips = (async () => {
      const wallet = await DirectSecp256k1Wallet.fromKey(readSignerKey(new Home(net.nodes[0].home)).privateKey, "peg");
      const [{ address }] = await wallet.getAccounts();
      const registry = new Registry([...defaultRegistryTypes, [PROPOSE, pegzone.validators.v1.MsgPropose]]);
      let power = 10;
      while (!stopLoad) {
        try {
          const client = await SigningStargateClient.connectWithSigner(url, wallet, { registry, gasPrice: GasPrice.fromString("0.0025upeg") });
          while (!stopLoad) {
            const next = power === 10 ? 11 : 10;
            const res = await client.signAndBroadcast(address, [{ typeUrl: PROPOSE, value: { proposer: address, action: { setPower: { operator: address, power: next } }, override: false } }], "auto");
            if (res.code === 0) {
              power = next;
              flips++;
            }
            await sleep(400);
          }
        } catch {
          await sleep(300);
        }
      }
    })();

    // Planned crashes kill the app from inside at an exact phase (as kill -9 would); "random" kills it from outside.
    const plans = Array.from({ length: rounds }, () => plan).flat();
    let lastCommitted = 0;
    let changes = 0;
    for (const plan of plans) {
      app = net.startApp(0, plan === "random" ? [] : ["--unsafe-crash-at", plan]);
      const opened = JSON.parse(await app.waitForLine(/application state opened/, 30_000)) as { height: number };
      // Nothing the app committed before the kill is lost.
      expect(opened.height).toBeGreaterThanOrEqual(lastCommitted);
      comet = net.startComet(0);
      if (plan === "random") {
        await waitForHeight(url, opened.height + 2, 60_000);
        // At least one committed state change per random round, whatever the background load manages.
        const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
        const client = await SigningStargateClient.connectWithSigner(url, wallet, { gasPrice: GasPrice.fromString("0.0025upeg") });
        const sent = await client.sendTokens((await wallet.getAccounts())[0].address, "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56", [{ denom: "upeg", amount: "1" }], "auto").catch(() => undefined);
        client.disconnect();
        if (sent?.code === 0) changes++;
        await sleep(Math.floor(Math.random() * 1500));
        await app.kill("SIGKILL");
      } else {
        expect(await app.exited).toBeNull(); // died of SIGKILL at the planned phase
      }
      // CometBFT halts when its app disappears; stop it before the next round.
      const timer = setTimeout(() => void comet?.kill("SIGKILL"), 5_000);
      await comet.kill("SIGTERM");
      clearTimeout(timer);
      lastCommitted = Math.max(0, ...committedHashes(net.logFile("app0.log")).keys());
    }

    app = net.startApp(0, []);
    comet = net.startComet(0);
    await comet.waitForLine(/Completed ABCI Handshake/, 30_000);
    const top = await waitForHeight(url, lastCommitted + 3, 60_000);
    stopLoad = true;
    await load;
    await powerFlips;

    const cometLog = net.logFile("comet0.log");
    // Halts when the app vanishes mid-block are expected; a state mismatch never is.
    expect(cometLog).not.toMatch(/AppHash does not match|wrong Block\.Header\.AppHash|app block height .* is higher than/);
    expect(top).toBeGreaterThan(plans.length);
    const committed = committedHashes(net.logFile("app0.log"));
    // A kill between the commit batch and its log line leaves that height unlogged; every logged one must match.
    let unlogged = 0;
    for (let h = 2; h <= top; h++) {
      const logged = committed.get(h - 1);
      if (logged === undefined) unlogged++;
      else expect(logged).toBe((await header(url, h)).app_hash);
    }
    expect(unlogged).toBeLessThanOrEqual(plans.length);
    expect(await latestHeight(url)).toBeGreaterThanOrEqual(top);
    // The txs sent meanwhile really changed state between crashes.
    expect(changes).toBeGreaterThanOrEqual(2);
    expect(new Set(committed.values()).size).toBeGreaterThan(changes);
    // the validator's power changed across the crashes, and CometBFT holds what the module last gave it
    expect(flips).toBeGreaterThanOrEqual(2);
    const settled = (await latestHeight(url)) - 3;
    const res = await fetch(`${url}/abci_query?path=%22/pegzone.validators.v1.Query/Validators%22&height=${settled}`);
    const value = ((await res.json()) as { result: { response: { value: string } } }).result.response.value;
    const [mine] = pegzone.validators.v1.QueryValidatorsResponse.decode(Buffer.from(value, "base64")).validators;
    const cometSet = (await (await fetch(`${url}/validators?height=${settled + 2}`)).json()) as { result: { validators: Array<{ voting_power: string }> } };
    expect(cometSet.result.validators.map((v) => Number(v.voting_power))).toEqual([Number(mine.power)]);
  }, 600_000);
});
