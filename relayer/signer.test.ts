/**
 * The federation signer in-process, against a real app through an RPC client that answers from it:
 * a release it cannot rebuild is skipped with the reason logged, and every other release is still
 * signed in the same round; a release whose change or inputs are not pegzone's records is refused.
 */
import pino from "pino";
import { RpcClient, type TxResponse } from "../chain/client/rpc";
import { SdkError } from "../chain/tx/errors";
import { txHash } from "../chain/tx/decode";
import { MAINCHAIN_KINDS } from "../app/pegzone";
import { bitcoinDepositProof } from "../modules/peg/bitcoin/peg-flow";
import { pegTypeUrls } from "../modules/peg/msgs";
import { CHAIN_ID, CONFIRMATIONS, MAINCHAIN, closeHarnesses, depositScript, federation, memberKeys, newHarness, relay, type Harness } from "../test/support/peg-harness";
import { depositWitnessScript } from "../modules/peg/bitcoin/script";
import { TestBitcoinChain, testTx } from "../test/support/peg";
import { pegzone } from "../proto";
import { MetricsRegistry } from "../chain/metrics/prometheus";
import { parsePrometheusText, sampleValue } from "../test/support/prometheus-text";
import { SignerMetrics } from "./metrics";
import { Signer } from "./signer";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);

/** CometBFT's RPC as far as the signer uses it, answered by an in-process app: each broadcast tx is committed in a block of its own. */
class InProcessRpc extends RpcClient {
  private readonly pending: Uint8Array[] = [];

  /** `answer` may change a query's answer before the signer sees it. */
  constructor(
    private readonly h: Harness,
    private readonly answer: (path: string, value: Uint8Array) => Uint8Array = (_path, value) => value,
  ) {
    super("http://in-process");
  }

  override async query(path: string, data: Uint8Array, height = 0): Promise<Uint8Array> {
    const res = await this.h.app.query({ path, data, height: BigInt(height), prove: false });
    if (res.code !== 0) throw new SdkError(res.codespace, res.code, res.log);
    return this.answer(path, res.value);
  }

  override async chainId(): Promise<string> {
    return CHAIN_ID;
  }

  override async broadcastSync(tx: Uint8Array) {
    const res = await this.h.app.checkTx({ tx, type: 0 });
    if (res.code === 0) this.pending.push(tx);
    return { code: res.code, codespace: res.codespace, log: res.log, hash: txHash(tx) };
  }

  override async waitForTx(hash: string): Promise<TxResponse> {
    const txs = this.pending.splice(0);
    const results = await this.h.block(txs);
    const r = results[txs.findIndex((tx) => txHash(tx) === hash)];
    return { hash, height: String(this.h.height), tx_result: { code: r.code, codespace: r.codespace, log: r.log, gas_wanted: "0", gas_used: "0", events: [] } };
  }
}

async function signingReleases(h: Harness) {
  const { releases } = await h.query("Releases", v1.QueryReleasesRequest, { mainchain: MAINCHAIN, status: v1.ReleaseStatus.RELEASE_STATUS_SIGNING }, v1.QueryReleasesResponse);
  return releases.map((r) => v1.Release.create(r));
}

