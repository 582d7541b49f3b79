/**
 * The whole route table of the REST server: the SDK's services pegzone has, the peg's queries,
 * broadcasting, the app's metrics, and the OpenAPI description of all of them at /swagger/.
 */
import { cometRoutes } from "./comet-routes";
import { authRoutes, bankRoutes, txQueryRoutes } from "./cosmos-routes";
import { dashboardRoutes } from "./dashboard";
import type { QueryContext } from "./grpc-route";
import { openApi } from "./openapi";
import { pegRoutes } from "./peg-routes";
import { validatorRoutes } from "./validator-routes";
import { CONTENT_TYPE, type MetricsRegistry } from "../../../chain/metrics/prometheus";
import type { Route } from "./router";
import type { Services } from "./services";
import { pegzoneTypes } from "./type-registry";

export interface RouteDeps {
  services: Services;
  metrics: MetricsRegistry;
}

export function apiRoutes(deps: RouteDeps): Route[] {
  const ctx: QueryContext = { query: deps.services.call, types: pegzoneTypes() };
  const routes: Route[] = [
    ...authRoutes(ctx),
    ...bankRoutes(ctx),
    ...txQueryRoutes(ctx),
    ...cometRoutes(ctx),
    ...pegRoutes(ctx),
    ...validatorRoutes(ctx),
    {
      method: "GET",
      path: "/metrics",
      summary: "the app's Prometheus metrics (CometBFT serves its own on its Prometheus port)",
      contentType: CONTENT_TYPE,
      handle: async () => ({ body: await deps.metrics.render() }),
    },
  ];
  // the peg dashboard at / (a page, not part of the API's OpenAPI description)
  return [...routes, ...swaggerRoutes(routes), ...dashboardRoutes()];
}

function swaggerRoutes(routes: Route[]): Route[] {
  const description = JSON.stringify(openApi(routes));
  const html = swaggerPage(routes);
  return [
    { method: "GET", path: "/swagger/openapi.json", summary: "this API's OpenAPI 3 description", handle: async () => ({ body: JSON.parse(description) as unknown }) },
    { method: "GET", path: "/swagger", summary: "the routes, and a link to the OpenAPI description", contentType: "text/html; charset=utf-8", handle: async () => ({ body: html }) },
  ];
}

function swaggerPage(routes: Route[]): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const items = routes.map((r) => `<li><code>${r.method} ${esc(r.path)}</code> ${esc(r.summary)}</li>`).join("\n");
  return `<!doctype html>\n<meta charset="utf-8">\n<title>pegzone REST API</title>\n<h1>pegzone REST API</h1>\n<p>OpenAPI 3 description: <a href="/swagger/openapi.json">/swagger/openapi.json</a></p>\n<ul>\n${items}\n</ul>\n`;
}
