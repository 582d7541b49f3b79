import { SdkError } from "../tx/errors";

/** The few CometBFT RPC calls pegzone's clients make (CLI, relayer, signer); results are checked before use. */
export class RpcClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/^tcp:/, "http:").replace(/\/$/, "");
  }

  private async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    } catch (err) {
      throw new Error(`cannot reach ${this.url}: ${err instanceof Error ? err.message : err}`);
    }
    const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}${body.error.data ? `: ${body.error.data}` : ""}`);
    return body.result as T;
  }

  /** An ABCI query; a non-zero code becomes an SdkError with the app's codespace, code and log. */
  async query(path: string, data: Uint8Array, height = 0): Promise<Uint8Array> {
    const { response } = await this.call<{ response: { code: number; codespace: string; log: string; value: string | null } }>("abci_query", {
      path,
      data: Buffer.from(data).toString("hex"),
      height: String(height),
      prove: false,
    });
    if (response.code !== 0) throw new SdkError(response.codespace, response.code, response.log);
    return Buffer.from(response.value ?? "", "base64");
  }

  async chainId(): Promise<string> {
    return (await this.call<{ node_info: { network: string } }>("status", {})).node_info.network;
  }

  async latestHeight(): Promise<number> {
    const h = Number((await this.call<{ sync_info: { latest_block_height: string } }>("status", {})).sync_info.latest_block_height);
    if (!Number.isSafeInteger(h) || h < 0) throw new Error(`${this.url} reported no valid latest height`);
    return h;
  }

  /** The hash of the block at `height` (hex, upper case, as CometBFT prints it). */
  async blockHash(height: number): Promise<string> {
    const hash = (await this.call<{ block_id: { hash: string } }>("block", { height: String(height) })).block_id.hash;
    if (!/^[0-9A-F]{64}$/i.test(hash ?? "")) throw new Error(`${this.url} gave no valid hash for block ${height}`);
    return hash.toUpperCase();
  }

  async broadcastSync(tx: Uint8Array): Promise<{ code: number; codespace: string; log: string; hash: string }> {
    return this.call("broadcast_tx_sync", { tx: Buffer.from(tx).toString("base64") });
  }

  /** The committed tx, or undefined while it is not in a block yet. */
  async tx(hash: string): Promise<TxResponse | undefined> {
    try {
      return await this.call<TxResponse>("tx", { hash: Buffer.from(hash, "hex").toString("base64"), prove: false });
    } catch (err) {
      if (err instanceof Error && /not found/.test(err.message)) return undefined;
      throw err;
    }
  }

  async waitForTx(hash: string, timeoutMs = 30_000): Promise<TxResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.tx(hash);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`tx ${hash} was not committed within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export interface TxResponse {
  hash: string;
  height: string;
  tx_result: { code: number; codespace: string; log: string; data?: string | null; gas_wanted: string; gas_used: string; events: unknown[] };
}
