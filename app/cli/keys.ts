import type { Command } from "commander";
import { Keyring, type KeyringBackend } from "../../chain/keys/keyring";
import { Home } from "../node/home";
import { printOutput } from "./output";

export interface KeyringFlags {
  home?: string;
  keyringBackend: KeyringBackend;
}

/** The file backend's passphrase comes from PEGZONE_KEYRING_PASSPHRASE, as scripts need no prompt. */
export function openKeyring(o: KeyringFlags): Keyring {
  if (o.keyringBackend !== "file" && o.keyringBackend !== "test") throw new Error(`unknown keyring backend ${o.keyringBackend}`);
  return new Keyring({ backend: o.keyringBackend, home: Home.resolve(o.home).dir, passphrase: process.env.PEGZONE_KEYRING_PASSPHRASE });
}

export function addKeyringOptions(cmd: Command): Command {
  return cmd
    .option("--home <dir>", "home folder holding the keyring (default ~/.pegzone)")
    .option("--keyring-backend <backend>", "file (encrypted; passphrase in PEGZONE_KEYRING_PASSPHRASE) or test (unencrypted)", "file")
    .option("--output <format>", "text or json", "text");
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("manage local keys (BIP39 mnemonics, coin type 118)");

  addKeyringOptions(keys.command("add <name>").description("create a key and print its mnemonic once").option("--recover", "read a mnemonic from PEGZONE_MNEMONIC instead of creating one"))
    .action(async (name: string, o: KeyringFlags & { recover?: boolean; output: string }) => {
      const keyring = openKeyring(o);
      if (o.recover) {
        const mnemonic = process.env.PEGZONE_MNEMONIC;
        if (!mnemonic) throw new Error("--recover reads the mnemonic from PEGZONE_MNEMONIC");
        printOutput(await keyring.recover(name, mnemonic), asFormat(o.output));
        return;
      }
      const { info, mnemonic } = await keyring.add(name);
      if (o.output === "json") printOutput({ ...info, mnemonic }, "json");
      else console.log(`${formatKey(info)}\n\nWrite this mnemonic down; it is the only way to recover the key:\n\n${mnemonic}\n`);
    });

  addKeyringOptions(keys.command("list").description("list keys")).action(async (o: KeyringFlags & { output: string }) => {
    const list = await openKeyring(o).list();
    if (o.output === "json") printOutput(list, "json");
    else console.log(list.map(formatKey).join("\n\n") || "no keys");
  });

  addKeyringOptions(keys.command("show <name>").description("show a key's address and public key")).action(async (name: string, o: KeyringFlags & { output: string }) => {
    const info = await openKeyring(o).show(name);
    if (o.output === "json") printOutput(info, "json");
    else console.log(formatKey(info));
  });

  addKeyringOptions(keys.command("delete <name>").description("delete a key")).action(async (name: string, o: KeyringFlags) => {
    await openKeyring(o).delete(name);
    console.log(`key ${name} deleted`);
  });
}

function formatKey(k: { name: string; address: string; pubkey: string }): string {
  return `- name: ${k.name}\n  address: ${k.address}\n  pubkey: ${k.pubkey}`;
}

export function asFormat(output: string): "json" | "text" {
  return output === "json" ? "json" : "text";
}
