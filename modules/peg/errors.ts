import { registerError } from "../../chain/tx/errors";

/** The peg module's codespace. */
export const pegErrors = {
  ErrUnknownMainChain: registerError("peg", 2, "unknown main chain"),
  ErrFrozen: registerError("peg", 3, "the peg of this main chain is frozen"),
  ErrInvalidHeaders: registerError("peg", 4, "invalid main-chain headers"),
  ErrInvalidProof: registerError("peg", 5, "invalid inclusion proof"),
  ErrNotEnoughConfirmations: registerError("peg", 6, "not enough confirmations"),
  ErrNotDepositScript: registerError("peg", 7, "output does not pay the recipient's deposit address"),
  ErrBelowMinimum: registerError("peg", 8, "amount below the minimum"),
  ErrCapExceeded: registerError("peg", 9, "reserve cap exceeded"),
  ErrAlreadyClaimed: registerError("peg", 10, "deposit already claimed"),
  ErrNotFrozen: registerError("peg", 11, "the peg of this main chain is not frozen"),
  ErrInvalidGenesis: registerError("peg", 12, "invalid peg genesis"),
  ErrInvalidAddress: registerError("peg", 13, "invalid main-chain address"),
  ErrUnknownWithdrawal: registerError("peg", 14, "unknown withdrawal"),
  ErrUnknownRelease: registerError("peg", 15, "not a release"),
  ErrInvalidRelease: registerError("peg", 16, "release cannot take this"),
  ErrDuplicateSignature: registerError("peg", 17, "member has already signed"),
  ErrInvalidSignature: registerError("peg", 18, "invalid release signature"),
  ErrInvalidFederation: registerError("peg", 19, "invalid federation"),
  ErrNotFederationMember: registerError("peg", 20, "not a member of the current federation"),
  ErrProposalPending: registerError("peg", 21, "another federation proposal is pending"),
  ErrUnknownProposal: registerError("peg", 22, "no such federation proposal"),
  ErrAlreadyApproved: registerError("peg", 23, "member has already approved"),
  ErrFederationOutput: registerError("peg", 24, "output belongs to the federation, not a deposit"),
  ErrReserveConflict: registerError("peg", 25, "reserve entry exists already"),
} as const;
