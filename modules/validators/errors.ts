import { registerError } from "../../chain/tx/errors";

/** The validators module's codespace. */
export const validatorErrors = {
  ErrNotValidator: registerError("validators", 2, "not an active validator's operator"),
  ErrUnknownValidator: registerError("validators", 3, "unknown validator"),
  ErrDuplicateKey: registerError("validators", 4, "key already in use"),
  ErrInvalidKey: registerError("validators", 5, "malformed key"),
  ErrUnsafeChange: registerError("validators", 6, "change would make the validator set unsafe"),
  ErrUnknownProposal: registerError("validators", 7, "no such pending proposal"),
  ErrAlreadyApproved: registerError("validators", 8, "operator has already approved"),
  ErrInvalidProposal: registerError("validators", 9, "invalid proposal"),
  ErrInvalidGenesis: registerError("validators", 10, "invalid validators genesis"),
};
