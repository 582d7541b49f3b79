/**
 * The light-client messages of any kind (ibc-go's MsgUpdateClient and a revival better than its
 * governance-only substitution):
 *  - MsgRelayHeaders from anyone: verify the client message (a refusal writes nothing), check it for
 *    misbehaviour, then apply it, or record the misbehaviour and freeze the peg. Relaying goes on
 *    while the peg is frozen: the light client must keep following the main chain.
 *  - MsgReviveClient from the peg authority only: an Expired client takes a new trusted header. The
 *    header is taken on trust exactly as at registration, so it needs the account that already
 *    decides on freezes; a Frozen client is never revived (its evidence must be examined), and a
 *    kind whose client cannot expire refuses the message.
 */
import type { MsgHandler, ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { parseAddress } from "../../chain/crypto/address";
import { pegzone } from "../../proto";
import { pegErrors } from "./errors";
import type { PegKeeper } from "./keeper";
import { asPegError, blockTimeNanos, requireMainchainId, response } from "./msg-common";

const v1 = pegzone.peg.v1;
export const RELAY_HEADERS = "/pegzone.peg.v1.MsgRelayHeaders";
export const REVIVE_CLIENT = "/pegzone.peg.v1.MsgReviveClient";
/** Headers one MsgRelayHeaders carries at most (bitcoin batches; a tendermint message is one header). */
export const MAX_HEADERS_PER_MSG = 2000;
/** The largest trusted-header JSON a revival takes (a header with its validator sets, 100s of validators). */
const MAX_TRUSTED_BYTES = 1 << 20;

export function registerClientMsgs(registrar: ServiceRegistrar, keeper: PegKeeper): void {
  const relay: MsgHandler<pegzone.peg.v1.MsgRelayHeaders> = {
    signers: (msg) => [msg.relayer],
    validate(msg) {
      parseAddress(msg.relayer, "relayer");
      requireMainchainId(msg.mainchain);
      if (msg.headers.length === 0) throw sdkErrors.ErrInvalidRequest.wrap("no headers");
      if (msg.headers.length > MAX_HEADERS_PER_MSG) throw sdkErrors.ErrInvalidRequest.wrap(`${msg.headers.length} headers; at most ${MAX_HEADERS_PER_MSG} per message`);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const kind = keeper.kind(chain);
      const client = kind.lightClient;
      const config = kind.clientConfig(chain);
      const store = keeper.clientStore(ctx, chain.id);
      const now = blockTimeNanos(ctx);
      // A client's refusal (thrown or rejected) is ErrInvalidHeaders; anything else is a bug and rethrown.
      const refusing = async <T>(step: () => Promise<T>): Promise<T> => {
        try {
          return await step();
        } catch (e) {
          return asPegError(e, pegErrors.ErrInvalidHeaders);
        }
      };
      const verified = await refusing(() => client.verifyClientMessage(store, config, msg.headers, now));
      const evidence = await refusing(() => client.checkForMisbehaviour(store, config, verified));
      const update = await refusing(() =>
        evidence === undefined ? client.updateState(store, config, verified, now) : client.updateStateOnMisbehaviour(store, config, verified, evidence, now),
      );
      ctx.events.emit("relay_headers", [
        ["mainchain", chain.id],
        ["added", String(update.added)],
        ["tip_height", String(update.latestHeight)],
        ["tip_hash", update.latestHash],
        ...update.attributes,
      ]);
      // Whatever the kind, misbehaviour means a block something was counted on may be gone (or two
      // histories were signed): nothing more is minted or released until the authority has checked.
      if (evidence !== undefined) await keeper.freeze(ctx, chain.id, `misbehaviour of ${chain.id}: ${evidence}`);
      const reorgDepth = Number(update.attributes.find(([k]) => k === "reorg_depth")?.[1] ?? 0);
      const out = v1.MsgRelayHeadersResponse.create({ added: update.added, tipHeight: Number(update.latestHeight), tipHash: update.latestHash, reorgDepth });
      return response(RELAY_HEADERS, v1.MsgRelayHeadersResponse.encode(out).finish());
    },
  };
  registrar.msg(RELAY_HEADERS, { decode: (b) => v1.MsgRelayHeaders.decode(b) }, relay);

  const revive: MsgHandler<pegzone.peg.v1.MsgReviveClient> = {
    signers: (msg) => [msg.authority],
    validate(msg) {
      parseAddress(msg.authority, "authority");
      requireMainchainId(msg.mainchain);
      if (msg.trusted.length === 0 || msg.trusted.length > MAX_TRUSTED_BYTES)
        throw sdkErrors.ErrInvalidRequest.wrap(`the trusted header must be 1 to ${MAX_TRUSTED_BYTES} bytes of JSON, got ${msg.trusted.length}`);
    },
    async handle(ctx, msg) {
      const authority = await keeper.getAuthority(ctx);
      if (authority === "" || msg.authority !== authority) throw sdkErrors.ErrUnauthorized.wrap(`only the peg authority ${authority || "(none set)"} may revive a light client`);
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const kind = keeper.kind(chain);
      if (kind.lightClient.revive === undefined) throw pegErrors.ErrUnsupported.wrap(`a ${chain.clientType} light client never expires; nothing to revive`);
      let trusted: unknown;
      try {
        trusted = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(msg.trusted));
      } catch (e) {
        throw sdkErrors.ErrInvalidRequest.wrap(`the trusted header is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
      const store = keeper.clientStore(ctx, chain.id);
      const revive = kind.lightClient.revive;
      let height: bigint;
      try {
        ({ height } = await revive(store, kind.clientConfig(chain), trusted, blockTimeNanos(ctx)));
      } catch (e) {
        asPegError(e, pegErrors.ErrInvalidHeaders);
      }
      ctx.events.emit("client_revived", [["mainchain", chain.id], ["height", String(height)], ["authority", msg.authority]]);
      return response(REVIVE_CLIENT, v1.MsgReviveClientResponse.encode({ height: Number(height) }).finish());
    },
  };
  registrar.msg(REVIVE_CLIENT, { decode: (b) => v1.MsgReviveClient.decode(b) }, revive);
}
