/**
 * The JSON mapping against a real gaiad's bytes: the messages gaiad answered with, rebuilt from its
 * recorded answers and rendered here, must give the recorded JSON text exactly (field order,
 * nulls, 64-bit strings, base64, enum names, Anys). Then what pegzone's own protobufjs types add:
 * maps, field order, empty bytes, unknown Anys, and times.
 */
import { BaseAccount, ModuleAccount, Params as AuthParams } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import * as authQ from "cosmjs-types/cosmos/auth/v1beta1/query";
import { Params as BankParams } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import * as bankQ from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MsgSend, MsgSendResponse } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import * as txService from "cosmjs-types/cosmos/tx/v1beta1/service";
import { Tx } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { pegzone } from "../../../proto";
import { describeWithRestVectors, restVector } from "../../../test/support/rest-vectors";
import { cosmjsType, pbjsType, protoJson, rfc3339, snakeCase } from "./proto-json";
import { pegzoneTypes } from "./type-registry";

const types = pegzoneTypes();
const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const any = (typeUrl: string, value: Uint8Array): Any => ({ typeUrl, value });
const render = (codec: Parameters<typeof cosmjsType>[0] & { encode(m: never): { finish(): Uint8Array } }, message: object) =>
  JSON.stringify(protoJson(cosmjsType(codec), codec.encode(message as never).finish(), types));
const secpKey = (key: string) => any("/cosmos.crypto.secp256k1.PubKey", PubKey.encode({ key: b64(key) }).finish());
type Recorded = any;
const events = (recorded: Recorded[]) => recorded.map((e) => ({ type: e.type, attributes: e.attributes.map((a: Recorded) => ({ key: a.key, value: a.value, index: a.index })) }));

describeWithRestVectors("SDK messages render as gaiad's REST server wrote them, byte for byte", () => {
  const cases: Array<{ vector: string; codec: Parameters<typeof render>[0]; message: () => object }> = [
    {
      vector: "auth_account",
      codec: authQ.QueryAccountResponse,
      message: () => {
        const a = restVector("auth_account").account;
        return { account: any(BaseAccount.typeUrl, BaseAccount.encode({ address: a.address, pubKey: secpKey(a.pub_key.key), accountNumber: 1n, sequence: 1n }).finish()) };
      },
    },
    {
      vector: "auth_account_multisig",
      codec: authQ.QueryAccountResponse,
      message: () => ({ account: any(BaseAccount.typeUrl, BaseAccount.encode({ address: restVector("auth_account_multisig").account.address, accountNumber: 9n, sequence: 0n }).finish()) }),
    },
    {
      vector: "auth_module_account",
      codec: authQ.QueryModuleAccountByNameResponse,
      message: () => {
        const a = restVector("auth_module_account").account;
        const base = { address: a.base_account.address, accountNumber: 2n, sequence: 0n };
        return { account: any(ModuleAccount.typeUrl, ModuleAccount.encode({ baseAccount: base, name: "fee_collector", permissions: [] }).finish()) };
      },
    },
    {
      vector: "auth_params",
      codec: authQ.QueryParamsResponse,
      message: () => ({ params: AuthParams.fromPartial({ maxMemoCharacters: 256n, txSigLimit: 7n, txSizeCostPerByte: 10n, sigVerifyCostEd25519: 590n, sigVerifyCostSecp256k1: 1000n }) }),
    },
    {
      vector: "bank_balances",
      codec: bankQ.QueryAllBalancesResponse,
      message: () => ({ balances: [{ denom: "stake", amount: "999994813395" }], pagination: { nextKey: new Uint8Array(), total: 1n } }),
    },
    { vector: "bank_balances_empty", codec: bankQ.QueryAllBalancesResponse, message: () => ({ balances: [], pagination: { nextKey: new Uint8Array(), total: 0n } }) },
    { vector: "bank_balance_by_denom", codec: bankQ.QueryBalanceResponse, message: () => ({ balance: { denom: "stake", amount: "999994813395" } }) },
    { vector: "bank_supply_by_denom", codec: bankQ.QuerySupplyOfResponse, message: () => ({ amount: { denom: "stake", amount: "2000001153432" } }) },
    { vector: "bank_denoms_metadata", codec: bankQ.QueryDenomsMetadataResponse, message: () => ({ metadatas: [], pagination: { nextKey: new Uint8Array(), total: 0n } }) },
    { vector: "bank_params", codec: bankQ.QueryParamsResponse, message: () => ({ params: BankParams.fromPartial({ sendEnabled: [], defaultSendEnabled: true }) }) },
    {
      vector: "tx_by_hash",
      codec: txService.GetTxResponse,
      message: () => {
        const v = restVector("tx_by_hash");
        const send = v.tx.body.messages[0];
        const signer = v.tx.auth_info.signer_infos[0];
        const tx = Tx.fromPartial({
          body: { messages: [any(MsgSend.typeUrl, MsgSend.encode({ fromAddress: send.from_address, toAddress: send.to_address, amount: send.amount }).finish())], memo: v.tx.body.memo },
          authInfo: {
            signerInfos: [{ publicKey: secpKey(signer.public_key.key), modeInfo: { single: { mode: SignMode.SIGN_MODE_DIRECT } }, sequence: 0n }],
            fee: { amount: v.tx.auth_info.fee.amount, gasLimit: 186605n },
          },
          signatures: v.tx.signatures.map(b64),
        });
        const r = v.tx_response;
        return {
          tx,
          txResponse: {
            height: 19n, txhash: r.txhash, codespace: "", code: 0, data: r.data, rawLog: "", logs: [], info: "", gasWanted: 186605n, gasUsed: 160642n,
            tx: any(Tx.typeUrl, Tx.encode(tx).finish()), timestamp: r.timestamp, events: events(r.events),
          },
        };
      },
    },
    {
      vector: "tx_simulate",
      codec: txService.SimulateResponse,
      message: () => {
        const v = restVector("tx_simulate");
        return {
          gasInfo: { gasWanted: 18446744073709551615n, gasUsed: 84901n },
          result: { data: b64(v.result.data), log: "", events: events(v.result.events), msgResponses: [any(MsgSendResponse.typeUrl, new Uint8Array())] },
        };
      },
    },
  ];

  test.each(cases.map((c) => [c.vector, c] as const))("%s", (_, c) => {
    expect(render(c.codec, c.message())).toBe(JSON.stringify(restVector(c.vector)));
  });
});

