import type * as abci from "cosmjs-types/tendermint/abci/types";

/**
 * What the ABCI socket server needs from an application: one async handler per ABCI 2.0 request.
 * Echo and Flush are answered by the server itself. The server calls these one at a time, across
 * all four connections, so an implementation never sees two requests interleave.
 */
export interface AbciApplication {
  info(req: abci.RequestInfo): Promise<abci.ResponseInfo>;
  initChain(req: abci.RequestInitChain): Promise<abci.ResponseInitChain>;
  query(req: abci.RequestQuery): Promise<abci.ResponseQuery>;
  checkTx(req: abci.RequestCheckTx): Promise<abci.ResponseCheckTx>;
  prepareProposal(req: abci.RequestPrepareProposal): Promise<abci.ResponsePrepareProposal>;
  processProposal(req: abci.RequestProcessProposal): Promise<abci.ResponseProcessProposal>;
  finalizeBlock(req: abci.RequestFinalizeBlock): Promise<abci.ResponseFinalizeBlock>;
  commit(req: abci.RequestCommit): Promise<abci.ResponseCommit>;
  extendVote(req: abci.RequestExtendVote): Promise<abci.ResponseExtendVote>;
  verifyVoteExtension(req: abci.RequestVerifyVoteExtension): Promise<abci.ResponseVerifyVoteExtension>;
  listSnapshots(req: abci.RequestListSnapshots): Promise<abci.ResponseListSnapshots>;
  offerSnapshot(req: abci.RequestOfferSnapshot): Promise<abci.ResponseOfferSnapshot>;
  loadSnapshotChunk(req: abci.RequestLoadSnapshotChunk): Promise<abci.ResponseLoadSnapshotChunk>;
  applySnapshotChunk(req: abci.RequestApplySnapshotChunk): Promise<abci.ResponseApplySnapshotChunk>;
}
