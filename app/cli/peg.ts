/** `pegzone query peg ...` and `pegzone tx peg ...`: the peg module from the command line. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { pegzone } from "../../proto";
import { pegTypeUrls } from "../../modules/peg/msgs";
import { mainChainToJson } from "../../modules/peg/module";
import { MAINCHAIN_KINDS } from "../pegzone";
import { snakeKeys } from "../../chain/app/json-case";
import { ADDRESS_PREFIX, fromBech32 } from "../../chain/crypto/address";
import { anyMsg } from "../../chain/client/query";
import { pegQuery } from "../../modules/peg/client";
import { openKeyring } from "./keys";
import { printOutput } from "./output";
import { addQueryOptions, type QueryFlags } from "./query";
import { RpcClient } from "../../chain/client/rpc";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { addSignerKeyOptions, addTxOptions, broadcastAndPrint, keyOrSignerKey, type TxFlags } from "./tx";

const v1 = pegzone.peg.v1;
const JSON_OPTIONS = { longs: String, bytes: String, enums: String, defaults: true } as const;

function show<T>(type: { toObject(message: T, options: typeof JSON_OPTIONS): object }, message: T, o: { output: string }): void {
  printOutput(snakeKeys(type.toObject(message, JSON_OPTIONS)), o.output === "json" ? "json" : "text");
}

interface MainchainFlag {
  mainchain: string;
}

interface PageFlags {
  pageKey?: string;
  limit: string;
}

/** List queries answer a page at a time; the answer's page.next_key goes into --page-key for the next one. */
function withPage(cmd: Command): Command {
  return cmd.option("--page-key <base64>", "where the page starts (a previous answer's page.next_key)").option("--limit <n>", "entries per page (at most 1,000)", "100");
}

function pageOf(o: PageFlags): { key: Uint8Array; limit: number } {
  return { key: Buffer.from(o.pageKey ?? "", "base64"), limit: Number.parseInt(o.limit, 10) };
}

const DEFAULT_NODE = "http://127.0.0.1:26657";

