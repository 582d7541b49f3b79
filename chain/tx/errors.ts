/**
 * ABCI errors in the Cosmos SDK style: every error a client can see carries a codespace and a
 * numeric code, registered once at start-up. `(codespace, code)` pairs are unique, as in
 * `cosmossdk.io/errors.Register`, so a client can map a code it receives back to its meaning.
 *
 * Modules register their own codespace the same way:
 *
 *   export const bankErrors = {
 *     ErrNoInputs: registerError("bank", 2, "no inputs to send transaction"),
 *   };
 *   throw bankErrors.ErrNoInputs.wrap("empty inputs");
 */

/** An error with an ABCI codespace and code. Its message is `<context>: <description>` when wrapped. */
export class SdkError extends Error {
  readonly codespace: string;
  readonly code: number;
  /** The registered description of (codespace, code), without any wrapping context. */
  readonly description: string;

  constructor(codespace: string, code: number, description: string, message: string = description, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SdkError";
    this.codespace = codespace;
    this.code = code;
    this.description = description;
  }

  /** Adds context in front of the message, keeping codespace and code (like errorsmod.Wrap). */
  wrap(context: string): SdkError {
    return new SdkError(this.codespace, this.code, this.description, `${context}: ${this.message}`, { cause: this });
  }

  /** True if this error has the same codespace and code as `def`. */
  is(def: RegisteredError): boolean {
    return this.codespace === def.codespace && this.code === def.code;
  }
}

/** A registered (codespace, code, description) triple; a factory for SdkError instances of that kind. */
export class RegisteredError {
  constructor(
    readonly codespace: string,
    readonly code: number,
    readonly description: string,
  ) {}

  /** The bare error: message = description. */
  error(): SdkError {
    return new SdkError(this.codespace, this.code, this.description);
  }

  /** The error with context: message = `${context}: ${description}`, as errorsmod.Wrap prints it. */
  wrap(context: string, cause?: unknown): SdkError {
    return new SdkError(
      this.codespace,
      this.code,
      this.description,
      `${context}: ${this.description}`,
      cause === undefined ? undefined : { cause },
    );
  }

  /** True if `err` is an SdkError of this kind. */
  is(err: unknown): err is SdkError {
    return err instanceof SdkError && err.codespace === this.codespace && err.code === this.code;
  }
}

const registry = new Map<string, RegisteredError>();
const registryKey = (codespace: string, code: number): string => `${codespace}:${code}`;

/**
 * Registers an error kind. Throws if (codespace, code) is already taken, if code is 0 (ABCI's
 * success code), or if code is not a uint32.
 */
export function registerError(codespace: string, code: number, description: string): RegisteredError {
  if (codespace.length === 0) throw new Error("registerError: empty codespace");
  if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) {
    throw new Error(`registerError: code ${code} is not a uint32`);
  }
  if (code === 0) throw new Error(`registerError: code 0 is reserved for success (codespace ${codespace})`);
  const key = registryKey(codespace, code);
  const existing = registry.get(key);
  if (existing) {
    throw new Error(`error with code ${code} is already registered in codespace ${codespace}: ${JSON.stringify(existing.description)}`);
  }
  const def = new RegisteredError(codespace, code, description);
  registry.set(key, def);
  return def;
}

/** The registered error for (codespace, code), if any. */
export function lookupError(codespace: string, code: number): RegisteredError | undefined {
  return registry.get(registryKey(codespace, code));
}

/** Codespace of the errors below (types/errors.RootCodespace). */
export const ROOT_CODESPACE = "sdk";
/** Codespace for errors that are not ABCI errors (cosmossdk.io/errors.UndefinedCodespace). */
export const UNDEFINED_CODESPACE = "undefined";

/** cosmossdk.io/errors: set when a panic (here: an unexpected exception) was recovered. */
export const errPanic = registerError(UNDEFINED_CODESPACE, 111222, "panic");

