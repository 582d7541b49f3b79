export * from "./types";
export { CommitMultiStore } from "./commit-multistore";
export type { StoreOptions, ProofOp, CommitStats } from "./commit-multistore";
export { CacheKVStore, CacheMultiStoreImpl, branch } from "./cachekv";
export { EMPTY_HASH } from "./sha256";
