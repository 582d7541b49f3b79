/**
 * The dashboard's routes: `/` is the page (and nothing else matches an empty segment), its script and
 * style sheet are served with a policy that allows nothing but this origin, and the page's files
 * insert data as text only. The page in a real browser: test/dashboard.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "../errors";
import { matchRoute, QueryParams, type Route } from "../router";
import { dashboardDir, dashboardRoutes } from ".";

const routes = dashboardRoutes();
const dummy: Route = { method: "GET", path: "/cosmos/bank/v1beta1/balances/{address}", summary: "", handle: async () => ({ body: {} }) };
const request = { params: {}, query: new QueryParams(new URLSearchParams()), headers: {}, body: {} };

test("GET / is the page; its script and style sheet beside it; an empty segment elsewhere matches nothing", async () => {
  const all = [...routes, dummy];
  for (const [path, type, marker] of [["/", "text/html", "<main id=\"chains\">"], ["/dashboard.js", "text/javascript", "setTimeout(loop, POLL_MS)"], ["/dashboard.css", "text/css", ".frozen"]]) {
    const m = matchRoute(all, "GET", path);
    if ("error" in m) throw m.error;
    expect(m.route.contentType).toContain(type);
    const answer = await m.route.handle(request);
    expect(answer.body).toContain(marker);
    expect(answer.headers?.["content-security-policy"]).toMatch(/default-src 'none'; script-src 'self'/);
  }
  expect("error" in matchRoute(all, "GET", "/cosmos/bank/v1beta1/balances/")).toBe(true);
  expect("error" in matchRoute([dummy], "GET", "/")).toBe(true);
  expect("error" in matchRoute(all, "POST", "/")).toBe(true);
});

test("the page loads nothing from elsewhere and never inserts markup", () => {
  const dir = dashboardDir()!;
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const js = readFileSync(join(dir, "dashboard.js"), "utf8");
  const css = readFileSync(join(dir, "dashboard.css"), "utf8");
  for (const text of [html, js, css]) expect(text).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
  expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
});

test("from dist/, the files are found in the checkout's app/ folder; without them the routes say so", async () => {
  const source = dashboardDir()!;
  expect(dashboardDir(join(__dirname, "..", "..", "..", "..", "dist", "app", "node", "api", "dashboard"))).toBe(source);
  const missing = dashboardRoutes(null)[0];
  await expect(missing.handle(request)).rejects.toBeInstanceOf(ApiError);
});
