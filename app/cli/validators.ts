/**
 * `pegzone tx validators ...`, `pegzone query validators ...` and `pegzone show-validator`: the
 * proof-of-authority validator set from the command line. An operator's account is by default its
 * node's signer key (`--signer-key`), as for federation members.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { snakeKeys } from "../../chain/app/json-case";
import { anyMsg, queryProto, type Encodable } from "../../chain/client/query";
import { RpcClient } from "../../chain/client/rpc";
import { validatorTypeUrls } from "../../modules/validators/msgs";
import { pegzone } from "../../proto";
import { Home, readSignerKey } from "../node/home";
import { homeOption } from "./flags";
import { signerAccount } from "./genesis";
import { printOutput } from "./output";
import { addQueryOptions, type QueryFlags } from "./query";
import { addSignerKeyOptions, broadcastAndPrint, keyOrSignerKey, type TxFlags } from "./tx";

const v1 = pegzone.validators.v1;
const JSON_OPTIONS = { longs: String, bytes: String, enums: String, defaults: true } as const;

type OperatorFlags = TxFlags & { from?: string; signerKey?: boolean; home?: string; override?: boolean };

function query<Res>(o: QueryFlags, method: string, reqType: Encodable, request: object, resType: { decode(b: Uint8Array): Res }): Promise<Res> {
  return queryProto(new RpcClient(o.node), `/pegzone.validators.v1.Query/${method}`, reqType, request, resType, Number(o.height));
}

function show<T>(type: { toObject(message: T, options: typeof JSON_OPTIONS): object }, message: T): void {
  printOutput(snakeKeys(type.toObject(message, JSON_OPTIONS)), "json");
}

/** What a node's home says about it as a validator candidate: what `propose-add` takes. */
export function candidateOf(home: Home): { operator: string; consensus_pubkey: string; signer_pubkey: string; moniker: string } {
  const key = JSON.parse(readFileSync(home.validatorKeyFile, "utf8")) as { pub_key: { value: string } };
  const signer = readSignerKey(home).publicKey;
  const moniker = /^moniker\s*=\s*"([^"]*)"/m.exec(readFileSync(home.cometConfigFile, "utf8"))?.[1] ?? "";
  return { operator: signerAccount(signer), consensus_pubkey: key.pub_key.value, signer_pubkey: Buffer.from(signer).toString("hex"), moniker };
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

export function registerValidatorCommands(program: Command, tx: Command, queryCmd: Command): void {
  program
    .command("show-validator")
    .description("this node as a validator candidate: operator (its signer key's account), consensus key, signer key, moniker (what `tx validators propose-add` takes)")
    .addOption(homeOption())
    .action((o: { home?: string }) => printOutput(candidateOf(Home.resolve(o.home)), "json"));

  const txv = tx.command("validators").description("propose and approve changes to the validator set (active validators' operators only)");
  const operatorTx = (cmd: Command) => addSignerKeyOptions(cmd).option("--override", "allow taking more than 1/3 of the active power away at once");
  const propose = async (o: OperatorFlags, action: object) => {
    const signer = await keyOrSignerKey(o);
    await broadcastAndPrint(o, signer, [anyMsg(validatorTypeUrls.propose, v1.MsgPropose, { proposer: signer.address, action, override: o.override === true })]);
  };

  operatorTx(txv.command("propose-add").description("propose a new validator (counts as your approval); give --candidate-home, or each of --operator, --consensus-pubkey, --signer-pubkey"))
    .option("--candidate-home <dir>", "the new node's home: its keys and moniker, as `pegzone show-validator` prints them")
    .option("--operator <address>", "the new validator's operator account")
    .option("--consensus-pubkey <base64>", "its CometBFT ed25519 key (priv_validator_key.json's pub_key.value)")
    .option("--signer-pubkey <hex>", "its federation signer key (compressed secp256k1)")
    .option("--moniker <name>", "its name")
    .option("--power <n>", "its voting power", "10")
    .action(async (o: OperatorFlags & { candidateHome?: string; operator?: string; consensusPubkey?: string; signerPubkey?: string; moniker?: string; power: string }) => {
      const c = o.candidateHome === undefined ? undefined : candidateOf(new Home(o.candidateHome));
      const operator = o.operator ?? c?.operator;
      const consensus = o.consensusPubkey ?? c?.consensus_pubkey;
      const signerKey = o.signerPubkey ?? c?.signer_pubkey;
      if (operator === undefined || consensus === undefined || signerKey === undefined) throw new Error("give --candidate-home, or --operator, --consensus-pubkey and --signer-pubkey");
      const validator = { operator, consensusPubkey: Buffer.from(consensus, "base64"), signerPubkey: Buffer.from(signerKey, "hex"), power: positive("--power", o.power), moniker: o.moniker ?? c?.moniker ?? "" };
      await propose(o, { add: { validator } });
    });
  operatorTx(txv.command("propose-remove <operator>").description("propose removing a validator for good")).action((operator: string, o: OperatorFlags) => propose(o, { remove: { operator } }));
  operatorTx(txv.command("propose-power <operator> <power>").description("propose a validator's new voting power")).action((operator: string, power: string, o: OperatorFlags) =>
    propose(o, { setPower: { operator, power: positive("power", power) } }),
  );
  operatorTx(txv.command("propose-key <operator> <consensus_pubkey>").description("propose replacing a validator's CometBFT key (base64 ed25519)")).action((operator: string, key: string, o: OperatorFlags) =>
    propose(o, { replaceKey: { operator, consensusPubkey: Buffer.from(key, "base64") } }),
  );
  operatorTx(txv.command("propose-unjail <operator>").description("propose bringing a jailed validator back")).action((operator: string, o: OperatorFlags) => propose(o, { unjail: { operator } }));
  addSignerKeyOptions(txv.command("approve <proposal_id>").description("approve a pending proposal")).action(async (id: string, o: OperatorFlags) => {
    const signer = await keyOrSignerKey(o);
    await broadcastAndPrint(o, signer, [anyMsg(validatorTypeUrls.approve, v1.MsgApprove, { approver: signer.address, proposalId: positive("proposal_id", id) })]);
  });

  const qv = queryCmd.command("validators").description("the validator set, its pending proposals and parameters");
  addQueryOptions(qv.command("list").description("every validator: operator, keys, power, status and why")).action(async (o: QueryFlags) =>
    show(v1.QueryValidatorsResponse, await query(o, "Validators", v1.QueryValidatorsRequest, {}, v1.QueryValidatorsResponse)),
  );
  addQueryOptions(qv.command("validator <operator>").description("one validator and the blocks of its window it missed")).action(async (operator: string, o: QueryFlags) =>
    show(v1.QueryValidatorResponse, await query(o, "Validator", v1.QueryValidatorRequest, { operator }, v1.QueryValidatorResponse)),
  );
  addQueryOptions(qv.command("proposals").description("pending proposals and their approvals")).action(async (o: QueryFlags) =>
    show(v1.QueryProposalsResponse, await query(o, "Proposals", v1.QueryProposalsRequest, {}, v1.QueryProposalsResponse)),
  );
  addQueryOptions(qv.command("params").description("downtime window, minimum signed share, minimum set size, proposal lifetime")).action(async (o: QueryFlags) =>
    show(v1.QueryParamsResponse, await query(o, "Params", v1.QueryParamsRequest, {}, v1.QueryParamsResponse)),
  );
}
