/**
 * The .proto files gRPC reflection describes: the services the node serves and the types their Any
 * fields carry (accounts, keys, the messages in txs, the peg's kinds), from pegzone's proto/ and the
 * SDK's and CometBFT's .proto files that scripts/install-deps.sh puts in .bin/proto.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ProtoSources } from "./descriptors";

const COSMOS_FILES = [
  "cosmos/auth/v1beta1/query.proto",
  "cosmos/bank/v1beta1/query.proto",
  "cosmos/bank/v1beta1/tx.proto",
  "cosmos/tx/v1beta1/service.proto",
  "cosmos/base/tendermint/v1beta1/query.proto",
  "cosmos/base/node/v1beta1/query.proto",
  "cosmos/crypto/secp256k1/keys.proto",
  "cosmos/crypto/ed25519/keys.proto",
  "cosmos/crypto/multisig/keys.proto",
];

const PEGZONE_FILES = [
  "pegzone/peg/v1/query.proto",
  "pegzone/peg/v1/tx.proto",
  "pegzone/peg/bitcoin/v1/bitcoin.proto",
  "pegzone/peg/tendermint/v1/tendermint.proto",
  "pegzone/validators/v1/validators.proto",
];

/** The sources under a checkout; without .bin/proto (deps not installed), pegzone's own alone. */
export function protoSources(root: string): ProtoSources & { cosmos: boolean } {
  const cosmosDir = join(root, ".bin", "proto");
  const cosmos = existsSync(join(cosmosDir, COSMOS_FILES[0]));
  return { roots: [join(root, "proto"), ...(cosmos ? [cosmosDir] : [])], files: [...(cosmos ? COSMOS_FILES : []), ...PEGZONE_FILES], cosmos };
}