/** Two deposits of 400,000 claimed, then two withdrawals in separate batches: two releases await signatures. */
async function twoReleases(): Promise<Harness> {
  const h = await newHarness();
  const btc = new TestBitcoinChain();
  const [holder] = h.accounts;
  const deposit = testTx("two deposits", [0, 1].map(() => ({ value: 400_000n, scriptPubKey: depositScript(holder.address) })));
  const block = btc.mine([deposit]);
  btc.mineEmpty(CONFIRMATIONS - 1);
  expect((await h.block([relay(h, btc.headers(1))]))[0]).toMatchObject({ code: 0 });
  const claimer = h.accounts[2];
  const claims = [0, 1].map((vout) =>
    h.tx(claimer, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, {
      claimer: claimer.address,
      mainchain: MAINCHAIN,
      recipient: holder.address,
      proof: bitcoinDepositProof({ tx: deposit, vout, blockHash: block.hash, merkleProof: btc.proof(block, 1) }),
    }),
  );
  expect(await h.block(claims)).toMatchObject([{ code: 0 }, { code: 0 }]);
  for (let i = 0; i < 2; i++) {
    const withdraw = h.tx(holder, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: holder.address, mainchain: MAINCHAIN, amount: "300000", destination: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080" });
    expect((await h.block([withdraw]))[0]).toMatchObject({ code: 0 });
    do await h.block([]);
    while ((await signingReleases(h)).length === i);
  }
  return h;
}

describe("federation signer", () => {
  it("skips a release that does not rebuild, logs why, and signs every other release in the same round", async () => {
    const h = await twoReleases();
    const member = memberKeys[0];
    const releases = await signingReleases(h);
    expect(releases.length).toBeGreaterThanOrEqual(2);
    const broken = Number(releases[0].id);

    // pegzone is shown one release whose bytes differ from what its records rebuild to
    const tampered = (path: string, value: Uint8Array) => {
      if (path !== "/pegzone.peg.v1.Query/Releases") return value;
      const res = v1.QueryReleasesResponse.decode(value);
      for (const r of res.releases) if (Number(r.id) === broken) r.payload = Uint8Array.from([...r.payload!.subarray(0, -1), r.payload!.at(-1)! ^ 1]);
      return v1.QueryReleasesResponse.encode(res).finish();
    };
    const lines: Array<{ level: number; msg: string; release?: number; err?: string }> = [];
    const logger = pino({ level: "info", base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const registry = new MetricsRegistry();
    const metrics = new SignerMetrics(registry);
    const counts = async () => {
      const { samples, invalid } = parsePrometheusText(await registry.render());
      expect(invalid).toEqual([]);
      return ["pegzone_signer_signed_total", "pegzone_signer_refused_total"].map((name) => sampleValue(samples, name, { mainchain: MAINCHAIN }));
    };
    const options = { mainchains: [MAINCHAIN], key: { privateKey: member.privateKey, publicKey: member.pubkey }, kinds: MAINCHAIN_KINDS, tx: { gasAdjustment: "1.5", gasPrices: "0upeg", chainId: CHAIN_ID }, logger, metrics };
    const signer = new Signer({ ...options, pegzone: new InProcessRpc(h, tampered) });

    expect(await signer.step()).toBe(releases.length - 1);
    expect(await counts()).toEqual([releases.length - 1, 1]);
    const signedBy = (r: pegzone.peg.v1.Release) => r.signatures.some((s) => Buffer.from(s.pubkey!).equals(Buffer.from(member.pubkey)));
    const after = await signingReleases(h);
    expect(after.map((r) => [Number(r.id), signedBy(r)])).toEqual(releases.map((r) => [Number(r.id), Number(r.id) !== broken]));
    const skipped = lines.filter((l) => l.msg === "skipped a release; signing the others");
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ level: 40, release: broken });
    expect(skipped[0].err).toMatch(new RegExp(`refusing to sign release ${broken}: it differs from the release rebuilt`));
    // Refused again the next round: still one release refused.
    expect(await signer.step()).toBe(0);
    expect(await counts()).toEqual([releases.length - 1, 1]);

    // Shown the release as pegzone holds it, the next round signs it too.
    expect(await new Signer({ ...options, pegzone: new InProcessRpc(h) }).step()).toBe(1);
    expect((await signingReleases(h)).every(signedBy)).toBe(true);
    expect(await counts()).toEqual([releases.length, 1]);
  });

  /** What a signer shown `tamper`ed answers does: it signs nothing and logs why for every release. */
  async function refusals(tamper: (path: string, value: Uint8Array) => Uint8Array): Promise<string[]> {
    const h = await twoReleases();
    const member = memberKeys[1];
    const lines: Array<{ msg: string; err?: string }> = [];
    const logger = pino({ level: "info", base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const options = { mainchains: [MAINCHAIN], key: { privateKey: member.privateKey, publicKey: member.pubkey }, kinds: MAINCHAIN_KINDS, tx: { gasAdjustment: "1.5", gasPrices: "0upeg", chainId: CHAIN_ID }, logger };
    expect(await new Signer({ ...options, pegzone: new InProcessRpc(h, tamper) }).step()).toBe(0);
    return lines.filter((l) => l.msg === "skipped a release; signing the others").map((l) => l.err!);
  }

  it("refuses a release whose recorded change is not the rebuilt change to its federation's reserve", async () => {
    const elsewhere = pegzone.peg.bitcoin.v1.ReserveOutput.encode({ script: Uint8Array.of(0x51), witnessScript: depositWitnessScript(federation, new Uint8Array(20)) }).finish();
    const errors = await refusals((path, value) => {
      if (path !== "/pegzone.peg.v1.Query/Releases") return value;
      const res = v1.QueryReleasesResponse.decode(value);
      for (const r of res.releases) r.change!.data!.value = elsewhere;
      return v1.QueryReleasesResponse.encode(res).finish();
    });
    expect(errors).toHaveLength(2);
    for (const err of errors) expect(err).toMatch(/^refusing to sign release \d+: its change [0-9a-f]{64}:\d+ does not go to federation 1 as rebuilt$/);
  });

  it("refuses a release whose change goes to a federation older than its own, or to one pegzone does not know", async () => {
    // pegzone's answers as if federation 1 had retired for a federation 2 of the same keys, and the releases were 2's
    const older = await refusals((path, value) => {
      if (path === "/pegzone.peg.v1.Query/Federations") {
        const res = v1.QueryFederationsResponse.decode(value);
        const one = v1.Federation.create(res.current!);
        return v1.QueryFederationsResponse.encode({ current: { ...one, id: 2 }, retired: [{ federation: one, retiredAt: 1 }] }).finish();
      }
      if (path === "/pegzone.peg.v1.Query/Reserve") {
        const res = v1.QueryReserveResponse.decode(value);
        for (const e of res.entries) e.federationId = 2;
        return v1.QueryReserveResponse.encode(res).finish();
      }
      if (path !== "/pegzone.peg.v1.Query/Releases") return value;
      const res = v1.QueryReleasesResponse.decode(value);
      for (const r of res.releases) Object.assign(r, { federationId: 2, changeFederationId: 1 });
      return v1.QueryReleasesResponse.encode(res).finish();
    });
    expect(older).toHaveLength(2);
    for (const err of older) expect(err).toMatch(/^refusing to sign release \d+: its change goes to federation 1, older than its own 2$/);

    const unknown = await refusals((path, value) => {
      if (path !== "/pegzone.peg.v1.Query/Releases") return value;
      const res = v1.QueryReleasesResponse.decode(value);
      for (const r of res.releases) r.changeFederationId = 7;
      return v1.QueryReleasesResponse.encode(res).finish();
    });
    for (const err of unknown) expect(err).toMatch(/^refusing to sign release \d+: its change goes to federation 7, which pegzone does not know$/);
    expect(unknown).toHaveLength(2);
  });

  it("refuses a release whose inputs are not the reserve's entries locked for it, as recorded", async () => {
    const errors = await refusals((path, value) => {
      if (path !== "/pegzone.peg.v1.Query/Reserve") return value;
      const res = v1.QueryReserveResponse.decode(value);
      for (const e of res.entries) e.value = (BigInt(e.value!) + 1n).toString();
      return v1.QueryReserveResponse.encode(res).finish();
    });
    expect(errors).toHaveLength(2);
    for (const err of errors) expect(err).toMatch(/^refusing to sign release \d+: input [0-9a-f]{64}:\d+ is not locked for this release as recorded$/);
  });
});