/** The root errors of Cosmos SDK v0.50 types/errors/errors.go, with their exact codes and descriptions. */
export const sdkErrors = {
  ErrTxDecode: registerError(ROOT_CODESPACE, 2, "tx parse error"),
  ErrInvalidSequence: registerError(ROOT_CODESPACE, 3, "invalid sequence"),
  ErrUnauthorized: registerError(ROOT_CODESPACE, 4, "unauthorized"),
  ErrInsufficientFunds: registerError(ROOT_CODESPACE, 5, "insufficient funds"),
  ErrUnknownRequest: registerError(ROOT_CODESPACE, 6, "unknown request"),
  ErrInvalidAddress: registerError(ROOT_CODESPACE, 7, "invalid address"),
  ErrInvalidPubKey: registerError(ROOT_CODESPACE, 8, "invalid pubkey"),
  ErrUnknownAddress: registerError(ROOT_CODESPACE, 9, "unknown address"),
  ErrInvalidCoins: registerError(ROOT_CODESPACE, 10, "invalid coins"),
  ErrOutOfGas: registerError(ROOT_CODESPACE, 11, "out of gas"),
  ErrMemoTooLarge: registerError(ROOT_CODESPACE, 12, "memo too large"),
  ErrInsufficientFee: registerError(ROOT_CODESPACE, 13, "insufficient fee"),
  ErrTooManySignatures: registerError(ROOT_CODESPACE, 14, "maximum number of signatures exceeded"),
  ErrNoSignatures: registerError(ROOT_CODESPACE, 15, "no signatures supplied"),
  ErrJSONMarshal: registerError(ROOT_CODESPACE, 16, "failed to marshal JSON bytes"),
  ErrJSONUnmarshal: registerError(ROOT_CODESPACE, 17, "failed to unmarshal JSON bytes"),
  ErrInvalidRequest: registerError(ROOT_CODESPACE, 18, "invalid request"),
  ErrTxInMempoolCache: registerError(ROOT_CODESPACE, 19, "tx already in mempool"),
  ErrMempoolIsFull: registerError(ROOT_CODESPACE, 20, "mempool is full"),
  ErrTxTooLarge: registerError(ROOT_CODESPACE, 21, "tx too large"),
  ErrKeyNotFound: registerError(ROOT_CODESPACE, 22, "key not found"),
  ErrWrongPassword: registerError(ROOT_CODESPACE, 23, "invalid account password"),
  ErrorInvalidSigner: registerError(ROOT_CODESPACE, 24, "tx intended signer does not match the given signer"),
  ErrorInvalidGasAdjustment: registerError(ROOT_CODESPACE, 25, "invalid gas adjustment"),
  ErrInvalidHeight: registerError(ROOT_CODESPACE, 26, "invalid height"),
  ErrInvalidVersion: registerError(ROOT_CODESPACE, 27, "invalid version"),
  ErrInvalidChainID: registerError(ROOT_CODESPACE, 28, "invalid chain-id"),
  ErrInvalidType: registerError(ROOT_CODESPACE, 29, "invalid type"),
  ErrTxTimeoutHeight: registerError(ROOT_CODESPACE, 30, "tx timeout height"),
  ErrUnknownExtensionOptions: registerError(ROOT_CODESPACE, 31, "unknown extension options"),
  ErrWrongSequence: registerError(ROOT_CODESPACE, 32, "incorrect account sequence"),
  ErrPackAny: registerError(ROOT_CODESPACE, 33, "failed packing protobuf message to Any"),
  ErrUnpackAny: registerError(ROOT_CODESPACE, 34, "failed unpacking protobuf message from Any"),
  ErrLogic: registerError(ROOT_CODESPACE, 35, "internal logic error"),
  ErrConflict: registerError(ROOT_CODESPACE, 36, "conflict"),
  ErrNotSupported: registerError(ROOT_CODESPACE, 37, "feature not supported"),
  ErrNotFound: registerError(ROOT_CODESPACE, 38, "not found"),
  ErrIO: registerError(ROOT_CODESPACE, 39, "Internal IO error"),
  ErrAppConfig: registerError(ROOT_CODESPACE, 40, "error in app.toml"),
  ErrInvalidGasLimit: registerError(ROOT_CODESPACE, 41, "invalid gas limit"),
} as const;
