/**
 * REST routes of every pegzone.peg.v1.Query method. One rule names them:
 * `/pegzone/peg/v1/<method in snake_case>/{mainchain}[/{the key of a single item}]`, every other
 * request field a query parameter (`page.key`, `page.limit` for lists); `mainchains` lists them all.
 */
import { pegzone } from "../../../proto";
import { grpcRoute, type QueryContext } from "./grpc-route";
import { pbjsType } from "./proto-json";
import { uintText, type QueryParams, type Route } from "./router";

const v1 = pegzone.peg.v1;
const PAGE_PARAMS = { "page.key": "base64 key where the page starts (a previous answer's page.next_key)", "page.limit": "entries per page (0: 100, at most 1,000)" };
/** Heights and ids: uint64 fields that pegzone's generated code holds as JS numbers. */
const MAX_ID = Number.MAX_SAFE_INTEGER;

function page(q: QueryParams): { key: Uint8Array; limit: number } {
  return { key: q.bytes("page.key"), limit: q.uint("page.limit") };
}

export function pegRoutes(ctx: QueryContext): Route[] {
  const peg = (m: string) => `/pegzone.peg.v1.Query/${m}`;
  return [
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/mainchains",
      grpc: peg("MainChains"),
      summary: "every main chain pegzone is pegged to, and the peg authority",
      request: () => v1.QueryMainChainsRequest.encode({}).finish(),
      response: pbjsType(v1.QueryMainChainsResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/client_state/{mainchain}",
      grpc: peg("ClientState"),
      summary: "a main chain's light client: tip, status, the kind's details, the peg's freeze",
      request: (r) => v1.QueryClientStateRequest.encode({ mainchain: r.params.mainchain }).finish(),
      response: pbjsType(v1.QueryClientStateResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/consensus_state/{mainchain}",
      grpc: peg("ConsensusState"),
      summary: "the consensus state stored at or below a height (tendermint kinds)",
      params: { height: "main-chain height (0: the latest)" },
      request: (r) => v1.QueryConsensusStateRequest.encode({ mainchain: r.params.mainchain, height: r.query.uint("height", MAX_ID) }).finish(),
      response: pbjsType(v1.QueryConsensusStateResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/header/{mainchain}",
      grpc: peg("Header"),
      summary: "a stored main-chain header, by best-chain height or by hash (bitcoin kinds)",
      params: { height: "best-chain height", hash: "block hash (display order)" },
      request: (r) => v1.QueryHeaderRequest.encode({ mainchain: r.params.mainchain, height: r.query.uint("height", MAX_ID), hash: r.query.string("hash") }).finish(),
      response: pbjsType(v1.QueryHeaderResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/deposit_address/{mainchain}/{recipient}",
      grpc: peg("DepositAddress"),
      summary: "where a pegzone account deposits (and the memo, for kinds that need one)",
      request: (r) => v1.QueryDepositAddressRequest.encode({ mainchain: r.params.mainchain, recipient: r.params.recipient }).finish(),
      response: pbjsType(v1.QueryDepositAddressResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/registered_addresses/{mainchain}",
      grpc: peg("RegisteredAddresses"),
      summary: "the deposit addresses relayers watch",
      params: PAGE_PARAMS,
      request: (r) => v1.QueryRegisteredAddressesRequest.encode({ mainchain: r.params.mainchain, page: page(r.query) }).finish(),
      response: pbjsType(v1.QueryRegisteredAddressesResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/deposit/{mainchain}/{display_id}",
      grpc: peg("Deposit"),
      summary: "whether a main-chain deposit was claimed (bitcoin id: txid:vout)",
      request: (r) => v1.QueryDepositRequest.encode({ mainchain: r.params.mainchain, displayId: r.params.display_id }).finish(),
      response: pbjsType(v1.QueryDepositResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/reserve/{mainchain}",
      grpc: peg("Reserve"),
      summary: "the reserve, the pegged supply, what releases still owe (pending), the freeze",
      request: (r) => v1.QueryReserveRequest.encode({ mainchain: r.params.mainchain }).finish(),
      response: pbjsType(v1.QueryReserveResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/withdrawals/{mainchain}",
      grpc: peg("Withdrawals"),
      summary: "withdrawals: those listed in `ids`, else an owner's, else all",
      params: { owner: "pegzone address", ids: "a withdrawal id (repeatable)", ...PAGE_PARAMS },
      request: (r) =>
        v1.QueryWithdrawalsRequest.encode({
          mainchain: r.params.mainchain,
          owner: r.query.string("owner"),
          ids: r.query.uints("ids", MAX_ID),
          page: page(r.query),
        }).finish(),
      response: pbjsType(v1.QueryWithdrawalsResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/release/{mainchain}/{id}",
      grpc: peg("Release"),
      summary: "a release with the weight of its signatures",
      request: (r) => v1.QueryReleaseRequest.encode({ mainchain: r.params.mainchain, id: uintText("id", r.params.id, MAX_ID) }).finish(),
      response: pbjsType(v1.QueryReleaseResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/releases/{mainchain}",
      grpc: peg("Releases"),
      summary: "releases of one status (none: all), oldest first",
      params: { status: `${Object.keys(v1.ReleaseStatus).join(" | ")} (or its number)`, ...PAGE_PARAMS },
      request: (r) => v1.QueryReleasesRequest.encode({ mainchain: r.params.mainchain, status: r.query.enumValue("status", v1.ReleaseStatus), page: page(r.query) }).finish(),
      response: pbjsType(v1.QueryReleasesResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/federations/{mainchain}",
      grpc: peg("Federations"),
      summary: "the current federation and the retired ones",
      request: (r) => v1.QueryFederationsRequest.encode({ mainchain: r.params.mainchain }).finish(),
      response: pbjsType(v1.QueryFederationsResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/federation_proposal/{mainchain}",
      grpc: peg("FederationProposal"),
      summary: "the pending federation proposal, if any, and its approvals' weight",
      request: (r) => v1.QueryFederationProposalRequest.encode({ mainchain: r.params.mainchain }).finish(),
      response: pbjsType(v1.QueryFederationProposalResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/peg/v1/release_context/{mainchain}/{federation_id}",
      grpc: peg("ReleaseContext"),
      summary: "the context a federation's next release would be built with (sequential kinds)",
      request: (r) => v1.QueryReleaseContextRequest.encode({ mainchain: r.params.mainchain, federationId: uintText("federation_id", r.params.federation_id, MAX_ID) }).finish(),
      response: pbjsType(v1.QueryReleaseContextResponse),
    }),
  ];
}