describe("pegzone's protobufjs types", () => {
  const v1 = pegzone.peg.v1;
  const render = <T extends object>(type: Parameters<typeof pbjsType<T>>[0] & { encode(m: object): { finish(): Uint8Array } }, message: object) =>
    protoJson(pbjsType(type), type.encode(message).finish(), types);

  test("proto field order and names, 64-bit integers as strings, maps with their own keys, unset messages as null", () => {
    const json = render(v1.QueryClientStateResponse, { clientType: "tendermint", tipHeight: 42, status: "Active", details: { latest_time: "2026-01-01T00:00:00Z", chainId: "x" } });
    expect(JSON.stringify(json)).toBe(
      JSON.stringify({ client_type: "tendermint", tip_height: "42", tip_hash: "", freeze: null, status: "Active", details: { latest_time: "2026-01-01T00:00:00Z", chainId: "x" } }),
    );
  });

  test("enums by name, bytes as base64 (empty as null), repeated bytes, nested messages with defaults", () => {
    const json = render(v1.QueryReleasesResponse, {
      releases: [{ id: 7, status: v1.ReleaseStatus.RELEASE_STATUS_SIGNED, payload: Uint8Array.of(1, 2, 3), signatures: [{ pubkey: Uint8Array.of(2), signatures: [Uint8Array.of(9), Uint8Array.of(8)] }], withdrawalIds: [1, 2] }],
    });
    const release = (json.releases as Array<Record<string, unknown>>)[0];
    expect(release).toMatchObject({ id: "7", status: "RELEASE_STATUS_SIGNED", payload: "AQID", signed_tx: null, context: null, withdrawal_ids: ["1", "2"], change: null, inputs: [] });
    expect(release.signatures).toEqual([{ pubkey: "Ag==", signatures: ["CQ==", "CA=="] }]);
    expect(json.page).toBeNull();
  });

  test("an Any of a pegzone type shows its fields; an unknown one keeps its bytes", () => {
    const params = pegzone.peg.bitcoin.v1.Params.encode({ network: "regtest", confirmations: 6 }).finish();
    const chain = render(v1.QueryMainChainsResponse, { mainchains: [{ id: "btc", params: { type_url: "/pegzone.peg.bitcoin.v1.Params", value: params } }] });
    expect((chain.mainchains as Array<Record<string, unknown>>)[0].params).toEqual({ "@type": "/pegzone.peg.bitcoin.v1.Params", network: "regtest", confirmations: 6, reorg_limit: 0, prune_window: 0, fee_rate: "" });
    const unknown = render(v1.QueryMainChainsResponse, { mainchains: [{ id: "x", params: { type_url: "/nowhere.v1.Thing", value: Uint8Array.of(1) } }] });
    expect((unknown.mainchains as Array<Record<string, unknown>>)[0].params).toEqual({ "@type": "/nowhere.v1.Thing", value: "AQ==" });
  });

  test("every pegzone and SDK type an Any may carry on pegzone is known", () => {
    for (const url of ["/cosmos.auth.v1beta1.BaseAccount", "/cosmos.auth.v1beta1.ModuleAccount", "/cosmos.crypto.secp256k1.PubKey", "/cosmos.crypto.multisig.LegacyAminoPubKey",
      "/cosmos.bank.v1beta1.MsgSend", "/cosmos.bank.v1beta1.MsgMultiSend", "/cosmos.bank.v1beta1.MsgSendResponse", "/cosmos.tx.v1beta1.Tx",
      "/pegzone.peg.v1.MsgRelayHeaders", "/pegzone.peg.v1.MsgRelayHeadersResponse", "/pegzone.peg.bitcoin.v1.DepositProof", "/pegzone.peg.tendermint.v1.Params", "/pegzone.peg.bitcoin.v1.ReserveOutput"]) {
      expect([url, types(url) !== undefined]).toEqual([url, true]);
    }
  });
});

describe("names and times", () => {
  test.each([
    ["tipHeight", "tip_height"],
    ["sigVerifyCostEd25519", "sig_verify_cost_ed25519"],
    ["txBytes", "tx_bytes"],
    ["memo", "memo"],
  ])("%s is %s", (camel, snake) => expect(snakeCase(camel)).toBe(snake));

  test.each([
    [0n, 0, "1970-01-01T00:00:00Z"],
    [1796621663n, 154350692, "2026-12-07T05:34:23.154350692Z"],
    [1796621663n, 286000000, "2026-12-07T05:34:23.286Z"],
    [1796621663n, 120000, "2026-12-07T05:34:23.000120Z"],
  ])("%s s + %s ns is %s, as jsonpb writes it", (seconds, nanos, text) => expect(rfc3339(seconds, nanos)).toBe(text));
});
