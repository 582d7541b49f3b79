/**
 * The .proto descriptions gRPC reflection serves (what `grpcurl list` and `describe` read), built
 * from the .proto sources at start: pegzone's own (proto/) and the SDK's, CometBFT's and their
 * imports (.bin/proto, taken from the Go module proxy by scripts/install-deps.sh).
 *
 * protobufjs parses them; its descriptors are fixed here for Go's resolver, which grpcurl uses: one
 * file per .proto (named as imported), every type reference fully qualified, and each file's
 * `dependency` list naming the files its types come from. Options (gogoproto, amino, HTTP rules)
 * are left out: no client needs them to call a method, and they would drag in their own files.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as protobuf from "protobufjs";
// protobufjs' descriptor extension adds toDescriptor() to the reflection objects and the descriptor codecs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const descriptor = require("protobufjs/ext/descriptor") as DescriptorModule;

interface FieldProto {
  name: string;
  typeName?: string;
}
interface MessageProto {
  name: string;
  field: FieldProto[];
  nestedType: MessageProto[];
  options?: unknown;
}
interface MethodProto {
  name: string;
  inputType: string;
  outputType: string;
  options?: unknown;
}
interface ServiceProto {
  name: string;
  method: MethodProto[];
  options?: unknown;
}
interface FileProto {
  name: string;
  package?: string;
  dependency: string[];
  messageType: object[];
  enumType: object[];
  service: object[];
  syntax: string;
}
interface DescriptorModule {
  FileDescriptorProto: { create(value: FileProto): object; encode(message: object): { finish(): Uint8Array } };
}
type Described = protobuf.ReflectionObject & { toDescriptor(syntax?: string): object };

/** The services' .proto files, as imported (relative to one of `roots`). */
export interface ProtoSources {
  roots: string[];
  files: string[];
}

export interface Descriptors {
  /** Each file defining a type or service reachable from the sources, encoded as a FileDescriptorProto. */
  files: Uint8Array[];
  /** The methods of every service the sources define (not those of files they only import), by full name. */
  services: Map<string, string[]>;
}

export function fileDescriptors(sources: ProtoSources): Descriptors {
  const roots = sources.roots.map((r) => resolve(r));
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const dir of roots) {
      const path = join(dir, target);
      if (existsSync(path)) return path;
    }
    // protobufjs' bundled google/protobuf types, or a missing file it reports
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(sources.files, { keepCase: true });
  root.resolveAll();
  // protobufjs keeps the well-known types it bundles without a file name
  const nameOf = (object: protobuf.ReflectionObject): string => {
    if (object.filename === null) return wellKnownFile(object.fullName);
    const dir = roots.find((r) => !relative(r, object.filename as string).startsWith(".."));
    return dir === undefined ? object.filename : relative(dir, object.filename);
  };

  const byFile = new Map<string, { package: string; objects: Described[] }>();
  collect(root, (object, pkg) => {
    const name = nameOf(object);
    const file = byFile.get(name) ?? { package: pkg, objects: [] };
    file.objects.push(object as Described);
    byFile.set(name, file);
  });

  const files = new Map<string, FileProto>();
  const services = new Map<string, string[]>();
  const want = [...sources.files];
  while (want.length > 0) {
    const name = want.pop() as string;
    if (files.has(name)) continue;
    const entry = byFile.get(name);
    if (entry === undefined) throw new Error(`${name}: no types or services found in it`);
    const deps = new Set<string>();
    const reference = (type: protobuf.ReflectionObject | null): string => {
      if (type === null) throw new Error(`${name}: an unresolved type`);
      const from = nameOf(type);
      if (from !== name) deps.add(from);
      return type.fullName;
    };
    const file: FileProto = { name, package: entry.package || undefined, dependency: [], messageType: [], enumType: [], service: [], syntax: "proto3" };
    for (const object of entry.objects) {
      if (object instanceof protobuf.Type) file.messageType.push(messageProto(object, reference));
      else if (object instanceof protobuf.Enum) file.enumType.push(object.toDescriptor());
      else if (object instanceof protobuf.Service) {
        file.service.push(serviceProto(object, reference));
        if (sources.files.includes(name)) services.set(object.fullName.slice(1), Object.keys(object.methods));
      }
    }
    file.dependency = [...deps].sort();
    want.push(...file.dependency);
    files.set(name, file);
  }
  return { files: [...files.values()].map((f) => descriptor.FileDescriptorProto.encode(descriptor.FileDescriptorProto.create(f)).finish()), services };
}

