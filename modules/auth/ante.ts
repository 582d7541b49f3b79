import type { Context } from "../../chain/app/context";
import type { AnteHandler } from "../../chain/app/tx-runner";
import { ADDRESS_PREFIX, fromBech32, toBech32 } from "../../chain/crypto/address";
import type { DecodedTx } from "../../chain/tx/decode";
import { sdkErrors } from "../../chain/tx/errors";
import type { MsgRegistry } from "../../chain/tx/registry";
import { verifyTxSignatures } from "../../chain/tx/verify";
import { areValidCoins, formatCoins, type Coin } from "../../chain/types/coins";
import { coversAny, requiredFees, type DecCoin } from "../../chain/types/fees";
import type { Secp256k1Verifier } from "../../chain/crypto/secp256k1";
import type { BankKeeper } from "./expected-keepers";
import type { AccountKeeper } from "./keeper";
import type { Account } from "./types";

export interface AnteDeps {
  accounts: AccountKeeper;
  bank: BankKeeper;
  /** The module account fees go to. */
  feeCollector: string;
  /** This node's mempool minimum (app.toml minimum-gas-prices); only CheckTx applies it. */
  minGasPrices: DecCoin[];
  registry: MsgRegistry;
}

/**
 * The SDK's default ante chain, in its order and with its codes: signature count, timeout height
 * (30), memo size (12), tx size gas, the node's minimum fee in CheckTx (13), fee granter (18: fee
 * grants are not enabled), fee payer (9), fee coins (13) and their deduction (5), public keys (8),
 * signature limit (14), signature gas, sequence (32) and signatures (4), then every signer's
 * sequence is incremented.
 */
export function newAnteHandler(deps: AnteDeps): AnteHandler {
  return async (ctx: Context, tx: DecodedTx, signerAddresses: readonly string[], verify: Secp256k1Verifier) => {
    const params = await deps.accounts.getParams(ctx);
    if (tx.signatures.length === 0) throw sdkErrors.ErrNoSignatures.error();
    if (tx.signatures.length !== signerAddresses.length) {
      throw sdkErrors.ErrUnauthorized.wrap(`wrong number of signers; expected ${signerAddresses.length}, got ${tx.signatures.length}`);
    }
    if (tx.timeoutHeight > 0n && ctx.header.height > tx.timeoutHeight) {
      throw sdkErrors.ErrTxTimeoutHeight.wrap(`block height: ${ctx.header.height}, timeout height: ${tx.timeoutHeight}`);
    }
    const memoChars = codePoints(tx.memo);
    if (BigInt(memoChars) > params.maxMemoCharacters) {
      throw sdkErrors.ErrMemoTooLarge.wrap(`maximum number of characters is ${params.maxMemoCharacters} but received ${memoChars} characters`);
    }
    ctx.gasMeter.consume(params.txSizeCostPerByte * BigInt(tx.txBytes.length), "txSize");

    const fee: Coin[] = tx.fee.amount;
    if (ctx.mode === "check" || ctx.mode === "recheck") {
      const required = requiredFees(deps.minGasPrices, tx.fee.gasLimit);
      if (!coversAny(fee, required)) {
        throw sdkErrors.ErrInsufficientFee.wrap(`insufficient fees; got: ${formatCoins(fee) || "0"} required: ${formatCoins(required)}`);
      }
    }
    // The SDK's DeductFeeDecorator without x/feegrant: a granter would be ignored, so it is refused.
    if (tx.fee.granter !== "") throw sdkErrors.ErrInvalidRequest.wrap("fee grants are not enabled");
    const payerText = tx.fee.payer || signerAddresses[0];
    const payer = fromBech32(payerText, ADDRESS_PREFIX);
    if (!(await deps.accounts.hasAccount(ctx, payer))) throw sdkErrors.ErrUnknownAddress.wrap(`fee payer address: ${payerText} does not exist`);
    // As the SDK's DeductFees, a fee that is not zero is paid only in valid coins (no repeated denom).
    if (fee.some((c) => c.amount !== 0n)) {
      if (!areValidCoins(fee)) throw sdkErrors.ErrInsufficientFee.wrap(`invalid fee amount: ${formatCoins(fee)}`);
      try {
        await deps.bank.sendCoinsFromAccountToModule(ctx, payer, deps.feeCollector, fee);
      } catch (err) {
        throw sdkErrors.ErrInsufficientFunds.wrap(`insufficient funds to pay for fees; ${err instanceof Error ? err.message : err}`);
      }
    } else if (ctx.mode === "simulate" && deps.minGasPrices.length > 0) {
      // Wallets (CosmJS "auto") simulate with no fee, then pay one: charge the transfer's reads and
      // writes here, on the discarded simulation branch, so the estimate covers them.
      await deps.bank.sendCoinsFromAccountToModule(ctx, payer, deps.feeCollector, [{ denom: deps.minGasPrices[0].denom, amount: 1n }]).catch(() => undefined);
    }
    ctx.events.emit("tx", [["fee", formatCoins(fee)], ["fee_payer", payerText]]);

    const accounts: Account[] = [];
    for (const text of signerAddresses) {
      const account = await deps.accounts.getAccount(ctx, fromBech32(text, ADDRESS_PREFIX));
      if (!account) throw sdkErrors.ErrUnknownAddress.wrap(`account ${text} does not exist`);
      accounts.push(account);
    }
    if (BigInt(tx.signatures.length) > params.txSigLimit) {
      throw sdkErrors.ErrTooManySignatures.wrap(`signatures: ${tx.signatures.length}, limit: ${params.txSigLimit}`);
    }
    for (let i = 0; i < tx.signatures.length; i++) ctx.gasMeter.consume(params.sigVerifyCostSecp256k1, "ante verify: secp256k1");

    // Simulations carry empty signatures, and RECHECK already verified them: the SDK skips both.
    // A proposal is built from this node's mempool, whose txs CheckTx verified; FinalizeBlock
    // verifies every signature again on every node, so skipping them here never admits a bad one.
    const skipSignatures = ctx.mode === "simulate" || ctx.mode === "recheck" || ctx.mode === "prepare";
    const keys = verifyTxSignatures(
      tx,
      ctx.header.chainId,
      accounts.map((a) => ({ address: a.address, accountNumber: a.accountNumber, sequence: a.sequence, pubkey: a.pubkey ?? null })),
      { registry: deps.registry, verifySignatures: !skipSignatures, verifier: verify },
    );

    accounts.forEach((account, i) => {
      ctx.events.emit("tx", [["acc_seq", `${toBech32(ADDRESS_PREFIX, account.address)}/${account.sequence}`]]);
      ctx.events.emit("tx", [["signature", Buffer.from(tx.signatures[i]).toString("base64")]]);
      deps.accounts.setAccount(ctx, { ...account, pubkey: keys[i].pubkey, sequence: account.sequence + 1n });
    });
  };
}

/** The characters (code points) of `s`, counted without copying it: a refused memo may be most of a 1 MB tx. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
