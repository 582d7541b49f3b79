/**
 * The validators module: the proof-of-authority validator set, on chain. Genesis (snake_case JSON,
 * bytes base64 as in protobuf JSON):
 *
 *   { "params": { "signed_blocks_window": "100", "min_signed_per_mille": "500", "min_validators": "1", "proposal_lifetime": "1000" },
 *     "validators": [{ "operator": "peg1...", "consensus_pubkey": "<base64 ed25519>", "power": "10",
 *                      "signer_pubkey": "<base64 secp256k1>", "moniker": "node0" }],
 *     "proposals": [], "next_proposal_id": "1" }
 *
 * The genesis validators are the chain's first set: InitChain answers them to CometBFT. Each block
 * begins with the consequences of CometBFT's reports (consequences.ts) and ends by expiring old
 * proposals and telling CometBFT how the active set changed (effective two heights later), and the
 * listener (the peg, whose federations follow the set).
 */
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import type { Context } from "../../chain/app/context";
import { camelKeys, snakeKeys } from "../../chain/app/json-case";
import type { AppModule, ServiceRegistrar } from "../../chain/app/module";
import { pegzone } from "../../proto";
import { applyConsequences } from "./consequences";
import type { ValidatorSetListener } from "./expected-keepers";
import { validatorErrors } from "./errors";
import { ValidatorStatus, VALIDATORS_STORE, ValidatorsKeeper } from "./keeper";
import { registerValidatorMsgs } from "./msgs";
import { registerValidatorQueries } from "./queries";
import { DEFAULT_PARAMS, MAX_POWER, validateAction } from "./rules";

const v1 = pegzone.validators.v1;
const JSON_OPTIONS = { longs: String, bytes: String, enums: String, defaults: true } as const;

export interface ValidatorsGenesis {
  params: Record<string, unknown>;
  validators: Array<Record<string, unknown>>;
  proposals: Array<Record<string, unknown>>;
  next_proposal_id: string;
}