const WELL_KNOWN_FILES: Record<string, string> = {
  Any: "any", Timestamp: "timestamp", Duration: "duration", Empty: "empty", FieldMask: "field_mask",
  Struct: "struct", Value: "struct", ListValue: "struct", NullValue: "struct",
  DoubleValue: "wrappers", FloatValue: "wrappers", Int64Value: "wrappers", UInt64Value: "wrappers", Int32Value: "wrappers",
  UInt32Value: "wrappers", BoolValue: "wrappers", StringValue: "wrappers", BytesValue: "wrappers",
};

/** The file that defines a google.protobuf well-known type. */
function wellKnownFile(fullName: string): string {
  const m = /^\.google\.protobuf\.(\w+)$/.exec(fullName);
  const file = m === null ? undefined : WELL_KNOWN_FILES[m[1]];
  if (file === undefined) throw new Error(`${fullName}: no .proto file is known for it`);
  return `google/protobuf/${file}.proto`;
}

/** Every top-level message, enum and service, with its package. */
function collect(ns: protobuf.NamespaceBase, add: (object: protobuf.ReflectionObject, pkg: string) => void): void {
  for (const object of ns.nestedArray) {
    if (object instanceof protobuf.Type || object instanceof protobuf.Enum || object instanceof protobuf.Service) add(object, ns.fullName.replace(/^\./, ""));
    else if (object instanceof protobuf.Namespace) collect(object, add);
  }
}

type Reference = (type: protobuf.ReflectionObject | null) => string;

/** A message's descriptor with its fields' (and nested messages' and map entries') types fully qualified. */
function messageProto(type: protobuf.Type, reference: Reference): object {
  const proto = (type as unknown as Described).toDescriptor("proto3") as MessageProto;
  qualify(type, proto, reference);
  return proto;
}

function qualify(type: protobuf.Type, proto: MessageProto, reference: Reference): void {
  delete proto.options;
  for (const nested of proto.nestedType) {
    const inner = type.nested?.[nested.name];
    if (inner instanceof protobuf.Type) qualify(inner, nested, reference);
  }
  for (const field of proto.field) {
    if (field.typeName === undefined || field.typeName === "") continue;
    const source = type.fields[field.name];
    if (source instanceof protobuf.MapField) mapEntry(type, source, field, proto, reference);
    else field.typeName = reference(source.resolvedType);
  }
}

/**
 * A map field's entry message, which protobufjs names after the field ("Details") and Go requires
 * named as protoc does ("DetailsEntry"); its value refers to the map's value type.
 */
function mapEntry(owner: protobuf.Type, map: protobuf.MapField, field: FieldProto, proto: MessageProto, reference: Reference): void {
  const entry = proto.nestedType.find((n) => n.name === field.typeName);
  if (entry === undefined) throw new Error(`${owner.fullName}.${map.name}: protobufjs gave no map entry`);
  entry.name = `${map.name.replace(/(?:^|_)(\w)/g, (_, c: string) => c.toUpperCase())}Entry`;
  field.typeName = `${owner.fullName}.${entry.name}`;
  const value = entry.field.find((f) => f.name === "value");
  if (value?.typeName) value.typeName = reference(map.resolvedType);
}

function serviceProto(service: protobuf.Service, reference: Reference): object {
  const proto = (service as unknown as Described).toDescriptor() as ServiceProto;
  delete proto.options;
  for (const method of proto.method) {
    const source = service.methods[method.name].resolve() as protobuf.Method;
    method.inputType = reference(source.resolvedRequestType);
    method.outputType = reference(source.resolvedResponseType);
    delete method.options;
  }
  return proto;
}
