import { join } from "node:path";
import { defaultAppConfig, Home, initHome, portsFrom, newGenesis, writeCometConfig, writeGenesis, type AbciTransport, type AppConfig, type GenesisDoc, type GenesisValidator, type Ports } from "./home";

export interface TestnetOptions {
  validators: number;
  outputDir: string;
  chainId: string;
  /** Node i uses basePort + 10·i for P2P, +1 for RPC and +2 for ABCI over TCP. */
  basePort: number;
  /** Default "unix": each node's socket in its data folder. */
  abci?: AbciTransport;
  timeoutCommit?: string;
  appConfig?: AppConfig;
  /** Writes each module's genesis section; the same document goes to every node. */
  appState?: (nodes: TestnetNode[]) => Record<string, unknown>;
  genesisTime: Date;
}

export interface TestnetNode {
  home: Home;
  moniker: string;
  nodeId: string;
  ports: Ports;
  /** config.toml's proxy_app: unix://<home>/data/abci.sock, or tcp://127.0.0.1:<ports.abci>. */
  abci: string;
  /** The node's federation signing key (compressed secp256k1), also in its config/signer_key.json. */
  signerPubkey: Uint8Array;
  /** Its CometBFT validator key and power, as genesis.json lists it. */
  validator: GenesisValidator;
}

/** N validator homes sharing one genesis, peered with each other on 127.0.0.1 with distinct ports. */
export function createTestnet(o: TestnetOptions): { nodes: TestnetNode[]; genesis: GenesisDoc } {
  if (!Number.isInteger(o.validators) || o.validators < 1) throw new Error("--validators must be a positive integer");
  const nodes: TestnetNode[] = [];
  const validators = [];
  const ports = (i: number): Ports => portsFrom(o.basePort + 10 * i);
  // Node IDs are needed for everyone's peer list before the config files can be written, so initialise in two passes.
  for (let i = 0; i < o.validators; i++) {
    const home = new Home(join(o.outputDir, `node${i}`));
    const moniker = `node${i}`;
    const { validator, nodeId, signerPubkey, abci } = initHome(home, { moniker, ports: ports(i), abci: o.abci, timeoutCommit: o.timeoutCommit }, o.appConfig ?? defaultAppConfig);
    validators.push(validator);
    nodes.push({ home, moniker, nodeId, ports: ports(i), abci, signerPubkey, validator });
  }
  for (const node of nodes) {
    const peers = nodes.filter((n) => n !== node).map((n) => `${n.nodeId}@127.0.0.1:${n.ports.p2p}`).join(",");
    rewritePeers(node, peers, o.timeoutCommit);
  }
  const genesis = newGenesis(o.chainId, validators, o.appState?.(nodes) ?? {}, o.genesisTime);
  for (const node of nodes) writeGenesis(node.home, genesis);
  return { nodes, genesis };
}

function rewritePeers(node: TestnetNode, peers: string, timeoutCommit: string | undefined): void {
  writeCometConfig(node.home, { moniker: node.moniker, ports: node.ports, persistentPeers: peers, timeoutCommit }, node.abci);
}
