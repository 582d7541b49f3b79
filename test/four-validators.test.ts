import { freePortBlock, header, latestHeight, Testnet, waitForHeight } from "./support/harness";

describe("four real validators from `pegzone testnet`", () => {
  let net: Testnet;

  beforeAll(async () => {
    net = Testnet.create({ validators: 4, basePort: await freePortBlock(40), timeoutCommit: "300ms" });
    for (let i = 0; i < 4; i++) net.start(i);
  });

  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  test("reach height 20 with identical app hashes, survive one stopped validator, and catch it up", async () => {
    await Promise.all(net.nodes.map((n) => waitForHeight(n.rpc, 20, 180_000)));
    for (let h = 1; h <= 20; h++) {
      const hashes = await Promise.all(net.nodes.map(async (n) => (await header(n.rpc, h)).app_hash));
      expect(new Set(hashes).size).toBe(1);
    }

    await net.stop(3);
    const before = await latestHeight(net.nodes[0].rpc);
    // Three of four validators hold more than 2/3 of the power: blocks keep coming.
    await Promise.all(net.nodes.slice(0, 3).map((n) => waitForHeight(n.rpc, before + 5, 60_000)));

    net.start(3);
    const target = (await latestHeight(net.nodes[0].rpc)) + 2;
    // Node 3 may see a block committed before node 0's RPC reports it: wait for both.
    await Promise.all([waitForHeight(net.nodes[0].rpc, target, 120_000), waitForHeight(net.nodes[3].rpc, target, 120_000)]);
    const [a, b] = await Promise.all([header(net.nodes[0].rpc, target), header(net.nodes[3].rpc, target)]);
    expect(b.app_hash).toBe(a.app_hash);
  }, 400_000);
});
