/** What the validators module needs from the others, in one place. */
import type { Context } from "../../chain/app/context";
import type { ActiveValidator } from "./types";

/** Told at the end of a block in which the active set changed (the peg: every federation follows it). */
export interface ValidatorSetListener {
  validatorSetChanged(ctx: Context, active: readonly ActiveValidator[]): Promise<void>;
}
