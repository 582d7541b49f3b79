/**
 * Downtime has consequences, with real CometBFT processes: in a 4-validator network whose genesis
 * measures downtime over 20 blocks (`pegzone testnet --signed-blocks-window 20`), a validator whose
 * node is stopped is jailed (power 0, with the reason) once it has missed more than half its window;
 * the three others go on. Restarted, it syncs but does not sign until the others approve its unjail;
 * then its address is back in the commits. A removal taking more than 1/3 of the power at once is
 * refused with its code and changes nothing.
 */
import { commitSigners, freePortBlock, latestHeight, rpc, runCliAsync, runCliStatusAsync, Testnet, until, validatorAddress, waitForHeight } from "./support/harness";

jest.setTimeout(180_000);

describe("a validator down for its window is jailed, and comes back by approval", () => {
  let net: Testnet;
  const url = () => net.nodes[0].rpc;
  const cli = async (args: string[]) => JSON.parse(await runCliAsync([...args, "--node", url(), "--output", "json"])) as any;
  const asOperator = (i: number, args: string[]) => cli([...args, "--signer-key", "--home", net.nodes[i].home]);
  const validator = async (moniker: string) => ((await cli(["query", "validators", "list"])).validators as Array<{ operator: string; consensus_pubkey: string; status: string; reason: string; moniker: string }>).find((v) => v.moniker === moniker)!;
  const signersOf = (height: number) => commitSigners(url(), height);

  beforeAll(async () => {
    net = Testnet.create({ validators: 4, basePort: await freePortBlock(40), timeoutCommit: "200ms", extraArgs: ["--signed-blocks-window", "20"] });
    for (let i = 0; i < 4; i++) net.start(i);
    await waitForHeight(url(), 3, 60_000);
  }, 90_000);

  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  test("stopped, node3 is jailed with the reason; the chain goes on without it; approved, it signs again", async () => {
    const node3 = await validator("node3");
    const address = validatorAddress(node3.consensus_pubkey);
    expect(await signersOf((await latestHeight(url())) - 1)).toContain(address);

    await net.stop(3);
    const jailed = await until("node3 jailed", async () => {
      const v = await validator("node3");
      return v.status === "VALIDATOR_STATUS_JAILED" ? v : undefined;
    }, 60_000);
    expect(jailed.reason).toMatch(/^missed 1\d of the last 20 blocks$/);
    const jailedAt = await latestHeight(url());
    await waitForHeight(url(), jailedAt + 5, 30_000);
    expect((await rpc<{ validators: Array<{ address: string }> }>(url(), "validators", { height: String(jailedAt + 3) })).validators.map((v) => v.address)).not.toContain(address);

    // back up, it syncs, but jailed it does not sign
    net.start(3);
    await waitForHeight(net.nodes[3].rpc, jailedAt + 5, 60_000);
    expect((await validator("node3")).status).toBe("VALIDATOR_STATUS_JAILED");

    const proposed = await asOperator(0, ["tx", "validators", "propose-unjail", node3.operator]);
    expect(proposed.code).toBe(0);
    const id = (await cli(["query", "validators", "proposals"])).proposals[0].id;
    // 30 active power: the three approvals are needed
    expect((await asOperator(1, ["tx", "validators", "approve", id])).code).toBe(0);
    expect((await asOperator(2, ["tx", "validators", "approve", id])).code).toBe(0);
    expect(await validator("node3")).toMatchObject({ status: "VALIDATOR_STATUS_ACTIVE", reason: "" });
    await until("node3 signs again", async () => ((await signersOf((await latestHeight(url())) - 1)).includes(address) ? true : undefined), 30_000);
  });

  test("a removal that would take more than 1/3 of the power at once is refused, and nothing changes", async () => {
    const node0 = await validator("node0");
    // node0 grows to 40 of 70 (three approvals of the 40 active), then removing it would take 40 of 70 away
    const grow = await asOperator(1, ["tx", "validators", "propose-power", node0.operator, "40"]);
    expect(grow.code).toBe(0);
    const id = (await cli(["query", "validators", "proposals"])).proposals[0].id;
    expect((await asOperator(2, ["tx", "validators", "approve", id])).code).toBe(0);
    expect((await asOperator(3, ["tx", "validators", "approve", id])).code).toBe(0);
    expect(await validator("node0")).toMatchObject({ power: "40" });
    const before = await cli(["query", "validators", "list"]);
    const res = await runCliStatusAsync(["tx", "validators", "propose-remove", node0.operator, "--signer-key", "--home", net.nodes[1].home, "--node", url(), "--output", "json"]);
    expect(res.status).not.toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ codespace: "validators", code: 6 });
    expect(await cli(["query", "validators", "list"])).toEqual(before);
    expect((await cli(["query", "validators", "proposals"])).proposals ?? []).toEqual([]);
  });
});
