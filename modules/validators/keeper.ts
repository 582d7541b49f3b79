/**
 * The validators store: the keeper is its only door. Layout (module store "validators"):
 *   0x01 | operator address (20)        → Validator
 *   0x02 | consensus address (20)       → operator address (a key in use, ever: never reused)
 *   0x03                                → Params
 *   0x04 | proposal id (u64 BE)         → Proposal (pending ones only)
 *   0x05                                → next proposal id (u64 BE)
 *   0x06 | ed25519 key (32)             → power (u64 BE): the set CometBFT was last given
 *   0x07 | operator address (20)        → blocks counted in its window (u64 BE)
 *   0x08 | operator (20) | slot (u64 BE) → 1: the block at that slot of its window was missed
 */
import type { Context } from "../../chain/app/context";
import { ADDRESS_PREFIX, parseAddress, toBech32 } from "../../chain/crypto/address";
import { cometAddress } from "../../chain/keys/key-files";
import { concatBytes, readU64, writeU64 } from "../../chain/store/bytes";
import { prefixEnd } from "../../chain/store/prefix";
import type { KVStore } from "../../chain/store/types";
import { pegzone } from "../../proto";

export const VALIDATORS_STORE = "validators";

const v1 = pegzone.validators.v1;
export type Validator = pegzone.validators.v1.IValidator;
export type Proposal = pegzone.validators.v1.IProposal;
export type Params = pegzone.validators.v1.IParams;
export const { ValidatorStatus } = v1;

const VALIDATOR = 0x01;
const CONSENSUS_INDEX = 0x02;
const PARAMS = Uint8Array.of(0x03);
const PROPOSAL = 0x04;
const NEXT_PROPOSAL = Uint8Array.of(0x05);
const LAST_POWER = 0x06;
const WINDOW_COUNT = 0x07;
const MISSED = 0x08;

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  writeU64(b, 0, n);
  return b;
};
const key = (prefix: number, ...parts: Uint8Array[]) => concatBytes(Uint8Array.of(prefix), ...parts);

export const operatorBytes = (operator: string): Uint8Array => parseAddress(operator, "operator");
const operatorString = (address: Uint8Array): string => toBech32(ADDRESS_PREFIX, address);

export class ValidatorsKeeper {
  private store(ctx: Context): KVStore {
    return ctx.store.store(VALIDATORS_STORE);
  }

  async getValidator(ctx: Context, operator: string): Promise<Validator | undefined> {
    const raw = await this.store(ctx).get(key(VALIDATOR, operatorBytes(operator)));
    return raw === undefined ? undefined : v1.Validator.decode(raw);
  }

  /** Writes a validator and indexes its consensus key (an index entry is never removed: keys are not reused). */
  setValidator(ctx: Context, validator: Validator): void {
    const store = this.store(ctx);
    const operator = operatorBytes(validator.operator ?? "");
    store.set(key(VALIDATOR, operator), v1.Validator.encode(validator).finish());
    store.set(key(CONSENSUS_INDEX, cometAddress(validator.consensusPubkey ?? new Uint8Array())), operator);
  }

  /** Every validator, by operator address (byte order). */
  async allValidators(ctx: Context): Promise<Validator[]> {
    const out: Validator[] = [];
    for await (const [, value] of this.store(ctx).iterate({ start: Uint8Array.of(VALIDATOR), end: prefixEnd(Uint8Array.of(VALIDATOR)) })) out.push(v1.Validator.decode(value));
    return out;
  }

  async activeValidators(ctx: Context): Promise<Validator[]> {
    return (await this.allValidators(ctx)).filter((v) => v.status === ValidatorStatus.VALIDATOR_STATUS_ACTIVE);
  }

  /** The operator whose consensus key has this CometBFT address, if any ever had it. */
  async operatorOfConsensusAddress(ctx: Context, address: Uint8Array): Promise<string | undefined> {
    const raw = await this.store(ctx).get(key(CONSENSUS_INDEX, address));
    return raw === undefined ? undefined : operatorString(raw);
  }

  async consensusKeyInUse(ctx: Context, pubkey: Uint8Array): Promise<boolean> {
    return this.store(ctx).has(key(CONSENSUS_INDEX, cometAddress(pubkey)));
  }