function fromJson<T>(type: { fromObject(o: Record<string, unknown>): T }, json: unknown, what: string): T {
  try {
    return type.fromObject(camelKeys(json) as Record<string, unknown>);
  } catch (err) {
    throw validatorErrors.ErrInvalidGenesis.wrap(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class ValidatorsModule implements AppModule {
  readonly name = VALIDATORS_STORE;
  readonly keeper = new ValidatorsKeeper();

  constructor(private readonly listener?: ValidatorSetListener) {}

  defaultGenesis(): ValidatorsGenesis {
    return { params: snakeKeys(v1.Params.toObject(v1.Params.create(DEFAULT_PARAMS), JSON_OPTIONS)) as Record<string, unknown>, validators: [], proposals: [], next_proposal_id: "1" };
  }

  async initGenesis(ctx: Context, raw: unknown): Promise<ValidatorUpdate[]> {
    const defaults = this.defaultGenesis();
    const g = { ...defaults, ...(raw as Partial<ValidatorsGenesis>) };
    // parameters left out keep their defaults
    g.params = { ...defaults.params, ...g.params };
    const params = fromJson(v1.Params, g.params, "params");
    if (!(Number(params.signedBlocksWindow) >= 0 && Number(params.minSignedPerMille) >= 0 && Number(params.minSignedPerMille) <= 1000 && Number(params.minValidators) >= 1 && Number(params.proposalLifetime) >= 1)) {
      throw validatorErrors.ErrInvalidGenesis.wrap("params: signed_blocks_window ≥ 0, min_signed_per_mille 0..1000, min_validators ≥ 1, proposal_lifetime ≥ 1");
    }
    this.keeper.setParams(ctx, params);
    const seen = new Set<string>();
    for (const [i, json] of g.validators.entries()) {
      const v = fromJson(v1.Validator, json, `validator ${i}`);
      const status = (json as { status?: unknown }).status === undefined ? ValidatorStatus.VALIDATOR_STATUS_ACTIVE : v.status;
      try {
        validateAction({ add: { validator: v } });
      } catch (err) {
        throw validatorErrors.ErrInvalidGenesis.wrap(`validator ${i}: ${err instanceof Error ? err.message : String(err)}`);
      }
      for (const k of [`operator:${v.operator}`, `consensus:${Buffer.from(v.consensusPubkey).toString("hex")}`, `signer:${Buffer.from(v.signerPubkey).toString("hex")}`]) {
        if (seen.has(k)) throw validatorErrors.ErrInvalidGenesis.wrap(`validator ${i}: ${k.split(":")[0]} listed twice`);
        seen.add(k);
      }
      if (status === ValidatorStatus.VALIDATOR_STATUS_UNSPECIFIED) throw validatorErrors.ErrInvalidGenesis.wrap(`validator ${i}: status must be given`);
      this.keeper.setValidator(ctx, { ...v, status });
    }
    for (const [i, json] of g.proposals.entries()) this.keeper.setProposal(ctx, fromJson(v1.Proposal, json, `proposal ${i}`));
    this.keeper.setNextProposalId(ctx, Number(g.next_proposal_id));
    const active = await this.keeper.activeValidators(ctx);
    if (g.validators.length > 0 && active.length === 0) throw validatorErrors.ErrInvalidGenesis.wrap("no active validator");
    if (active.reduce((sum, v) => sum + Number(v.power), 0) > MAX_POWER) throw validatorErrors.ErrInvalidGenesis.wrap(`total power above ${MAX_POWER}`);
    return this.updates(ctx);
  }

  async exportGenesis(ctx: Context): Promise<ValidatorsGenesis> {
    const json = <T>(type: { toObject(m: T, o: object): Record<string, unknown> }, m: T) => snakeKeys(type.toObject(m, JSON_OPTIONS)) as Record<string, unknown>;
    return {
      params: json(v1.Params, v1.Params.create(await this.keeper.getParams(ctx))),
      validators: (await this.keeper.allValidators(ctx)).map((v) => json(v1.Validator, v1.Validator.create(v))),
      proposals: (await this.keeper.allProposals(ctx)).map((p) => json(v1.Proposal, v1.Proposal.create(p))),
      next_proposal_id: String(await this.keeper.peekNextProposalId(ctx)),
    };
  }

  registerServices(registrar: ServiceRegistrar): void {
    registerValidatorMsgs(registrar, this.keeper);
    registerValidatorQueries(registrar, this.keeper);
  }

  async beginBlock(ctx: Context): Promise<void> {
    await applyConsequences(ctx, this.keeper);
  }

  async endBlock(ctx: Context): Promise<ValidatorUpdate[]> {
    const lifetime = Number((await this.keeper.getParams(ctx)).proposalLifetime);
    for (const p of await this.keeper.allProposals(ctx)) {
      if (Number(ctx.header.height) - Number(p.submittedHeight) < lifetime) continue;
      this.keeper.deleteProposal(ctx, Number(p.id));
      ctx.events.emit("validator_proposal_expired", [["proposal_id", String(p.id)]]);
    }
    const updates = await this.updates(ctx);
    if (updates.length > 0 && this.listener) {
      const active = (await this.keeper.activeValidators(ctx)).map((v) => ({ operator: v.operator!, signerPubkey: v.signerPubkey!, power: Number(v.power) }));
      await this.listener.validatorSetChanged(ctx, active);
    }
    return updates;
  }

  /** How the active set differs from what CometBFT was last given, recorded as given. */
  private async updates(ctx: Context): Promise<ValidatorUpdate[]> {
    const last = await this.keeper.lastPowers(ctx);
    const want = new Map<string, { key: Uint8Array; power: number }>();
    for (const v of await this.keeper.activeValidators(ctx)) want.set(Buffer.from(v.consensusPubkey!).toString("hex"), { key: v.consensusPubkey!, power: Number(v.power) });
    const changes: Array<{ key: Uint8Array; power: number }> = [];
    for (const [hex, w] of want) if (last.get(hex) !== w.power) changes.push(w);
    for (const hex of last.keys()) if (!want.has(hex)) changes.push({ key: Buffer.from(hex, "hex"), power: 0 });
    changes.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    for (const c of changes) this.keeper.setLastPower(ctx, c.key, c.power);
    return changes.map((c) => ({ pubKey: { ed25519: c.key }, power: BigInt(c.power) }));
  }
}
