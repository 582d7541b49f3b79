import type { Command } from "commander";
import { BaseAccount, ModuleAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QuerySupplyOfRequest,
  QuerySupplyOfResponse,
  QueryTotalSupplyRequest,
  QueryTotalSupplyResponse,
} from "cosmjs-types/cosmos/bank/v1beta1/query";
import { snakeKeys } from "../../chain/app/json-case";
import { printOutput } from "./output";
import { RpcClient } from "../../chain/client/rpc";

export interface QueryFlags {
  node: string;
  height: string;
  output: string;
}

export function addQueryOptions(cmd: Command): Command {
  return cmd
    .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
    .option("--height <h>", "query state at this height (0 = latest)", "0")
    .option("--output <format>", "text or json", "text");
}

/** Registers `query` and its auth, bank and tx commands; returns `query` for other modules' commands. */
export function registerQueryCommands(program: Command): Command {
  const query = program.command("query").alias("q").description("query the chain's state");

  const bank = query.command("bank").description("balances and supply");
  addQueryOptions(bank.command("balances <address>").description("all balances of an account"))
    .action(async (address: string, o: QueryFlags) => {
      const res = QueryAllBalancesResponse.decode(
        await new RpcClient(o.node).query("/cosmos.bank.v1beta1.Query/AllBalances", QueryAllBalancesRequest.encode({ address, pagination: undefined, resolveDenom: false }).finish(), Number(o.height)),
      );
      printOutput({ balances: res.balances }, o.output === "json" ? "json" : "text");
    });

  addQueryOptions(bank.command("total").description("the total supply of every denom, or of one with --denom"))
    .option("--denom <denom>", "only this denom")
    .action(async (o: QueryFlags & { denom?: string }) => {
      const rpc = new RpcClient(o.node);
      const format = o.output === "json" ? "json" : "text";
      if (o.denom !== undefined) {
        const { amount } = QuerySupplyOfResponse.decode(await rpc.query("/cosmos.bank.v1beta1.Query/SupplyOf", QuerySupplyOfRequest.encode({ denom: o.denom }).finish(), Number(o.height)));
        printOutput({ amount }, format);
        return;
      }
      const { supply } = QueryTotalSupplyResponse.decode(await rpc.query("/cosmos.bank.v1beta1.Query/TotalSupply", QueryTotalSupplyRequest.encode({ pagination: undefined }).finish(), Number(o.height)));
      printOutput({ supply }, format);
    });

  addQueryOptions(query.command("auth").command("account <address>").description("an account's number, sequence and public key"))
    .action(async (address: string, o: QueryFlags) => {
      const { account } = QueryAccountResponse.decode(
        await new RpcClient(o.node).query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address }).finish(), Number(o.height)),
      );
      const json =
        account!.typeUrl === "/cosmos.auth.v1beta1.ModuleAccount"
          ? ModuleAccount.toJSON(ModuleAccount.decode(account!.value))
          : BaseAccount.toJSON(BaseAccount.decode(account!.value));
      printOutput({ "@type": account!.typeUrl, ...(snakeKeys(json) as object) }, o.output === "json" ? "json" : "text");
    });

  query
    .command("tx <hash>")
    .description("a committed transaction's result")
    .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
    .option("--output <format>", "text or json", "text")
    .action(async (hash: string, o: { node: string; output: string }) => {
      const tx = await new RpcClient(o.node).tx(hash);
      if (!tx) throw new Error(`tx ${hash} not found`);
      printOutput({ txhash: tx.hash, height: tx.height, code: tx.tx_result.code, codespace: tx.tx_result.codespace, raw_log: tx.tx_result.log, gas_wanted: tx.tx_result.gas_wanted, gas_used: tx.tx_result.gas_used, events: tx.tx_result.events }, o.output === "json" ? "json" : "text");
    });
  return query;
}