  async getParams(ctx: Context): Promise<Params> {
    const raw = await this.store(ctx).get(PARAMS);
    return raw === undefined ? v1.Params.create() : v1.Params.decode(raw);
  }

  setParams(ctx: Context, params: Params): void {
    this.store(ctx).set(PARAMS, v1.Params.encode(params).finish());
  }

  async getProposal(ctx: Context, id: number): Promise<Proposal | undefined> {
    const raw = await this.store(ctx).get(key(PROPOSAL, u64(id)));
    return raw === undefined ? undefined : v1.Proposal.decode(raw);
  }

  setProposal(ctx: Context, proposal: Proposal): void {
    this.store(ctx).set(key(PROPOSAL, u64(Number(proposal.id))), v1.Proposal.encode(proposal).finish());
  }

  deleteProposal(ctx: Context, id: number): void {
    this.store(ctx).delete(key(PROPOSAL, u64(id)));
  }

  /** Pending proposals, oldest first. */
  async allProposals(ctx: Context): Promise<Proposal[]> {
    const out: Proposal[] = [];
    for await (const [, value] of this.store(ctx).iterate({ start: Uint8Array.of(PROPOSAL), end: prefixEnd(Uint8Array.of(PROPOSAL)) })) out.push(v1.Proposal.decode(value));
    return out;
  }

  /** Takes the next proposal id (ids start at 1). */
  async nextProposalId(ctx: Context): Promise<number> {
    const raw = await this.store(ctx).get(NEXT_PROPOSAL);
    const id = raw === undefined ? 1 : readU64(raw, 0);
    this.store(ctx).set(NEXT_PROPOSAL, u64(id + 1));
    return id;
  }

  async peekNextProposalId(ctx: Context): Promise<number> {
    const raw = await this.store(ctx).get(NEXT_PROPOSAL);
    return raw === undefined ? 1 : readU64(raw, 0);
  }

  setNextProposalId(ctx: Context, id: number): void {
    this.store(ctx).set(NEXT_PROPOSAL, u64(id));
  }

  /** The powers CometBFT was last given, by consensus key. */
  async lastPowers(ctx: Context): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const [k, value] of this.store(ctx).iterate({ start: Uint8Array.of(LAST_POWER), end: prefixEnd(Uint8Array.of(LAST_POWER)) })) {
      out.set(Buffer.from(k.slice(1)).toString("hex"), readU64(value, 0));
    }
    return out;
  }

  setLastPower(ctx: Context, pubkey: Uint8Array, power: number): void {
    if (power === 0) this.store(ctx).delete(key(LAST_POWER, pubkey));
    else this.store(ctx).set(key(LAST_POWER, pubkey), u64(power));
  }

  async windowCount(ctx: Context, operator: Uint8Array): Promise<number> {
    const raw = await this.store(ctx).get(key(WINDOW_COUNT, operator));
    return raw === undefined ? 0 : readU64(raw, 0);
  }

  setWindowCount(ctx: Context, operator: Uint8Array, count: number): void {
    this.store(ctx).set(key(WINDOW_COUNT, operator), u64(count));
  }

  async missedAt(ctx: Context, operator: Uint8Array, slot: number): Promise<boolean> {
    return this.store(ctx).has(key(MISSED, operator, u64(slot)));
  }

  setMissed(ctx: Context, operator: Uint8Array, slot: number, missed: boolean): void {
    if (missed) this.store(ctx).set(key(MISSED, operator, u64(slot)), Uint8Array.of(1));
    else this.store(ctx).delete(key(MISSED, operator, u64(slot)));
  }

  async missedCount(ctx: Context, operator: Uint8Array): Promise<number> {
    let n = 0;
    const prefix = key(MISSED, operator);
    for await (const _ of this.store(ctx).iterate({ start: prefix, end: prefixEnd(prefix) })) n++;
    return n;
  }

  /** Forgets a validator's downtime record (jailed, removed, or back from jail). */
  async resetWindow(ctx: Context, operator: Uint8Array): Promise<void> {
    const store = this.store(ctx);
    const prefix = key(MISSED, operator);
    const keys: Uint8Array[] = [];
    for await (const [k] of store.iterate({ start: prefix, end: prefixEnd(prefix) })) keys.push(k);
    for (const k of keys) store.delete(k);
    store.delete(key(WINDOW_COUNT, operator));
  }
}
