/**
 * The OpenAPI 3 description of the REST server, made from its route table (so it cannot list a
 * route the server lacks, or miss one): paths, path and query parameters, POST bodies and the error
 * shape every route shares.
 */
import { APP_VERSION } from "../../../chain/app/baseapp";
import type { Route } from "./router";

const ERROR_SCHEMA = {
  type: "object",
  description: "a gRPC status, as grpc-gateway writes it",
  properties: { code: { type: "integer", description: "gRPC status code" }, message: { type: "string" }, details: { type: "array", items: { type: "object" } } },
};

export function openApi(routes: readonly Route[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const path = route.path.replace(/\{(\w+)=\*\*\}/g, "{$1}");
    const pathParams = [...route.path.matchAll(/\{(\w+)(?:=\*\*)?\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const operation: Record<string, unknown> = {
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(\w)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
      ...(route.grpc ? { description: `gRPC: ${route.grpc}` } : {}),
      responses: {
        "200": route.contentType
          ? { description: "the answer", content: { [route.contentType.split(";")[0]]: { schema: { type: "string" } } } }
          : { description: "the answer, as the Cosmos SDK's REST server writes it", content: { "application/json": { schema: { type: "object" } } } },
        default: { description: "an error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
    const params = Object.entries(route.params ?? {});
    if (route.method === "GET") {
      operation.parameters = [...pathParams, ...params.map(([name, description]) => ({ name, in: "query", required: false, description, schema: { type: "string" } }))];
    } else {
      operation.parameters = pathParams;
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: { type: "object", properties: Object.fromEntries(params.map(([name, description]) => [name, { type: "string", description }])) } } },
      };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.0.3",
    info: { title: "pegzone REST API", version: APP_VERSION, description: "The Cosmos SDK's gRPC-gateway routes of the services pegzone has, and the peg's queries." },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA } },
  };
}
