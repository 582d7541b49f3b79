/**
 * The REST API and the metrics of a real node (`pegzone start`: CometBFT, the app, its API server):
 * every recorded answer of a real gaiad has a pegzone counterpart of the same shape and status; a tx
 * signed with CosmJS is simulated, broadcast over REST, lands and is found by its hash and by its
 * sender (GetTxsEvent, over CometBFT's tx_search); bad requests get the SDK's error shape; /metrics
 * is Prometheus text whose peg gauge follows a relayed header; CometBFT's own Prometheus endpoint
 * answers too.
 */
import { DirectSecp256k1HdWallet, Registry, type EncodeObject } from "@cosmjs/proto-signing";
import { calculateFee, defaultRegistryTypes, GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { ADDRESS_PREFIX, toBech32 } from "../chain/crypto/address";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { pegzone } from "../proto";
import { freePortBlock, Testnet, until, waitForHeight } from "./support/harness";
import { TestBitcoinChain } from "./support/peg";
import { parsePrometheusText, sampleValue } from "./support/prometheus-text";
import { describeWithRestVectors, restVector, restVectorIndex, shapeDiff } from "./support/rest-vectors";

const v1 = pegzone.peg.v1;
const RELAY_HEADERS = "/pegzone.peg.v1.MsgRelayHeaders";
const gasPrice = GasPrice.fromString("0.0025upeg");
const ZERO = toBech32(ADDRESS_PREFIX, new Uint8Array(20));
const RECIPIENT = "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56";

interface Answer {
  status: number;
  json: any;
}

describeWithRestVectors("the REST API of a real node, against a real gaiad's answers", () => {
  let net: Testnet;
  let api: string;
  let faucet: string;
  let signer: SigningStargateClient;
  let sentHash: string;
  /** Our answer for each recording's request. */
  const answers = new Map<string, Answer>();

  const get = async (path: string, init?: RequestInit): Promise<Answer> => {
    const res = await fetch(`${api}${path}`, init);
    const text = await res.text();
    return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
  };
  const post = (path: string, body: string) => get(path, { method: "POST", body, headers: { "content-type": "application/json" } });
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

  /** `msgs` signed by the faucet (account number and sequence read over REST), with `gas`. */
  const sign = async (msgs: EncodeObject[], gas: number): Promise<Uint8Array> => {
    const { account } = (await get(`/cosmos/auth/v1beta1/accounts/${faucet}`)).json;
    const raw = await signer.sign(faucet, msgs, calculateFee(gas, gasPrice), "", { accountNumber: BigInt(account.account_number), sequence: Number(account.sequence), chainId: "pegzone-test" });
    return TxRaw.encode(raw).finish();
  };
  /** Signed once to simulate, then with the gas used and a margin; the answer of the simulation. */
  const signWithSimulatedGas = async (msgs: EncodeObject[]): Promise<{ tx: Uint8Array; simulated: Answer }> => {
    const simulated = await post("/cosmos/tx/v1beta1/simulate", JSON.stringify({ tx_bytes: base64(await sign(msgs, 1_000_000)) }));
    expect(simulated.status).toBe(200);
    return { tx: await sign(msgs, Math.ceil(Number(simulated.json.gas_info.gas_used) * 1.5)), simulated };
  };
  const landed = (hash: string) => until(`tx ${hash} in a block`, async () => ((await get(`/cosmos/tx/v1beta1/txs/${hash}`)).status === 200 ? true : undefined), 30_000);

  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    faucet = (await wallet.getAccounts())[0].address;
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${faucet}=1000000000000upeg`] });
    net.start(0);
    api = `http://127.0.0.1:${net.nodes[0].ports.api}`;
    await waitForHeight(net.nodes[0].rpc, 2, 60_000);
    signer = await SigningStargateClient.offline(wallet, { registry: new Registry([...defaultRegistryTypes, [RELAY_HEADERS, v1.MsgRelayHeaders]]) });
  }, 90_000);

  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  test("a tx signed with CosmJS: simulated, broadcast over REST, found by its hash; the same tx again is code 19", async () => {
    const send: EncodeObject = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: faucet, toAddress: RECIPIENT, amount: [{ denom: "upeg", amount: "1234" }] } };
    const { tx, simulated } = await signWithSimulatedGas([send]);
    answers.set("tx_simulate", simulated);
    expect(Number(simulated.json.gas_info.gas_used)).toBeGreaterThan(0);

    const body = JSON.stringify({ tx_bytes: base64(tx), mode: "BROADCAST_MODE_SYNC" });
    const sent = await post("/cosmos/tx/v1beta1/txs", body);
    answers.set("tx_broadcast_sync", sent);
    expect(sent).toMatchObject({ status: 200, json: { tx_response: { code: 0, height: "0" } } });
    sentHash = sent.json.tx_response.txhash;
    answers.set("tx_broadcast_again", await post("/cosmos/tx/v1beta1/txs", body));
    expect(answers.get("tx_broadcast_again")!.json.tx_response).toMatchObject({ code: 19, codespace: "sdk", txhash: sentHash });
    answers.set("tx_broadcast_bad_json", await post("/cosmos/tx/v1beta1/txs", '{"tx_bytes":'));

    await landed(sentHash);
    const found = await get(`/cosmos/tx/v1beta1/txs/${sentHash}`);
    expect(Number(found.json.tx_response.height)).toBeGreaterThan(0);
    expect(found.json.tx_response).toMatchObject({ code: 0, txhash: sentHash, tx: { "@type": "/cosmos.tx.v1beta1.Tx" } });
    expect(found.json.tx.body.messages[0]).toEqual({ "@type": "/cosmos.bank.v1beta1.MsgSend", from_address: faucet, to_address: RECIPIENT, amount: [{ denom: "upeg", amount: "1234" }] });
    expect((await get(`/cosmos/bank/v1beta1/balances/${RECIPIENT}/by_denom?denom=upeg`)).json).toEqual({ balance: { denom: "upeg", amount: "1234" } });
  }, 60_000);

  test("every recorded gaiad answer has a pegzone answer with its status and shape, field for field", async () => {
    const requests: Record<string, string> = {
      bank_balances: `/cosmos/bank/v1beta1/balances/${faucet}`,
      bank_balances_empty: `/cosmos/bank/v1beta1/balances/${ZERO}`,
      bank_balances_bad_address: "/cosmos/bank/v1beta1/balances/notanaddress",
      bank_balance_by_denom: `/cosmos/bank/v1beta1/balances/${faucet}/by_denom?denom=upeg`,
      bank_balances_paged: `/cosmos/bank/v1beta1/balances/${faucet}?pagination.limit=1&pagination.count_total=true`,
      bank_spendable: `/cosmos/bank/v1beta1/spendable_balances/${faucet}`,
      bank_supply: "/cosmos/bank/v1beta1/supply",
      bank_supply_by_denom: "/cosmos/bank/v1beta1/supply/by_denom?denom=upeg",
      bank_denoms_metadata: "/cosmos/bank/v1beta1/denoms_metadata",
      bank_params: "/cosmos/bank/v1beta1/params",
      // the faucet has signed (its key is known); the recipient has only received, like the recording's multisig account
      auth_account: `/cosmos/auth/v1beta1/accounts/${faucet}`,
      auth_account_multisig: `/cosmos/auth/v1beta1/accounts/${RECIPIENT}`,
      auth_account_unknown: `/cosmos/auth/v1beta1/accounts/${ZERO}`,
      auth_params: "/cosmos/auth/v1beta1/params",
      auth_module_account: "/cosmos/auth/v1beta1/module_accounts/fee_collector",
      tm_node_info: "/cosmos/base/tendermint/v1beta1/node_info",
      tm_syncing: "/cosmos/base/tendermint/v1beta1/syncing",
      tm_block_latest: "/cosmos/base/tendermint/v1beta1/blocks/latest",
      tm_block_2: "/cosmos/base/tendermint/v1beta1/blocks/2",
      tm_validatorsets_latest: "/cosmos/base/tendermint/v1beta1/validatorsets/latest",
      tx_by_hash: `/cosmos/tx/v1beta1/txs/${sentHash}`,
      txs_by_event: `/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(`message.sender='${faucet}'`)}`,
      tx_by_hash_unknown: `/cosmos/tx/v1beta1/txs/${"0".repeat(64)}`,
      node_config: "/cosmos/base/node/v1beta1/config",
      not_found_route: "/cosmos/nothing/v1/here",
    };
    for (const [name, path] of Object.entries(requests)) answers.set(name, await get(path));

    // the comparison does see a changed type, a missing key and an extra one
    const recorded = restVector("auth_account");
    expect(shapeDiff({ account: { ...recorded.account, sequence: 1, extra: "" } }, recorded)).toHaveLength(2);
    expect(shapeDiff({ account: { ...recorded.account, pub_key: null } }, recorded)).toHaveLength(1);

    const mismatches: string[] = [];
    for (const { name, status } of restVectorIndex()) {
      const ours = answers.get(name);
      if (ours === undefined) mismatches.push(`${name}: no pegzone request for it`);
      else {
        if (ours.status !== status) mismatches.push(`${name}: HTTP ${ours.status}, recorded ${status}`);
        mismatches.push(...shapeDiff(ours.json, restVector(name), name));
      }
    }
    expect(mismatches).toEqual([]);
    // the faucet's MsgSend, found by its sender as the recording found gaiad's
    const found = answers.get("txs_by_event")!.json;
    expect(found.tx_responses.map((r: { txhash: string }) => r.txhash)).toContain(sentHash);
    expect(Number(found.total)).toBe(found.tx_responses.length);
    expect(found.txs[found.tx_responses.findIndex((r: { txhash: string }) => r.txhash === sentHash)].body.messages[0]).toMatchObject({ "@type": "/cosmos.bank.v1beta1.MsgSend", from_address: faucet });
    const none = await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(`message.sender='${ZERO}'`)}`);
    expect(none).toEqual({ status: 200, json: { txs: [], tx_responses: [], pagination: null, total: "0" } });
  }, 60_000);

  test("bad requests get the SDK's error shape and status", async () => {
    const error = (code: number) => ({ code, message: expect.any(String), details: [] });
    expect(await get("/cosmos/nothing/v1/here")).toEqual({ status: 501, json: { code: 12, message: "Not Implemented", details: [] } });
    expect(await get("/cosmos/bank/v1beta1/supply", { method: "DELETE" })).toEqual({ status: 501, json: { code: 12, message: "Method Not Allowed", details: [] } });
    expect(await get("/cosmos/auth/v1beta1/accounts/peg1notbech32")).toEqual({ status: 400, json: error(3) });
    expect(await post("/cosmos/tx/v1beta1/simulate", "not json")).toEqual({ status: 400, json: error(3) });
    expect(await post("/cosmos/tx/v1beta1/simulate", JSON.stringify({ tx_bytes: "A".repeat(1_200_000) }))).toEqual({ status: 400, json: { code: 3, message: "http: request body too large", details: [] } });
    expect(await post("/cosmos/tx/v1beta1/txs", JSON.stringify({ tx_bytes: "AAAA", mode: "BROADCAST_MODE_BLOCK" }))).toEqual({ status: 400, json: error(3) });
    expect(await get("/pegzone/peg/v1/reserve/nowhere")).toEqual({ status: 404, json: error(5) });
    expect(await get("/cosmos/base/tendermint/v1beta1/blocks/999999999")).toEqual({ status: 400, json: error(3) });
    // and the server still answers
    expect((await get("/cosmos/base/tendermint/v1beta1/syncing")).json).toEqual({ syncing: false });
  });

  test("/metrics is Prometheus text; the light client's tip gauge follows a header relayed over REST", async () => {
    const scrape = async () => {
      const res = await fetch(`${api}/metrics`);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const { samples, invalid } = parsePrometheusText(await res.text());
      expect(invalid).toEqual([]);
      return samples;
    };
    const tip = { mainchain: "btc-regtest", client_type: "bitcoin" };
    const before = await scrape();
    expect(sampleValue(before, "pegzone_peg_client_tip_height", tip)).toBe(0);
    expect(sampleValue(before, "pegzone_block_height")).toBeGreaterThan(0);
    expect(sampleValue(before, "pegzone_txs_total", { codespace: "", code: "0" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(before, "pegzone_finalize_block_seconds_count")).toBeGreaterThan(0);
    expect(sampleValue(before, "pegzone_check_tx_total", { type: "new", code: "0" })).toBeGreaterThanOrEqual(1);

    const header = new TestBitcoinChain().mine().header;
    const relay: EncodeObject = { typeUrl: RELAY_HEADERS, value: { relayer: faucet, mainchain: "btc-regtest", headers: [header] } };
    const { tx } = await signWithSimulatedGas([relay]);
    const sent = await post("/cosmos/tx/v1beta1/txs", JSON.stringify({ tx_bytes: base64(tx), mode: "BROADCAST_MODE_ASYNC" }));
    expect(sent).toMatchObject({ status: 200, json: { tx_response: { code: 0 } } });
    await landed(sent.json.tx_response.txhash);
    expect((await get(`/cosmos/tx/v1beta1/txs/${sent.json.tx_response.txhash}`)).json.tx_response.code).toBe(0);
    expect((await get("/pegzone/peg/v1/client_state/btc-regtest")).json).toMatchObject({ tip_height: "1", status: "Active" });

    const after = await scrape();
    expect(sampleValue(after, "pegzone_peg_client_tip_height", tip)).toBe(1);
    // the synthetic header's time is regtest's genesis time + 600 s, in 2011
    expect(sampleValue(after, "pegzone_peg_client_tip_age_seconds", { mainchain: "btc-regtest" })).toBeGreaterThan(10 * 365 * 86_400);
  }, 60_000);

  test("CometBFT's own Prometheus endpoint answers Prometheus text", async () => {
    const res = await fetch(`http://127.0.0.1:${net.nodes[0].ports.prometheus}/metrics`);
    expect(res.status).toBe(200);
    const { samples, invalid } = parsePrometheusText(await res.text());
    expect(invalid).toEqual([]);
    expect(sampleValue(samples, "cometbft_consensus_height", { chain_id: "pegzone-test" })).toBeGreaterThan(1);
  });

  test("/swagger/openapi.json describes the routes served", async () => {
    const doc = (await get("/swagger/openapi.json")).json;
    for (const path of ["/cosmos/bank/v1beta1/balances/{address}", "/cosmos/tx/v1beta1/simulate", "/cosmos/tx/v1beta1/txs", "/cosmos/tx/v1beta1/txs/{hash}", "/cosmos/base/tendermint/v1beta1/blocks/{height}", "/pegzone/peg/v1/client_state/{mainchain}", "/metrics"]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});
