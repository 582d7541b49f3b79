import type { Timestamp } from "cosmjs-types/google/protobuf/timestamp";
import type { Misbehavior, VoteInfo } from "cosmjs-types/tendermint/abci/types";
import type { Logger } from "../log";
import type { MultiStore } from "../store/types";
import type { EventManager } from "./events";
import type { GasMeter } from "./gas";

/** Why a piece of state-machine code runs; some checks (fees, signatures) depend on it. */
export type ExecMode = "genesis" | "check" | "recheck" | "prepare" | "simulate" | "finalize" | "query";

/** Everything a handler may know about the block it runs in. Time comes from the block header only. */
export interface BlockHeader {
  readonly chainId: string;
  readonly height: bigint;
  readonly time: Timestamp;
}

/** What CometBFT tells FinalizeBlock beyond the txs: who signed the previous block, and evidence of misbehaviour. */
export interface CometInfo {
  readonly lastCommit: readonly VoteInfo[];
  readonly misbehavior: readonly Misbehavior[];
}

export interface Context {
  readonly mode: ExecMode;
  readonly header: BlockHeader;
  /** Gas-metered (inside a tx) view of the module stores of the branch being executed. */
  readonly store: MultiStore;
  readonly gasMeter: GasMeter;
  readonly events: EventManager;
  readonly logger: Logger;
  /** In FinalizeBlock's begin and end block hooks only. */
  readonly comet?: CometInfo;
}
