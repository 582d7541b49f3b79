import type { DecodedTx } from "../tx/decode";

/** A tx CheckTx accepted: decoded, with the signature checks CheckTx passed. */
export interface AcceptedTx {
  tx: DecodedTx;
  /** Keys (see TxRunner) of the signatures that verified in CheckTx. */
  verified: ReadonlySet<string>;
  /** Estimated memory the entry holds: its object graph and the buffers it keeps alive. */
  bytes: number;
  /** Where the check state last applied it: that state's generation and the tx's position in it. */
  checked: { generation: number; position: number };
}

export interface AcceptedTxLimits {
  maxEntries: number;
  maxBytes: number;
}

/**
 * Txs CheckTx accepted, by hash. Such a tx is met again in every recheck, PrepareProposal,
 * ProcessProposal and FinalizeBlock, and decoding it and verifying its signatures is the same pure
 * work each time. Only accepted txs enter: a refused tx costs its sender nothing, so nothing of it
 * may stay. The oldest leave first when the entries or their bytes exceed the limits.
 */
export class AcceptedTxs {
  private readonly entries = new Map<string, AcceptedTx>();
  private total = 0;

  constructor(readonly limits: AcceptedTxLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`AcceptedTxs: ${name} must be a non-negative integer, got ${value}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held by all entries. */
  get bytes(): number {
    return this.total;
  }

  get(hash: string): AcceptedTx | undefined {
    return this.entries.get(hash);
  }

  add(hash: string, entry: AcceptedTx): void {
    this.delete(hash);
    if (entry.bytes > this.limits.maxBytes || this.limits.maxEntries === 0) return;
    this.entries.set(hash, entry);
    this.total += entry.bytes;
    while (this.entries.size > this.limits.maxEntries || this.total > this.limits.maxBytes) {
      this.delete(this.entries.keys().next().value!);
    }
  }

  delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (entry === undefined) return;
    this.entries.delete(hash);
    this.total -= entry.bytes;
  }
}
