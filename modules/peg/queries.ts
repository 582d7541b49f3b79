import { queryHandler as handler, type ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { pegzone } from "../../proto";
import { parseAddress } from "../../chain/crypto/address";
import { peggedDenom, type PegKeeper } from "./keeper";
import { pageFrom } from "./paging";
import { pegErrors } from "./errors";
import { asPegError, blockTimeNanos, recipientAddress } from "./msg-common";
import { approvalWeight, depositFederations } from "./rotation";

const v1 = pegzone.peg.v1;
const path = (method: string) => `/pegzone.peg.v1.Query/${method}`;

export function registerPegQueries(registrar: ServiceRegistrar, keeper: PegKeeper): void {
  registrar.query(
    path("MainChains"),
    handler(v1.QueryMainChainsRequest, v1.QueryMainChainsResponse, async (ctx) =>
      v1.QueryMainChainsResponse.create({ mainchains: await keeper.allMainChains(ctx), authority: await keeper.getAuthority(ctx) }),
    ),
  );

  registrar.query(
    path("ClientState"),
    handler(v1.QueryClientStateRequest, v1.QueryClientStateResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const kind = keeper.kind(chain);
      const summary = await kind.lightClient.summary(keeper.clientStore(ctx, chain.id), kind.clientConfig(chain), blockTimeNanos(ctx));
      return v1.QueryClientStateResponse.create({
        clientType: chain.clientType,
        tipHeight: Number(summary.latestHeight),
        tipHash: summary.latestHash,
        status: summary.status,
        details: { ...summary.details },
        freeze: await keeper.getFreeze(ctx, chain.id),
      });
    }),
  );

  registrar.query(
    path("ConsensusState"),
    handler(v1.QueryConsensusStateRequest, v1.QueryConsensusStateResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const client = keeper.kind(chain).lightClient;
      if (client.consensusState === undefined) throw pegErrors.ErrUnsupported.wrap(`a ${chain.clientType} light client keeps no consensus state per height; query its headers`);
      const found = await client.consensusState(keeper.clientStore(ctx, chain.id), BigInt(req.height));
      if (found === undefined) throw sdkErrors.ErrNotFound.wrap(`${chain.id}: no consensus state stored at or below height ${req.height}`);
      return v1.QueryConsensusStateResponse.create({ height: Number(found.height), details: { ...found.details } });
    }),
  );

  registrar.query(
    path("Header"),
    handler(v1.QueryHeaderRequest, v1.QueryHeaderResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const at = req.hash !== "" ? { hash: req.hash } : { height: req.height };
      // A malformed hash or height is the light client's refusal: an invalid request, not a bug.
      const kind = keeper.kind(chain);
      if (kind.header === undefined) throw pegErrors.ErrUnsupported.wrap(`${chain.id} (${chain.clientType}) keeps no header store; query its client state`);
      const info = await kind.header(keeper.clientStore(ctx, chain.id), at).catch((e: unknown) => asPegError(e, sdkErrors.ErrInvalidRequest));
      if (info === undefined) throw sdkErrors.ErrNotFound.wrap(`${chain.id}: no stored header ${"hash" in at ? at.hash : `at height ${at.height}`}`);
      return v1.QueryHeaderResponse.create({
        height: info.height,
        hash: info.hash,
        header: Buffer.from(info.header, "hex"),
        chainWork: info.chainWork,
        onBestChain: info.onBestChain,
      });
    }),
  );

  registrar.query(
    path("DepositAddress"),
    handler(v1.QueryDepositAddressRequest, v1.QueryDepositAddressResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const deposit = keeper.deposits(chain).depositAddress(chain, chain.federation!, recipientAddress(req.recipient));
      return v1.QueryDepositAddressResponse.create({ ...deposit, federationId: chain.federation!.id });
    }),
  );

  registrar.query(
    path("RegisteredAddresses"),
    handler(v1.QueryRegisteredAddressesRequest, v1.QueryRegisteredAddressesResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      // Each registered recipient under every federation whose deposits a claim would accept now
      // (current first, then retired ones in their grace window), so relayers watch all of them.
      const kind = keeper.deposits(chain);
      // A claim sent now lands in the next block: the grace window is judged at that height.
      const federations = await depositFederations(ctx, keeper, chain, Number(ctx.header.height) + 1);
      const addresses: pegzone.peg.v1.RegisteredAddress[] = [];
      const { items, nextKey } = await keeper.registeredAddressesPage(ctx, chain.id, pageFrom(req.page));
      for (const entry of items) {
        const recipient = parseAddress(entry.recipient, "registered recipient");
        for (const f of federations) {
          const d = Number(f.id) === Number(entry.federationId) ? entry : kind.depositAddress(chain, f, recipient);
          addresses.push(v1.RegisteredAddress.create({ mainchain: chain.id, recipient: entry.recipient, address: d.address, script: d.script, federationId: f.id }));
        }
      }
      return v1.QueryRegisteredAddressesResponse.create({ addresses, page: { nextKey } });
    }),
  );

  registrar.query(
    path("Deposit"),
    handler(v1.QueryDepositRequest, v1.QueryDepositResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const flow = keeper.deposits(chain);
      let id: Uint8Array;
      try {
        id = flow.parseDepositId(req.displayId);
      } catch (e) {
        throw sdkErrors.ErrInvalidRequest.wrap(`deposit id ${JSON.stringify(req.displayId)}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const deposit = await keeper.getDeposit(ctx, chain.id, id);
      return v1.QueryDepositResponse.create({ claimed: deposit !== undefined, deposit });
    }),
  );

  registrar.query(
    path("Reserve"),
    handler(v1.QueryReserveRequest, v1.QueryReserveResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      return v1.QueryReserveResponse.create({
        total: (await keeper.reserveTotal(ctx, chain.id)).toString(),
        supply: (await keeper.bank.supplyOf(ctx, peggedDenom(chain.id))).toString(),
        pending: (await keeper.inFlight(ctx, chain.id)).toString(),
        entries: await keeper.reserveEntries(ctx, chain.id),
        freeze: await keeper.getFreeze(ctx, chain.id),
      });
    }),
  );

  registrar.query(
    path("Withdrawals"),
    handler(v1.QueryWithdrawalsRequest, v1.QueryWithdrawalsResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      if (req.ids.length > 0) {
        if (req.ids.length > 1000) throw sdkErrors.ErrInvalidRequest.wrap("at most 1,000 ids per query");
        const withdrawals = [];
        for (const id of req.ids) {
          const w = await keeper.getWithdrawal(ctx, chain.id, Number(id));
          if (w === undefined) throw sdkErrors.ErrNotFound.wrap(`${chain.id}: no withdrawal ${id}`);
          withdrawals.push(w);
        }
        return v1.QueryWithdrawalsResponse.create({ withdrawals });
      }
      const page = pageFrom(req.page);
      const { items, nextKey } =
        req.owner !== "" ? await keeper.withdrawalsOf(ctx, chain.id, parseAddress(req.owner, "owner"), page) : await keeper.withdrawalsPage(ctx, chain.id, page);
      return v1.QueryWithdrawalsResponse.create({ withdrawals: items, page: { nextKey } });
    }),
  );

  registrar.query(
    path("Release"),
    handler(v1.QueryReleaseRequest, v1.QueryReleaseResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const release = await keeper.getRelease(ctx, chain.id, Number(req.id));
      if (!release) throw sdkErrors.ErrNotFound.wrap(`${chain.id}: no release ${req.id}`);
      // Weighed in the federation that signs it (a retired one for a sweep or a release built before a rotation).
      const federation = (await keeper.federationById(ctx, chain, Number(release.federationId))) ?? chain.federation!;
      const members = federation.members ?? [];
      const signedWeight = release.signatures.reduce((sum, s) => sum + (members.find((m) => Buffer.from(m.pubkey!).equals(Buffer.from(s.pubkey!)))?.weight ?? 0), 0);
      return v1.QueryReleaseResponse.create({ release, signedWeight, threshold: federation.threshold });
    }),
  );

  registrar.query(
    path("Releases"),
    handler(v1.QueryReleasesRequest, v1.QueryReleasesResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const { RELEASE_STATUS_SIGNING, RELEASE_STATUS_SIGNED } = v1.ReleaseStatus;
      // signers and relayers ask for live ones: served from the index, whatever the history's length
      const live = req.status === RELEASE_STATUS_SIGNING || req.status === RELEASE_STATUS_SIGNED;
      if (live) return v1.QueryReleasesResponse.create({ releases: (await keeper.liveReleases(ctx, chain.id)).filter((r) => r.status === req.status) });
      const { items, nextKey } = await keeper.releasesPage(ctx, chain.id, pageFrom(req.page));
      return v1.QueryReleasesResponse.create({ releases: req.status === 0 ? items : items.filter((r) => r.status === req.status), page: { nextKey } });
    }),
  );

  registrar.query(
    path("Federations"),
    handler(v1.QueryFederationsRequest, v1.QueryFederationsResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      return v1.QueryFederationsResponse.create({ current: chain.federation, retired: await keeper.retiredFederations(ctx, chain.id), grace: chain.federationGrace });
    }),
  );

  registrar.query(
    path("ReleaseContext"),
    handler(v1.QueryReleaseContextRequest, v1.QueryReleaseContextResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const flow = keeper.releases(chain);
      const federation = await keeper.federationById(ctx, chain, Number(req.federationId));
      if (!federation) throw sdkErrors.ErrNotFound.wrap(`${chain.id}: no federation ${req.federationId}`);
      if (!flow.releaseContext) throw pegErrors.ErrUnsupported.wrap(`${chain.id} (${chain.clientType}) builds releases without a context`);
      try {
        return v1.QueryReleaseContextResponse.create({ context: await flow.releaseContext(keeper.kindStores(ctx, chain.id), chain, federation) });
      } catch (e) {
        return v1.QueryReleaseContextResponse.create({ missing: e instanceof Error ? e.message : String(e) });
      }
    }),
  );

  registrar.query(
    path("FederationProposal"),
    handler(v1.QueryFederationProposalRequest, v1.QueryFederationProposalResponse, async (ctx, req) => {
      const chain = await keeper.mustGetMainChain(ctx, req.mainchain);
      const proposal = await keeper.getFederationProposal(ctx, chain.id);
      return v1.QueryFederationProposalResponse.create({
        proposal,
        approvedWeight: proposal ? approvalWeight(chain.federation!, proposal.approvals) : 0,
        threshold: chain.federation!.threshold,
      });
    }),
  );
}
