/**
 * The peg dashboard (GET / of the REST server) in a real headless Chromium driven by playwright-core,
 * against a real node: btcd in regtest, one pegzone validator behind CometBFT, `pegzone relayer`.
 * The page shows btc-regtest with the invariant's two numbers (reserve; supply + in flight) equal to
 * the REST API's at the height the page read; a deposit claimed by the relayer then shows up on the
 * same page, without a reload, from its 2-second polling. A freeze (injected into the page's view of
 * the API) shows as a banner whose reason is text, never markup. A screenshot is kept.
 *
 * Needs /usr/bin/chromium (Debian's package; `npm run deps` installs it as root): skipped otherwise.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { COINBASE_MATURITY, spendCoinbase, TEST_ADDRESS } from "./support/btc-wallet";
import { type BtcdNode, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd } from "./support/btcd";
import { CLI, freePortBlock, Proc, ROOT, runCli, runCliAsync, Testnet, until, waitForHeight } from "./support/harness";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const MAINCHAIN = "btc-regtest";
const CONFIRMATIONS = 3;
const RELAYER_MNEMONIC = "test test test test test test test test test test test junk";
const HEIGHT_HEADER = "x-cosmos-block-height";
// The page's globals, for the functions that playwright runs in the browser (this project's lib has no DOM).
declare const document: any;
declare const window: any;

jest.setTimeout(240_000);

if (!existsSync(CHROMIUM)) {
  console.warn(`test/dashboard.test.ts skipped: ${CHROMIUM} is missing (install Debian's chromium package; npm run deps does as root)`);
  test.skip(`the peg dashboard in a browser: skipped, ${CHROMIUM} is missing`, () => undefined);
}

/** What the page shows for one main chain (data-value attributes: exact numbers, not the formatted text). */
interface Shown {
  height: string;
  refreshes: number;
  reserve: string;
  owed: string;
  supply: string;
  inFlight: string;
  tipHeight: string;
  tipAge: string;
  invariant: string;
  federation: { id: string; threshold: string; members: string };
  pendingWithdrawals: string;
  liveReleases: string;
  frozen: string | null;
}

async function shown(page: Page, mainchain: string): Promise<Shown | undefined> {
  return page.evaluate((id) => {
    const card = [...document.querySelectorAll("section.chain")].find((s: any) => s.getAttribute("data-mainchain") === id);
    if (!card) return undefined;
    const field = (name: string) => card.querySelector(`[data-field="${name}"]`);
    const value = (name: string) => field(name)?.getAttribute("data-value") ?? "";
    const text = (name: string) => field(name)?.textContent ?? "";
    return {
      height: document.getElementById("chains")?.getAttribute("data-height") ?? "",
      refreshes: Number(document.body.getAttribute("data-refreshes") ?? 0),
      reserve: value("reserve"),
      owed: value("owed"),
      supply: value("supply"),
      inFlight: value("in-flight"),
      tipHeight: value("tip-height"),
      tipAge: text("tip-age"),
      invariant: value("invariant"),
      federation: { id: text("federation-id"), threshold: text("federation-threshold"), members: value("federation-members") },
      pendingWithdrawals: value("pending-withdrawals"),
      liveReleases: value("live-releases"),
      frozen: field("frozen")?.textContent ?? null,
    };
  }, mainchain);
}

