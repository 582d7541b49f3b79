/**
 * Hub deposits end to end, no mocks: a real local Cosmos Hub (gaiad v25.1.1), a real pegzone (one
 * validator) and `pegzone relayer` as a child process, everything through the `pegzone` and `gaiad`
 * commands:
 *  - the Hub is registered with a 2-of-3 federation of pegzone signer keys (the validator's
 *    config/signer_key.json and two more); `query peg deposit-address` answers the federation's
 *    account and the memo, and the account is exactly what `gaiad keys add fed --multisig a,b,c
 *    --multisig-threshold 2` makes of the same three public keys;
 *  - Bob's `gaiad tx bank send ... --note <his peg1 address>` is claimed by the relayer: he holds the
 *    amount less peg_in_fee in peg/<hub id>, and pegzone's reserve equals the federation account's
 *    balance as gaiad shows it;
 *  - a send whose memo is not a pegzone address is not minted, and the relayer, which logs the skip,
 *    goes on to claim the next deposit;
 *  - a Hub tx that failed in its block (more than the sender holds: CheckTx does not run messages,
 *    so gaiad includes it with code 5) is not minted: the relayer never sees it (a failed tx emits no
 *    transfer), and claimed by hand pegzone refuses it;
 *  - the relayer killed and restarted claims nothing twice; claiming Bob's tx again by hand with
 *    `tx peg claim --tx-hash --rpc` is refused with the peg's code 10.
 * Skipped, saying why, when .bin/gaiad has not been built.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSignerKey } from "../chain/keys/key-files";
import { signerAccount } from "../app/cli/genesis";
import { GAIAD_MISSING, haveGaiad, LocalHub } from "./support/gaiad";
import { CLI, freePortBlock, Proc, runCliAsync, runCliStatusAsync, Testnet, until, waitForHeight } from "./support/harness";

jest.setTimeout(180_000);

const MAINCHAIN = "hub-local";
const PEGGED = `peg/${MAINCHAIN}`;
const PEG_IN_FEE = 100n;
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface ReserveJson {
  total: string;
  supply: string;
  entries: unknown[];
}

if (!haveGaiad()) {
  console.warn(`test/hub-peg-in.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`Hub deposits: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("Hub deposits: gaiad bank sends to the federation's multisig account, claimed by the relayer", () => {
  let hub: LocalHub;
  let net: Testnet;
  let url: string;
  let keys: string;
  let relayer: Proc | undefined;
  let operator: string;
  let bob: string;
  let carol: string;
  let fed: string;
  let bobTx: string;
  const signerKeys: Uint8Array[] = [];
  const started = Date.now();
  const timing: Record<string, number> = {};
  const lap = (name: string) => (timing[name] = (Date.now() - started) / 1000);

  const keyring = () => ["--home", keys, "--keyring-backend", "test"];
  const peg = async (args: string[]) => JSON.parse(await runCliAsync(["query", "peg", ...args, "--mainchain", MAINCHAIN, "--node", url, "--output", "json"])) as Record<string, unknown>;
  const pegged = async (address: string) => {
    const { balances } = JSON.parse(await runCliAsync(["query", "bank", "balances", address, "--node", url, "--output", "json"])) as { balances: Array<{ denom: string; amount: string }> };
    return BigInt(balances.find((c) => c.denom === PEGGED)?.amount ?? "0");
  };
  const reserve = async () => (await peg(["reserve"])) as unknown as ReserveJson;
  const tip = async () => Number((await peg(["client-state"])).tip_height);
  const relayerLog = () => net.logFile("relayer.log");
  const startRelayer = () => {
    relayer = new Proc(process.execPath, [CLI, "relayer", "--mainchain", MAINCHAIN, "--cometbft-rpc", hub.rpcUrl, "--from", "relayer", ...keyring(), "--node", url, "--poll-interval", "300"], join(net.dir, "relayer.log"));
  };
  const stopRelayer = async () => {
    await relayer?.kill("SIGKILL");
    relayer = undefined;
  };
  const claimByHand = (txHash: string) =>
    runCliStatusAsync(["tx", "peg", "claim", "--mainchain", MAINCHAIN, "--tx-hash", txHash, "--rpc", hub.rpcUrl, "--from", "operator", ...keyring(), "--node", url, "--output", "json"]);

  beforeAll(async () => {
    hub = await LocalHub.create({ timeoutCommit: "200ms" });
    await hub.start(3);
    keys = mkdtempSync(join(tmpdir(), "pegzone-hub-peg-in-keys-"));
    const add = async (name: string) => (JSON.parse(await runCliAsync(["keys", "add", name, ...keyring(), "--output", "json"])) as { address: string }).address;
    const relayerAddress = await add("relayer");
    operator = await add("operator");
    bob = await add("bob");
    carol = await add("carol");
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${relayerAddress}=1000000000upeg`, `${operator}=1000000000upeg`] });
    url = net.nodes[0].rpc;
    // The federation: the validator's own signer key and two more made as `pegzone init` makes them.
    const own = JSON.parse(readFileSync(join(net.nodes[0].home, "config", "signer_key.json"), "utf8")) as { pub_key: string };
    signerKeys.push(Uint8Array.from(Buffer.from(own.pub_key, "hex")), generateSignerKey().publicKey, generateSignerKey().publicKey);
    lap("hub and homes");
  });

  afterAll(async () => {
    await stopRelayer();
    await net?.stopAll();
    net?.remove();
    await hub?.remove();
    if (keys) rmSync(keys, { recursive: true, force: true });
    console.log(`hub-peg-in timings (s since start): ${JSON.stringify(timing)}`);
  });

  test("the Hub registered with a 2-of-3 federation of signer keys; its account is gaiad's --multisig of the same keys", async () => {
    const members = signerKeys.map((k) => `${hexOf(k)}:1:${signerAccount(k)}`).join(",");
    const added = await runCliStatusAsync(["genesis", "add-mainchain", MAINCHAIN, "--kind", "tendermint", "--home", net.nodes[0].home, "--trusted-rpc", hub.rpcUrl,
      "--denom", "stake", "--bech32-prefix", "cosmos", "--members", members, "--threshold", "2", "--authority", operator]);
    if (added.status !== 0) throw new Error(`genesis add-mainchain failed: ${added.stderr}${added.stdout}`);
    net.start(0);
    await waitForHeight(url, 2, 60_000);

    const answer = await peg(["deposit-address", bob]);
    fed = String(answer.address);
    expect(fed).toMatch(/^cosmos1[02-9ac-hj-np-z]{38}$/);
    // gaiad's own multisig of the same public keys, imported into its keyring.
    const names: string[] = [];
    for (const [i, key] of signerKeys.entries()) {
      await hub.importPubkey(`member${i}`, key);
      names.push(`member${i}`);
    }
    expect(await hub.addMultisig("fed", names, 2)).toBe(fed);
    // The memo to send with; another recipient, the same account: only the memo differs.
    expect(answer.memo).toBe(bob);
    expect(await peg(["deposit-address", carol])).toMatchObject({ address: fed, memo: carol });
    lap("registered");
  });

  test("Bob's bank send with his pegzone address as the memo is claimed by the relayer: amount − peg_in_fee, the reserve is the account's balance", async () => {
    const sent = await hub.sendWithMemo({ to: fed, amount: 1_000_000n, memo: bob });
    expect(sent.code).toBe(0);
    bobTx = sent.txhash;
    // Started once the Hub is past H+1: its first round skips from the trusted header to the Hub's
    // latest, so H and H+1 are relayed for the claim below the client's latest height.
    await hub.waitForHeight(sent.height + 3n);
    startRelayer();
    const relayerStarted = Date.now();
    await until("Bob's pegged coins", async () => ((await pegged(bob)) > 0n ? true : undefined), 60_000);
    expect(await pegged(bob)).toBe(1_000_000n - PEG_IN_FEE);
    expect(await peg(["deposit", `${bobTx}:0`])).toMatchObject({ claimed: true });
    const r = await reserve();
    expect(BigInt(r.total)).toBe(await hub.balance(fed));
    expect(r.total).toBe("1000000");
    expect(r.supply).toBe(String(1_000_000n - PEG_IN_FEE));
    expect(relayerLog()).toMatch(new RegExp(`"deposit":"${bobTx}:0".*"msg":"claimed deposit"`));
    for (const h of [sent.height, sent.height + 1n]) expect(relayerLog()).toMatch(new RegExp(`"height":"${h}".*"msg":"relayed a header a deposit claim needs"`));
    console.log(`claimed ${bobTx} (Hub height ${sent.height}) ${((Date.now() - relayerStarted) / 1000).toFixed(1)} s after the relayer started`);
    lap("claimed");
  });

  test("a send whose memo is not a pegzone address is not minted; the relayer logs it and claims the next deposit", async () => {
    const stray = await hub.sendWithMemo({ to: fed, amount: 500_000n, memo: "not a pegzone address" });
    expect(stray.code).toBe(0);
    await until("the relayer's skip of the stray deposit", async () => (new RegExp(`${stray.txhash}:0.*memo is not a pegzone address`).test(relayerLog()) ? true : undefined), 30_000);
    const next = await hub.sendWithMemo({ to: fed, amount: 2_000_000n, memo: carol });
    expect(next.code).toBe(0);
    await until("Carol's pegged coins", async () => ((await pegged(carol)) > 0n ? true : undefined), 60_000);
    expect(await pegged(carol)).toBe(2_000_000n - PEG_IN_FEE);
    expect(await pegged(bob)).toBe(1_000_000n - PEG_IN_FEE);
    expect(await peg(["deposit", `${stray.txhash}:0`])).toMatchObject({ claimed: false });
    // The stray coins sit in the federation's account but back nothing on pegzone.
    const r = await reserve();
    expect(r.total).toBe("3000000");
    expect(await hub.balance(fed)).toBe(3_500_000n);
    expect(r.supply).toBe(String(3_000_000n - 2n * PEG_IN_FEE));
    lap("stray memo");
  });

  test("a Hub tx that failed in its block is not minted: the relayer never claims it, and by hand pegzone refuses it", async () => {
    // The relayer killed and restarted: it reads everything again and claims nothing twice.
    await stopRelayer();
    startRelayer();
    const bobHubBalance = await hub.balance(hub.user.address);
    const failed = await hub.sendWithMemo({ to: fed, amount: bobHubBalance + 1n, memo: bob });
    expect(failed.code).toBe(5); // insufficient funds, in DeliverTx: the fee was paid, the send not made
    // The restarted relayer rescans the Hub from the start: it logs the stray deposit's skip again.
    await until("the restarted relayer's rescan", async () => ((relayerLog().match(/memo is not a pegzone address/g) ?? []).length >= 2 ? true : undefined), 60_000);
    // A round whose deposits came after the failed tx's block and its successor: the client's tip moved past them, then once more.
    await until("the relayer past the failed tx's block", async () => ((await tip()) > Number(failed.height) + 1 ? true : undefined), 60_000);
    const past = await tip();
    await until("one more relayer round", async () => ((await tip()) > past ? true : undefined), 60_000);
    expect(await pegged(bob)).toBe(1_000_000n - PEG_IN_FEE);
    expect(await hub.balance(fed)).toBe(3_500_000n);

    const byHand = await claimByHand(failed.txhash);
    expect(byHand.status).toBe(1);
    const refusal = JSON.parse(byHand.stdout) as { codespace: string; code: number; raw_log: string };
    expect(refusal).toMatchObject({ codespace: "peg", code: 5 }); // ErrInvalidProof
    expect(refusal.raw_log).toMatch(/tx-failed: .* failed with code 5/);
    console.log(`failed Hub tx claimed by hand: ${byHand.stderr.trim()} | refused: peg ${refusal.code}: ${refusal.raw_log}`);
    expect(await pegged(bob)).toBe(1_000_000n - PEG_IN_FEE);
    expect((await reserve()).total).toBe("3000000");
    expect(relayerLog()).not.toMatch(new RegExp(`${failed.txhash}:0.*claimed deposit`));
    lap("failed tx");
  });

  test("Bob's deposit claimed again by hand (tx peg claim --tx-hash --rpc) is refused with the peg's code 10", async () => {
    const again = await claimByHand(bobTx);
    expect(again.status).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ codespace: "peg", code: 10 });
    expect(JSON.parse(again.stdout).raw_log).toMatch(/deposit already claimed/);
    expect(await pegged(bob)).toBe(1_000_000n - PEG_IN_FEE);
    // Two claims in all (Bob's, Carol's), across the restart.
    expect(relayerLog().match(/"msg":"claimed deposit"/g)).toHaveLength(2);
    await stopRelayer();
    lap("claimed twice");
  });
});
