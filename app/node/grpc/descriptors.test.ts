/**
 * The descriptors reflection serves must satisfy Go's resolver (grpcurl): every file a file depends
 * on is served, every type reference is fully qualified and names a type that is served, and map
 * entries are named as protoc names them. Checked over pegzone's .proto files and, when installed,
 * the SDK's.
 */
import { join } from "node:path";
import * as protobuf from "protobufjs";
import { fileDescriptors } from "./descriptors";
import { protoSources } from "./protos";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FileDescriptorProto } = require("protobufjs/ext/descriptor") as { FileDescriptorProto: { decode(b: Uint8Array): any } };

const ROOT = join(__dirname, "..", "..", "..");

interface Message {
  name: string;
  field: Array<{ name: string; typeName?: string; label?: number }>;
  nestedType: Message[];
  enumType: Array<{ name: string }>;
  options?: { mapEntry?: boolean };
}

function decoded(files: Uint8Array[]) {
  return files.map((b) => FileDescriptorProto.decode(b) as { name: string; package: string; dependency: string[]; messageType: Message[]; enumType: Array<{ name: string }>; service: Array<{ name: string; method: Array<{ inputType: string; outputType: string }> }> });
}

/** Every type each file defines, by full name (with the leading dot). */
function definedTypes(files: ReturnType<typeof decoded>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (scope: string, m: Message, file: string) => {
    out.set(`${scope}.${m.name}`, file);
    for (const e of m.enumType) out.set(`${scope}.${m.name}.${e.name}`, file);
    for (const n of m.nestedType) add(`${scope}.${m.name}`, n, file);
  };
  for (const f of files) {
    const scope = f.package ? `.${f.package}` : "";
    for (const m of f.messageType) add(scope, m, f.name);
    for (const e of f.enumType) out.set(`${scope}.${e.name}`, f.name);
  }
  return out;
}

describe("descriptors for Go's resolver", () => {
  const sources = protoSources(ROOT);
  const { files, services } = fileDescriptors(sources);
  const protos = decoded(files);
  const types = definedTypes(protos);
  const names = new Set(protos.map((f) => f.name));

  test(`the services are described${sources.cosmos ? ", the SDK's too" : " (the SDK's .proto files are not installed: pegzone's only)"}`, () => {
    expect(services.get("pegzone.peg.v1.Query")).toEqual(expect.arrayContaining(["Reserve", "Withdrawals", "ClientState"]));
    expect(services.get("pegzone.peg.v1.Msg")).toEqual(expect.arrayContaining(["RequestWithdrawal"]));
    if (sources.cosmos) expect(services.get("cosmos.bank.v1beta1.Query")).toEqual(expect.arrayContaining(["Balance", "AllBalances"]));
  });

  test("files are named as imported, and every dependency is served", () => {
    expect(names).toContain("pegzone/peg/v1/query.proto");
    expect(names).toContain("google/protobuf/any.proto");
    for (const f of protos) for (const d of f.dependency) expect(names).toContain(d);
  });

  test("every type reference is fully qualified, defined in a served file, and that file is a dependency", () => {
    const problems: string[] = [];
    const check = (file: { name: string; dependency: string[] }, where: string, ref: string | undefined) => {
      if (!ref) return;
      const definedIn = types.get(ref);
      if (!ref.startsWith(".")) problems.push(`${where}: ${ref} is relative`);
      else if (definedIn === undefined) problems.push(`${where}: ${ref} is defined nowhere`);
      else if (definedIn !== file.name && !file.dependency.includes(definedIn)) problems.push(`${where}: ${ref} comes from ${definedIn}, not a dependency`);
    };
    const walk = (file: (typeof protos)[number], m: Message, scope: string) => {
      for (const field of m.field) check(file, `${scope}.${m.name}.${field.name}`, field.typeName);
      for (const n of m.nestedType) walk(file, n, `${scope}.${m.name}`);
    };
    for (const f of protos) {
      for (const m of f.messageType) walk(f, m, f.package);
      for (const s of f.service) for (const m of s.method) (check(f, s.name, m.inputType), check(f, s.name, m.outputType));
    }
    expect(problems).toEqual([]);
  });

  test("a map's entry is named as protoc names it", () => {
    const response = protos.find((f) => f.name === "pegzone/peg/v1/query.proto")!.messageType.find((m) => m.name === "QueryClientStateResponse")!;
    const details = response.field.find((f) => f.name === "details")!;
    expect(details.typeName).toBe(".pegzone.peg.v1.QueryClientStateResponse.DetailsEntry");
    expect(response.nestedType.map((n) => [n.name, n.options?.mapEntry])).toContainEqual(["DetailsEntry", true]);
  });

  test("a missing import is an error that names it", () => {
    expect(() => fileDescriptors({ roots: [join(ROOT, "proto")], files: ["pegzone/peg/v1/nothing.proto"] })).toThrow(/nothing\.proto/);
  });

  test("the descriptors decode back into protobufjs, types and services intact", () => {
    const root = (protobuf.Root as unknown as { fromDescriptor(set: object): protobuf.Root }).fromDescriptor({ file: protos });
    expect(root.lookupService("pegzone.peg.v1.Query").methods.Reserve).toBeDefined();
  });
});