export function registerPegQueryCommands(query: Command): void {
  const peg = query.command("peg").description("the peg module: main chains, light clients, deposits, reserves");
  const withMainchain = (cmd: Command) => addQueryOptions(cmd).option("--mainchain <id>", "main chain id", "btc-regtest");
  const rpcOf = (o: QueryFlags) => new RpcClient(o.node);

  addQueryOptions(peg.command("mainchains").description("registered main chains, their parameters and federations")).action(async (o: QueryFlags) => {
    const res = await pegQuery(rpcOf(o), "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse, Number(o.height));
    // Each chain's params in its genesis form ({"@type", ...settings}), decoded by its kind.
    const mainchains = res.mainchains.map((raw) => {
      const c = v1.MainChain.create(raw);
      return Object.hasOwn(MAINCHAIN_KINDS, c.clientType) ? mainChainToJson(c, MAINCHAIN_KINDS[c.clientType]) : snakeKeys(v1.MainChain.toObject(c, JSON_OPTIONS));
    });
    printOutput({ mainchains, authority: res.authority }, o.output === "json" ? "json" : "text");
  });

  withMainchain(peg.command("client-state").description("the light client's latest height and hash, status (Active, Frozen, Expired), its kind's facts and the freeze state")).action(async (o: QueryFlags & MainchainFlag) => {
    show(v1.QueryClientStateResponse, await pegQuery(rpcOf(o), "ClientState", v1.QueryClientStateRequest, { mainchain: o.mainchain }, v1.QueryClientStateResponse, Number(o.height)), o);
  });

  withMainchain(peg.command("header <height_or_hash>").description("a stored main-chain header, by best-chain height or by hash")).action(
    async (at: string, o: QueryFlags & MainchainFlag) => {
      const request = /^[0-9a-f]{64}$/.test(at) ? { mainchain: o.mainchain, hash: at } : { mainchain: o.mainchain, height: Number.parseInt(at, 10) };
      show(v1.QueryHeaderResponse, await pegQuery(rpcOf(o), "Header", v1.QueryHeaderRequest, request, v1.QueryHeaderResponse, Number(o.height)), o);
    },
  );

  withMainchain(
    peg
      .command("deposit-address <recipient>")
      .description(
        "the main-chain address that pays RECIPIENT on pegzone (script and witness_script in hex; tendermint: the federation's account, and the memo a send to it must carry), whether relayers watch it, and if not the commands that register it or claim a deposit by hand",
      ),
  ).action(async (recipient: string, o: QueryFlags & MainchainFlag) => {
    const rpc = rpcOf(o);
    const height = Number(o.height);
    // First the address: a bad recipient or main chain is refused with its own error, whatever the other two queries say.
    const res = await pegQuery(rpc, "DepositAddress", v1.QueryDepositAddressRequest, { mainchain: o.mainchain, recipient }, v1.QueryDepositAddressResponse, height);
    const [registered, kind] = await Promise.all([isRegistered(rpc, o.mainchain, recipient, height), mainChainKind(rpc, o.mainchain, height)]);
    printOutput(depositAddressAnswer(res, { kind, registered, mainchain: o.mainchain, recipient, node: o.node }), o.output === "json" ? "json" : "text");
  });

  withPage(withMainchain(peg.command("registered-addresses").description("deposit addresses relayers are asked to watch (script in hex)"))).action(async (o: QueryFlags & MainchainFlag & PageFlags) => {
    const res = await pegQuery(rpcOf(o), "RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain: o.mainchain, page: pageOf(o) }, v1.QueryRegisteredAddressesResponse, Number(o.height));
    const json = snakeKeys(v1.QueryRegisteredAddressesResponse.toObject(res, JSON_OPTIONS)) as { addresses: Array<Record<string, unknown>>; page?: unknown };
    // Scripts as Bitcoin users read them; page.next_key stays base64, as --page-key takes it.
    json.addresses = json.addresses.map((a, i) => ({ ...a, script: hex(res.addresses[i].script) }));
    printOutput(json, o.output === "json" ? "json" : "text");
  });

  withMainchain(peg.command("deposit <id>").description("whether a main-chain deposit has been claimed, by its id as the main chain writes it (bitcoin: txid:vout)")).action(async (displayId: string, o: QueryFlags & MainchainFlag) => {
    show(v1.QueryDepositResponse, await pegQuery(rpcOf(o), "Deposit", v1.QueryDepositRequest, { mainchain: o.mainchain, displayId }, v1.QueryDepositResponse, Number(o.height)), o);
  });

  withPage(withMainchain(peg.command("withdrawals <owner>").description("an account's withdrawals and their status"))).action(async (owner: string, o: QueryFlags & MainchainFlag & PageFlags) => {
    show(v1.QueryWithdrawalsResponse, await pegQuery(rpcOf(o), "Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: o.mainchain, owner, page: pageOf(o) }, v1.QueryWithdrawalsResponse, Number(o.height)), o);
  });

  withMainchain(peg.command("withdrawal <id>").description("one withdrawal and its status")).action(async (id: string, o: QueryFlags & MainchainFlag) => {
    const { withdrawals } = await pegQuery(rpcOf(o), "Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: o.mainchain, ids: [Number.parseInt(id, 10)] }, v1.QueryWithdrawalsResponse, Number(o.height));
    if (withdrawals.length === 0) throw new Error(`no withdrawal ${id} on ${o.mainchain}`);
    show(v1.Withdrawal, v1.Withdrawal.create(withdrawals[0]), o);
  });

  withMainchain(peg.command("release <id>").description("a release: status, signatures collected, the raw transaction when complete")).action(async (id: string, o: QueryFlags & MainchainFlag) => {
    show(v1.QueryReleaseResponse, await pegQuery(rpcOf(o), "Release", v1.QueryReleaseRequest, { mainchain: o.mainchain, id: Number.parseInt(id, 10) }, v1.QueryReleaseResponse, Number(o.height)), o);
  });

  withMainchain(peg.command("reserve").description("the federation's reserve: total, entries (bitcoin: outputs), pegged supply and freeze state")).action(async (o: QueryFlags & MainchainFlag) => {
    show(v1.QueryReserveResponse, await pegQuery(rpcOf(o), "Reserve", v1.QueryReserveRequest, { mainchain: o.mainchain }, v1.QueryReserveResponse, Number(o.height)), o);
  });

  withMainchain(peg.command("federations").description("the current federation, the retired ones (with the height they retired) and the deposit grace window")).action(
    async (o: QueryFlags & MainchainFlag) => {
      show(v1.QueryFederationsResponse, await pegQuery(rpcOf(o), "Federations", v1.QueryFederationsRequest, { mainchain: o.mainchain }, v1.QueryFederationsResponse, Number(o.height)), o);
    },
  );

  withMainchain(peg.command("federation-proposal").description("the pending federation proposal, its approvals and their weight")).action(async (o: QueryFlags & MainchainFlag) => {
    show(
      v1.QueryFederationProposalResponse,
      await pegQuery(rpcOf(o), "FederationProposal", v1.QueryFederationProposalRequest, { mainchain: o.mainchain }, v1.QueryFederationProposalResponse, Number(o.height)),
      o,
    );
  });
}

/** Bytes as lowercase hex, as Bitcoin users read scripts (protobuf JSON would print base64). */
function hex(bytes: Uint8Array | null | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array()).toString("hex");
}

/**
 * Whether RECIPIENT has registered its deposit address on MAINCHAIN. Registrations are keyed by the
 * recipient's 20 bytes, so the page starting at that key holds its registration first, if any.
 */
async function isRegistered(rpc: RpcClient, mainchain: string, recipient: string, height: number): Promise<boolean> {
  let key: Uint8Array;
  try {
    key = fromBech32(recipient, ADDRESS_PREFIX);
  } catch {
    return false; // not an address (the DepositAddress query asked first refuses it)
  }
  const { addresses } = await pegQuery(rpc, "RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain, page: { key, limit: 1 } }, v1.QueryRegisteredAddressesResponse, height);
  return addresses.some((a) => {
    try {
      return Buffer.from(fromBech32(a.recipient ?? "", ADDRESS_PREFIX)).equals(Buffer.from(key));
    } catch {
      return false;
    }
  });
}

/** The client type (kind) MAINCHAIN is registered with: "" when there is no such main chain (the DepositAddress query says so). */
async function mainChainKind(rpc: RpcClient, mainchain: string, height: number): Promise<string> {
  const { mainchains } = await pegQuery(rpc, "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse, height);
  return mainchains.find((c) => c.id === mainchain)?.clientType ?? "";
}

/**
 * `query peg deposit-address`'s answer. Scripts are hex. It also says whether a deposit to the
 * address is minted without anything more from the recipient:
 *
 * - bitcoin: every recipient has an address of its own (a P2WSH committing to it), which relayers
 *   cannot guess, so they watch only registered ones (`registered-addresses`). Unregistered, the
 *   answer says so and prints the `tx peg register-address` command; once it lands, relayers also
 *   claim deposits made before it (from blocks pegzone's light client holds). A deposit can always
 *   be claimed by hand with `tx peg claim`, registered or not.
 * - tendermint: one federation account for all, the recipient in the memo; relayers watch that
 *   account (`tx_search`), so no registration is needed.
 */
export function depositAddressAnswer(
  res: pegzone.peg.v1.IQueryDepositAddressResponse,
  o: { kind: string; registered: boolean; mainchain: string; recipient: string; node: string },
): Record<string, unknown> {
  const answer: Record<string, unknown> = {
    address: res.address ?? "",
    script: hex(res.script),
    witness_script: hex(res.witnessScript),
    federation_id: String(res.federationId ?? 0),
  };
  if (res.memo) answer.memo = res.memo;
  const nodeFlag = o.node === DEFAULT_NODE ? "" : ` --node ${o.node}`;
  const chainFlags = `--mainchain ${o.mainchain}${nodeFlag}`;
  if (o.kind === "tendermint") {
    answer.registered = o.registered;
    answer.watched = true;
    answer.note = `relayers watch the federation's account and mint every send to it whose memo is exactly ${o.recipient}: no registration needed. Without a running relayer, claim a send yourself with the claim command.`;
    answer.claim_command = `pegzone tx peg claim --from KEY --tx-hash HASH --rpc MAINCHAIN_RPC ${chainFlags}`;
    return answer;
  }
  answer.registered = o.registered;
  answer.watched = o.registered;
  if (o.registered) {
    answer.note = "registered: relayers watch this address and mint what is paid to it once confirmed";
    return answer;
  }
  answer.register_command = `pegzone tx peg register-address --from KEY --recipient ${o.recipient} ${chainFlags}`;
  if (o.kind !== "bitcoin") {
    answer.note = "NOT registered: relayers do not watch this address, so nothing paid to it is minted until you register it (register_command). KEY is any key of yours that pays the fee.";
    return answer;
  }
  answer.note =
    "NOT registered: relayers do not watch this address, so nothing paid to it is minted until you either register it (register_command; relayers then also claim deposits made before, from the blocks pegzone's light client still holds) or claim a deposit yourself (claim_command). KEY is any key of yours that pays the fee.";
  answer.claim_command = `pegzone tx peg claim --from KEY --recipient ${o.recipient} --btc-txid TXID --btc-rpc BITCOIN_RPC_URL ${chainFlags}`;
  return answer;
}

/** `PUBKEYHEX:WEIGHT:ACCOUNT,...` as federation members. */
export function parseFederationMembers(text: string): pegzone.peg.v1.IFederationMember[] {
  return text.split(",").map((item, i) => {
    const m = /^([0-9a-fA-F]+):([0-9]+):([a-z0-9]+1[a-z0-9]+)$/.exec(item.trim());
    if (!m || m[1].length % 2 !== 0) throw new Error(`member ${i}: expected PUBKEYHEX:WEIGHT:ACCOUNT, got ${JSON.stringify(item)}`);
    return { pubkey: Buffer.from(m[1], "hex"), weight: Number.parseInt(m[2], 10), account: m[3] };
  });
}

/** A header argument of `relay-headers`: hex (an optional 0x), or @FILE for the file's raw bytes. */
function headerBytes(arg: string, i: number): Uint8Array {
  if (arg.startsWith("@")) return readFileSync(arg.slice(1));
  const hex = arg.replace(/^0x/i, "");
  if (hex.length === 0 || !/^([0-9a-fA-F]{2})+$/.test(hex)) throw new Error(`header ${i}: expected hex bytes or @FILE, got ${JSON.stringify(arg.length > 40 ? `${arg.slice(0, 40)}...` : arg)}`);
  return Buffer.from(hex, "hex");
}

/** Registers `tx peg ...`; returns `tx peg` for commands that live elsewhere (claim). */
export function registerPegTxCommands(tx: Command): Command {
  const peg = tx.command("peg").description("peg transactions");
  const withFrom = (cmd: Command) =>
    addTxOptions(cmd).requiredOption("--from <key>", "key that signs and pays the fee").option("--mainchain <id>", "main chain id", "btc-regtest");

  withFrom(peg.command("register-address").description("ask relayers to watch a deposit address and claim what is paid to it"))
    .option("--recipient <address>", "pegzone account the deposits go to (default: --from)")
    .action(async (o: TxFlags & MainchainFlag & { from: string; recipient?: string }) => {
      const signer = await openKeyring(o).signer(o.from);
      const msg = anyMsg(pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddress, { sender: signer.address, mainchain: o.mainchain, recipient: o.recipient ?? "" });
      await broadcastAndPrint(o, signer, [msg]);
    });

  // What the relayers send, by hand: to replay a header, or to see how pegzone answers a doubtful one.
  withFrom(
    peg
      .command("relay-headers <header...>")
      .description("relay raw main-chain headers in one MsgRelayHeaders, each as hex or @FILE (its raw bytes): bitcoin 80-byte headers oldest first, or one tendermint ibc.lightclients.tendermint.v1.Header"),
  ).action(async (headers: string[], o: TxFlags & MainchainFlag & { from: string }) => {
    const signer = await openKeyring(o).signer(o.from);
    const msg = anyMsg(pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: signer.address, mainchain: o.mainchain, headers: headers.map(headerBytes) });
    await broadcastAndPrint(o, signer, [msg]);
  });

  withFrom(peg.command("withdraw <amount> <address>").description("redeem AMOUNT of peg/<mainchain> (smallest unit) to a main-chain ADDRESS")).action(
    async (amount: string, address: string, o: TxFlags & MainchainFlag & { from: string }) => {
      const signer = await openKeyring(o).signer(o.from);
      const msg = anyMsg(pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: signer.address, mainchain: o.mainchain, amount, destination: address });
      await broadcastAndPrint(o, signer, [msg], (res) => {
        const [response] = TxMsgData.decode(Buffer.from(res.data ?? "", "hex")).msgResponses;
        return { withdrawal_id: String(v1.MsgRequestWithdrawalResponse.decode(response.value).id) };
      });
    },
  );

  withFrom(peg.command("cancel-withdrawal <id>").description("take back a withdrawal no release pays yet")).action(async (id: string, o: TxFlags & MainchainFlag & { from: string }) => {
    const signer = await openKeyring(o).signer(o.from);
    await broadcastAndPrint(o, signer, [anyMsg(pegTypeUrls.cancelWithdrawal, v1.MsgCancelWithdrawal, { owner: signer.address, mainchain: o.mainchain, id: Number.parseInt(id, 10) })]);
  });

  withFrom(
    peg
      .command("revive-client [trusted_json_file]")
      .description("revive an Expired light client with a trusted header (the peg authority only): from a file, or fetched from a node with --trusted-rpc")
      .option("--trusted-rpc <url>", "a CometBFT RPC of the main chain to fetch the trusted header from (check its hash against a source you trust)")
      .option("--trusted-height <n>", "the height of the trusted header (default: the node's latest)"),
  ).action(async (file: string | undefined, o: TxFlags & MainchainFlag & { from: string; trustedRpc?: string; trustedHeight?: string }) => {
    if ((file === undefined) === (o.trustedRpc === undefined)) throw new Error("give either a trusted header file or --trusted-rpc");
    const signer = await openKeyring(o).signer(o.from);
    let trusted: Uint8Array;
    if (file !== undefined) trusted = readFileSync(file);
    else {
      const rpc = new CometRpcClient(o.trustedRpc!);
      const height = o.trustedHeight === undefined ? (await rpc.status()).latestHeight : BigInt(o.trustedHeight);
      trusted = Buffer.from(JSON.stringify(await rpc.lightBlockJson(height)));
      process.stderr.write(`trusted header: height ${height} of ${o.trustedRpc}\n`);
    }
    await broadcastAndPrint(o, signer, [anyMsg(pegTypeUrls.reviveClient, v1.MsgReviveClient, { authority: signer.address, mainchain: o.mainchain, trusted })]);
  });

  withFrom(peg.command("unfreeze").description("lift a freeze of a peg (the peg authority only)")).action(async (o: TxFlags & MainchainFlag & { from: string }) => {
    const signer = await openKeyring(o).signer(o.from);
    await broadcastAndPrint(o, signer, [anyMsg(pegTypeUrls.unfreeze, v1.MsgUnfreeze, { authority: signer.address, mainchain: o.mainchain })]);
  });

  // A member's account is by default the address of its signer key (app/cli/genesis.ts).
  const asMember = (cmd: Command) => addSignerKeyOptions(cmd).option("--mainchain <id>", "main chain id", "btc-regtest");
  asMember(peg.command("propose-federation").description("propose the next federation (members of the current one only; counts as your approval)"))
    .requiredOption("--members <list>", "comma-separated PUBKEYHEX:WEIGHT:ACCOUNT (33-byte compressed key, weight, the member's pegzone account)")
    .requiredOption("--threshold <n>", "weight of signatures a spend needs (more than half the total)")
    .action(async (o: TxFlags & MainchainFlag & { from?: string; signerKey?: boolean; members: string; threshold: string }) => {
      const members = parseFederationMembers(o.members);
      const threshold = Number.parseInt(o.threshold, 10);
      if (!Number.isInteger(threshold) || threshold < 1) throw new Error(`--threshold must be a positive integer, got ${JSON.stringify(o.threshold)}`);
      const signer = await keyOrSignerKey(o);
      await broadcastAndPrint(o, signer, [anyMsg(pegTypeUrls.proposeFederation, v1.MsgProposeFederation, { proposer: signer.address, mainchain: o.mainchain, members, threshold })]);
    });

  asMember(peg.command("approve-federation <proposal_id>").description("approve the pending federation proposal (members of the current federation only)"))
    .option("--proposed-at <height>", "approve only the proposal made at this height (default: the pending one as queried now)")
    .action(async (id: string, o: TxFlags & MainchainFlag & { from?: string; signerKey?: boolean; proposedAt?: string }) => {
      const proposalId = Number.parseInt(id, 10);
      let proposedAt = o.proposedAt === undefined ? 0 : Number.parseInt(o.proposedAt, 10);
      if (o.proposedAt === undefined) {
        // Pin the approval to the proposal as it is now, so it cannot count for a replacement.
        const pending = await pegQuery(new RpcClient(o.node), "FederationProposal", v1.QueryFederationProposalRequest, { mainchain: o.mainchain }, v1.QueryFederationProposalResponse);
        if (pending.proposal && Number(pending.proposal.id) === proposalId) proposedAt = Number(pending.proposal.proposedAt);
      }
      const signer = await keyOrSignerKey(o);
      await broadcastAndPrint(o, signer, [anyMsg(pegTypeUrls.approveFederation, v1.MsgApproveFederation, { approver: signer.address, mainchain: o.mainchain, proposalId, proposedAt })]);
    });
  return peg;
}