(existsSync(CHROMIUM) ? describe : describe.skip)("the peg dashboard in headless Chromium, against btcd, CometBFT and the relayer", () => {
  let btcd: BtcdNode;
  let net: Testnet;
  let url: string;
  let api: string;
  let relayerHome: string;
  let relayer: Proc | undefined;
  let relayerAddress: string;
  let browser: Browser;
  let page: Page;
  let artifacts: string;

  const rest = async (path: string, height?: string): Promise<any> => {
    const res = await fetch(`${api}${path}`, { headers: height ? { [HEIGHT_HEADER]: height } : {} });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  const cli = async (args: string[]) => JSON.parse(await runCliAsync([...args, "--node", url, "--output", "json"])) as any;

  /** The page's numbers equal the REST API's, read at the height the page read. */
  const expectMatchesRest = async (s: Shown) => {
    const [reserve, client, feds] = await Promise.all([rest(`/pegzone/peg/v1/reserve/${MAINCHAIN}`, s.height), rest(`/pegzone/peg/v1/client_state/${MAINCHAIN}`, s.height), rest(`/pegzone/peg/v1/federations/${MAINCHAIN}`, s.height)]);
    expect(s.reserve).toBe(reserve.total);
    expect(s.supply).toBe(reserve.supply);
    expect(s.inFlight).toBe(reserve.pending);
    expect(s.owed).toBe((BigInt(reserve.supply) + BigInt(reserve.pending)).toString());
    expect(s.invariant).toBe(BigInt(reserve.total) >= BigInt(s.owed) ? "holds" : "violated");
    expect(s.tipHeight).toBe(client.tip_height);
    expect(s.federation).toEqual({ id: feds.current.id, threshold: expect.stringMatching(new RegExp(`^${feds.current.threshold} of weight \\d+$`)), members: String(feds.current.members.length) });
    return reserve as { total: string; supply: string; pending: string };
  };

  beforeAll(async () => {
    artifacts = mkdtempSync(join(tmpdir(), "pegzone-dashboard-"));
    btcd = await startBtcd();
    const btcRpcUrl = `http://${BTCD_RPC_USER}:${BTCD_RPC_PASS}@127.0.0.1:${btcd.rpcPort}`;
    await btcd.mine(COINBASE_MATURITY + 5);

    relayerHome = mkdtempSync(join(tmpdir(), "pegzone-relayer-"));
    runCli(["keys", "add", "relayer", "--recover", "--keyring-backend", "test", "--home", relayerHome], { PEGZONE_MNEMONIC: RELAYER_MNEMONIC });
    relayerAddress = (JSON.parse(runCli(["keys", "show", "relayer", "--keyring-backend", "test", "--home", relayerHome, "--output", "json"])) as { address: string }).address;

    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${relayerAddress}=1000000000upeg`], extraArgs: ["--btc-confirmations", String(CONFIRMATIONS)] });
    net.start(0);
    url = net.nodes[0].rpc;
    api = `http://127.0.0.1:${net.nodes[0].ports.api}`;
    await waitForHeight(url, 1, 60_000);
    relayer = new Proc(
      process.execPath,
      [CLI, "relayer", "--mainchain", MAINCHAIN, "--btc-rpc", btcRpcUrl, "--from", "relayer", "--keyring-backend", "test", "--home", relayerHome, "--node", url, "--poll-interval", "300"],
      join(net.dir, "relayer.log"),
    );
    const btcTip = String(await btcd.rpc.getBlockCount());
    await until("the light client to reach btcd's tip", async () => ((await rest(`/pegzone/peg/v1/client_state/${MAINCHAIN}`)).tip_height === btcTip ? true : undefined));

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("pageerror", (err) => console.error(`dashboard page error: ${err.message}`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await relayer?.kill("SIGKILL");
    await net?.stopAll();
    await btcd?.remove();
    net?.remove();
    if (relayerHome) rmSync(relayerHome, { recursive: true, force: true });
  });

  test("GET / is the page; it shows btc-regtest's tip, federation and both numbers of the invariant, as the REST API has them", async () => {
    const res = await page.goto(`${api}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await page.title()).toMatch(/peg dashboard/);
    await page.waitForFunction(() => document.querySelector('section.chain[data-mainchain="btc-regtest"] [data-field="reserve"]') !== null, undefined, { timeout: 15_000 });
    const s = (await shown(page, MAINCHAIN))!;
    expect(Number(s.height)).toBeGreaterThan(0);
    await expectMatchesRest(s);
    expect(s.tipAge).toMatch(/ ago \(\d{4}-\d\d-\d\dT/); // the bitcoin tip header's own time
    expect(s.frozen).toBeNull();
    expect(s.pendingWithdrawals).toBe("0");
    expect(s.liveReleases).toBe("0");
    expect(await page.evaluate(() => document.querySelector('section.chain[data-mainchain="btc-regtest"] [data-field="rotation"]')?.textContent)).toBe("none pending");
  });

  test("the validator set is on the page, as the REST API lists it", async () => {
    await page.waitForFunction(() => document.querySelector("#validator-set tbody tr") !== null, undefined, { timeout: 15_000 });
    const rows = await page.evaluate(() => Array.from(document.querySelectorAll("#validator-set tbody tr")).map((tr: any) => Array.from(tr.querySelectorAll("td")).map((td: any) => td.textContent)));
    const { validators } = await rest("/pegzone/validators/v1/validators");
    expect(rows).toEqual(validators.map((v: { moniker: string; operator: string; power: string }) => [v.moniker, v.operator, v.power, "active", ""]));
    expect(await page.evaluate(() => document.querySelector('#validator-set [data-field="active-validators"]')?.getAttribute("data-value"))).toBe("1");
  });

  test("a deposit claimed by the relayer shows on the page without a reload", async () => {
    const before = (await shown(page, MAINCHAIN))!;
    // a reload would lose this, and the refresh counter would start again
    await page.evaluate(() => (window.notReloaded = true));

    await cli(["tx", "peg", "register-address", "--from", "relayer", "--keyring-backend", "test", "--home", relayerHome]);
    const deposit = await until("the deposit address to be registered", async () => {
      const d = await cli(["query", "peg", "deposit-address", relayerAddress, "--mainchain", MAINCHAIN]);
      return d.registered ? (d as { script: string }) : undefined;
    });
    const amount = 100_000_000n; // 1 BTC
    await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(deposit.script, "hex"), amount, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS);
    const expected = (BigInt(before.reserve) + amount).toString();
    await until("the relayer to claim the deposit", async () => ((await rest(`/pegzone/peg/v1/reserve/${MAINCHAIN}`)).total === expected ? true : undefined));

    const started = Date.now();
    await page.waitForFunction(
      ([id, total]) => document.querySelector(`section.chain[data-mainchain="${id}"] [data-field="reserve"]`)?.getAttribute("data-value") === total,
      [MAINCHAIN, expected] as const,
      { timeout: 10_000 },
    );
    console.log(`the dashboard showed the new reserve ${Date.now() - started} ms after the REST API had it`);
    const after = (await shown(page, MAINCHAIN))!;
    expect(await page.evaluate(() => window.notReloaded as boolean | undefined)).toBe(true);
    expect(after.refreshes).toBeGreaterThan(before.refreshes);
    const reserve = await expectMatchesRest(after);
    expect(reserve.total).toBe(expected);
    expect(BigInt(after.supply)).toBeGreaterThan(BigInt(before.supply));
    expect(after.invariant).toBe("holds");
    expect(Number(after.tipHeight)).toBeGreaterThan(Number(before.tipHeight));
    expect(await page.locator(`section[data-mainchain="${MAINCHAIN}"] [data-field="reserve"]`).textContent()).toBe(Number(expected).toLocaleString("en-US"));

    const shot = join(artifacts, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    copyFileSync(shot, join(ROOT, "test-artifacts", "dashboard.png"));
    console.log(`dashboard screenshot: ${shot} (copied to test-artifacts/dashboard.png)`);
  });

  test("a withdrawal shows as pending or in a live release, as the REST API lists them, with its amount in flight once in a release", async () => {
    await cli(["tx", "peg", "withdraw", "50000000", TEST_ADDRESS, "--mainchain", MAINCHAIN, "--from", "relayer", "--keyring-backend", "test", "--home", relayerHome]);
    const s = await until("the page to show the withdrawal", async () => {
      const now = (await shown(page, MAINCHAIN))!;
      return Number(now.pendingWithdrawals) + Number(now.liveReleases) > 0 ? now : undefined;
    }, 30_000);
    await expectMatchesRest(s);
    const [withdrawals, signing, signed] = await Promise.all([
      rest(`/pegzone/peg/v1/withdrawals/${MAINCHAIN}`, s.height),
      rest(`/pegzone/peg/v1/releases/${MAINCHAIN}?status=RELEASE_STATUS_SIGNING`, s.height),
      rest(`/pegzone/peg/v1/releases/${MAINCHAIN}?status=RELEASE_STATUS_SIGNED`, s.height),
    ]);
    expect(s.pendingWithdrawals).toBe(String(withdrawals.withdrawals.filter((w: { status: string }) => w.status === "WITHDRAWAL_STATUS_PENDING").length));
    expect(s.liveReleases).toBe(String(signing.releases.length + signed.releases.length));
    if (s.liveReleases !== "0") expect(BigInt(s.inFlight)).toBeGreaterThan(0n);
    expect(s.invariant).toBe("holds");
    const rows = await page.locator(`section[data-mainchain="${MAINCHAIN}"] tbody tr`).allTextContents();
    expect(rows.some((r) => r.includes("50,000,000"))).toBe(true);
    const shot = join(artifacts, "dashboard-peg-out.png");
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, join(ROOT, "test-artifacts", "dashboard-peg-out.png"));
    console.log(`dashboard screenshot with the withdrawal: ${shot} (copied to test-artifacts/dashboard-peg-out.png)`);
  });

  test("a frozen peg shows a banner with its reason, inserted as text", async () => {
    const reason = `<img src=x onerror="document.body.dataset.pwned=1"> relayed header conflicts`;
    const frozen = await browser.newPage();
    // the node's real answers, with the reserve's freeze set (a real freeze needs conflicting headers)
    await frozen.route("**/pegzone/peg/v1/reserve/**", async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      await route.fulfill({ response: res, json: { ...json, freeze: { frozen: true, reason, height: "7" } } });
    });
    await frozen.goto(`${api}/`);
    const banner = frozen.locator(`section[data-mainchain="${MAINCHAIN}"] [data-field="frozen"]`);
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toBe(`Peg frozen at pegzone height 7: ${reason}`);
    expect(await frozen.locator("img").count()).toBe(0);
    expect(await frozen.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    await frozen.screenshot({ path: join(artifacts, "dashboard-frozen.png"), fullPage: true });
    await frozen.close();
  });
});
