/**
 * module-accounts.ts against a real gaiad v25.1.1: every module account the Hub reports that may
 * not receive funds (a bank send to it fails when simulated) is on the list pegzone refuses
 * withdrawals to, and every name on the list is one the Hub refuses. Skipped, saying why, when
 * .bin/gaiad has not been built.
 */
import { runGaiad } from "../../../app/node/gaiad";
import { GAIAD_MISSING, haveGaiad, LocalHub } from "../../../test/support/gaiad";
import { BLOCKED_MODULE_ACCOUNTS, moduleAccountName } from "./module-accounts";
import { hubAccountBytes } from "./sign-doc";

jest.setTimeout(120_000);

interface ModuleAccountJson {
  name?: string;
  value?: { name?: string; address?: string };
  base_account?: { address?: string };
  address?: string;
}

if (!haveGaiad()) {
  console.warn(`module-accounts-gaiad.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`the Hub's blocked module accounts: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("the Hub's module accounts that may not receive funds", () => {
  let hub: LocalHub;

  beforeAll(async () => {
    hub = await LocalHub.create({ timeoutCommit: "200ms" });
    await hub.start(2);
  });
  afterAll(async () => hub?.remove());

  /** Whether a 1stake send from the user to `address` is refused when simulated, and why. */
  async function refusal(address: string): Promise<string | undefined> {
    const args = ["tx", "bank", "send", hub.user.address, address, "1stake", "--dry-run", "--gas-prices", "1stake", "--chain-id", hub.chainId, "--node", hub.node, "--home", hub.home, "--keyring-backend", "test"];
    try {
      await runGaiad(args, { binary: hub.binary });
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  test("the list is exactly the module accounts a bank send cannot pay", async () => {
    const out = JSON.parse(await runGaiad(["query", "auth", "module-accounts", "--node", hub.node, "--output", "json"], { binary: hub.binary })) as { accounts: ModuleAccountJson[] };
    const accounts = out.accounts.map((a) => ({ name: a.name ?? a.value?.name ?? "", address: a.base_account?.address ?? a.value?.address ?? a.address ?? "" }));
    expect(accounts.length).toBeGreaterThan(5);
    const blocked: string[] = [];
    const listed: string[] = [];
    for (const { name, address } of accounts) {
      expect(address).toMatch(/^cosmos1/);
      const why = await refusal(address);
      if (why !== undefined) {
        expect(why).toMatch(/not allowed to receive funds/);
        blocked.push(name);
      }
      if (moduleAccountName(hubAccountBytes(address, "cosmos", name).bytes) !== undefined) listed.push(name);
    }
    console.log(`module accounts: ${accounts.map((a) => a.name).join(", ")}; blocked: ${blocked.join(", ")}`);
    // pegzone lists an account exactly when the Hub refuses sends to it, and no name the Hub does not have
    expect(listed.sort()).toEqual(blocked.sort());
    expect([...BLOCKED_MODULE_ACCOUNTS].sort()).toEqual(blocked.sort());
  });
});
