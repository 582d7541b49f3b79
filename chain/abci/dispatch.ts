import type { Request, Response } from "cosmjs-types/tendermint/abci/types";
import type { AbciApplication } from "./application";

/** Calls the application method the request names and wraps its answer in the matching Response field. */
export async function callApplication(app: AbciApplication, req: Request): Promise<Response> {
  if (req.info) return { info: await app.info(req.info) };
  if (req.initChain) return { initChain: await app.initChain(req.initChain) };
  if (req.query) return { query: await app.query(req.query) };
  if (req.checkTx) return { checkTx: await app.checkTx(req.checkTx) };
  if (req.prepareProposal) return { prepareProposal: await app.prepareProposal(req.prepareProposal) };
  if (req.processProposal) return { processProposal: await app.processProposal(req.processProposal) };
  if (req.finalizeBlock) return { finalizeBlock: await app.finalizeBlock(req.finalizeBlock) };
  if (req.commit) return { commit: await app.commit(req.commit) };
  if (req.extendVote) return { extendVote: await app.extendVote(req.extendVote) };
  if (req.verifyVoteExtension) return { verifyVoteExtension: await app.verifyVoteExtension(req.verifyVoteExtension) };
  if (req.listSnapshots) return { listSnapshots: await app.listSnapshots(req.listSnapshots) };
  if (req.offerSnapshot) return { offerSnapshot: await app.offerSnapshot(req.offerSnapshot) };
  if (req.loadSnapshotChunk) return { loadSnapshotChunk: await app.loadSnapshotChunk(req.loadSnapshotChunk) };
  if (req.applySnapshotChunk) return { applySnapshotChunk: await app.applySnapshotChunk(req.applySnapshotChunk) };
  // Echo and Flush are answered by the connection; the decoder rejects requests without a method.
  throw new Error("request names no application method");
}
