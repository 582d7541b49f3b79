/**
 * A local single-validator Cosmos Hub for tests: the product's `Gaiad` (app/node/gaiad.ts, which
 * `pegzone devnet` runs too) in a temporary home, made as /work/shared/notes/cosmos-hub.md "A local
 * Hub for tests" describes: `init`, keys in the test keyring, genesis accounts, a gentx,
 * `collect-gentxs`; blocks every `timeout_commit` (1 s by default).
 *
 * Ports: a block of PORT_BLOCK from `freePortBlock` (test/support/harness.ts). Every listener of
 * config.toml (proxy_app, rpc.laddr, p2p.laddr, pprof_laddr, prometheus) and app.toml (api, grpc,
 * grpc-web) is put on 127.0.0.1 in the block or disabled; the files are read back to check it.
 *
 * gaiad runs as the leader of its own process group; `stop()` signals the whole group and waits until
 * every member has died, so nothing outlives the test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bech32Data, Gaiad, gaiadBinary, gaiadInstalled, gaiadMissing, HUB_DENOM, type HubAccount, type SentTx } from "../../app/node/gaiad";
import { configureGaiad, initGaiadHome } from "../../app/node/gaiad-home";
import { freePortBlock, liveProcesses, sleep } from "./harness";

export { bech32Data, type HubAccount, type SentTx };

export const GAIAD = gaiadBinary();
export const haveGaiad = (): boolean => gaiadInstalled(GAIAD);
/** Why a test needing gaiad is skipped. */
export const GAIAD_MISSING = gaiadMissing(GAIAD);

export const DENOM = HUB_DENOM;
const PORT_BLOCK = 10;

export interface HubOptions {
  readonly chainId?: string;
  /** config.toml consensus.timeout_commit; default "1s". */
  readonly timeoutCommit?: string;
}

export class LocalHub extends Gaiad {
  private constructor(
    home: string,
    chainId: string,
    readonly basePort: number,
    /** The validator's operator account; it also pays fees. */
    readonly validator: HubAccount,
    /** A funded account for the tests' transfers. */
    readonly user: HubAccount,
  ) {
    super({ home, chainId, rpcPort: basePort + 1, p2pPort: basePort + 2, binary: GAIAD });
  }

  /** A fresh home with genesis, keys and port configuration; not started. */
  static async create(o: HubOptions = {}): Promise<LocalHub> {
    if (!haveGaiad()) throw new Error(GAIAD_MISSING);
    const chainId = o.chainId ?? "localhub-1";
    const home = mkdtempSync(join(tmpdir(), "pegzone-gaiad-"));
    try {
      const keys = await initGaiadHome({
        home,
        chainId,
        moniker: "localhub",
        accounts: [
          { name: "validator", coins: `1000000000000${DENOM}` },
          { name: "user", coins: `1000000000000${DENOM}` },
        ],
        validator: { name: "validator", selfDelegation: `100000000${DENOM}` },
        binary: GAIAD,
      });
      const b = await freePortBlock(PORT_BLOCK);
      // B+0 proxy_app, B+1 RPC, B+2 P2P, B+3 API (off), B+4 gRPC, B+5 Prometheus (off); pprof and gRPC-web off.
      configureGaiad(home, { ports: { proxyApp: b, rpc: b + 1, p2p: b + 2, api: b + 3, grpc: b + 4, prometheus: b + 5 }, chainId, timeoutCommit: o.timeoutCommit ?? "1s" });
      return new LocalHub(home, chainId, b, keys.validator, keys.user);
    } catch (e) {
      rmSync(home, { recursive: true, force: true });
      throw e;
    }
  }

  /** SIGTERM to the whole process group (SIGKILL after 15 s); waits until every member has died. */
  override async stop(): Promise<void> {
    const group = this.pid;
    await super.stop();
    if (group === undefined) return;
    const deadline = Date.now() + 10_000;
    while (liveProcesses((p) => p.pgrp === group).length > 0) {
      if (Date.now() > deadline) throw new Error(`gaiad's process group ${group} still alive 10 s after it exited`);
      await sleep(20);
    }
  }

  /** Stops gaiad and deletes the home. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.home, { recursive: true, force: true });
  }

  /**
   * `gaiad tx bank send FROM TO AMOUNT --note MEMO --gas-prices 1stake --yes --output json` (FROM
   * default the user), then waits until it is in a block. A refusal at CheckTx (non-zero code)
   * throws; a failure in the block is returned with its code.
   */
  sendWithMemo(o: { from?: HubAccount; to: string; amount: bigint; memo: string; timeoutMs?: number }): Promise<SentTx> {
    return this.bankSend({ ...o, from: (o.from ?? this.user).name });
  }
}

/** The bank balance key of the notes: 0x02 ‖ len(addr) ‖ addr ‖ denom. */
export function bankBalanceKey(address: Uint8Array, denom = DENOM): Uint8Array {
  return Uint8Array.from([0x02, address.length, ...address, ...Buffer.from(denom, "utf8")]);
}

// ---- multisigned releases (modules/peg/tendermint/release-gaiad.test.ts)

/** An account as `gaiad query auth account` shows it. */
export interface HubAccountState {
  readonly accountNumber: bigint;
  readonly sequence: bigint;
}

/** The first value of `key` anywhere in a JSON tree (the CLI nests accounts by type). */
function findJsonField(v: unknown, key: string): unknown {
  if (typeof v !== "object" || v === null) return undefined;
  if (key in v) return (v as Record<string, unknown>)[key];
  for (const child of Object.values(v)) {
    const found = findJsonField(child, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `gaiad query auth account ADDRESS --output json`: its account number and sequence (an absent sequence is 0). */
export async function hubAccountState(hub: LocalHub, address: string): Promise<HubAccountState> {
  const out = JSON.parse(await hub.run(["query", "auth", "account", address, "--output", "json", "--node", hub.node, "--home", hub.home])) as unknown;
  const number = findJsonField(out, "account_number");
  const sequence = findJsonField(out, "sequence");
  return { accountNumber: BigInt(String(number ?? "0")), sequence: BigInt(String(sequence ?? "0")) };
}

/** The answer of CometBFT's `broadcast_tx_sync` (CheckTx's result). */
export interface BroadcastAnswer {
  readonly code: number;
  readonly log: string;
  readonly codespace: string;
  /** sha256(tx), uppercase hex. */
  readonly hash: string;
}

/** `broadcast_tx_sync` of raw tx bytes over the Hub's CometBFT RPC. */
export async function broadcastTxSync(hub: LocalHub, tx: Uint8Array): Promise<BroadcastAnswer> {
  const r = (await hub.rpc.call("broadcast_tx_sync", { tx: `0x${Buffer.from(tx).toString("hex")}` })) as { code?: number; log?: string; codespace?: string; hash?: string };
  return { code: Number(r.code ?? 0), log: String(r.log ?? ""), codespace: String(r.codespace ?? ""), hash: String(r.hash ?? "").toUpperCase() };
}

/** Polls `/tx` until the tx hashing to `hash` is in a block; its height and deterministic result. */
export async function waitForTx(hub: LocalHub, hash: string, timeoutMs = 30_000): Promise<{ height: bigint; code: number; gasWanted: bigint; gasUsed: bigint; tx: Uint8Array }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await hub.rpc.tx(hash, false).catch(() => undefined);
    if (found !== undefined) return { height: found.height, code: found.result.code, gasWanted: found.result.gasWanted, gasUsed: found.result.gasUsed, tx: found.tx };
    if (Date.now() > deadline) throw new Error(`tx ${hash} not in a block after ${timeoutMs} ms`);
    await sleep(200);
  }
}
