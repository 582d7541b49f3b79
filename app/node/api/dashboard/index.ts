/**
 * The peg dashboard at `/` of the REST server: a hand-written page (static/: HTML, CSS, a plain
 * script, no build step, nothing fetched from elsewhere) that polls the peg's REST routes every 2 s
 * and shows, per main chain, the light client's tip and its age, the reserve against supply + in
 * flight, the federation, pending withdrawals, live releases and the freeze.
 *
 * The files are read once, when the routes are made. They stay in the source tree: `npm run build`
 * (tsc) copies no static files, so the compiled module (dist/app/node/api/dashboard/) finds them in
 * app/node/api/dashboard/static/ of the same checkout.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ApiError, Grpc } from "../errors";
import type { Route } from "../router";

const FILES = [
  { path: "/", file: "index.html", type: "text/html; charset=utf-8", summary: "the peg dashboard: a page that reads this API every 2 s" },
  { path: "/dashboard.js", file: "dashboard.js", type: "text/javascript; charset=utf-8", summary: "the peg dashboard's script" },
  { path: "/dashboard.css", file: "dashboard.css", type: "text/css; charset=utf-8", summary: "the peg dashboard's style sheet" },
] as const;

/** Only this origin's files and API: no inline script or style, nothing from elsewhere, no framing. */
const HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The folder holding the page's files: beside this module (source), or in the checkout's app/ (from dist/). */
export function dashboardDir(here = __dirname): string | undefined {
  const candidates = [join(here, "static"), resolve(here, "..", "..", "..", "..", "..", "app", "node", "api", "dashboard", "static")];
  return candidates.find((dir) => FILES.every((f) => existsSync(join(dir, f.file))));
}

/** The page's routes; `dir` null: the files are missing (the routes answer 404 saying so). */
export function dashboardRoutes(dir: string | null = dashboardDir() ?? null): Route[] {
  return FILES.map((f) => {
    const text = dir === null ? undefined : readFileSync(join(dir, f.file), "utf8");
    return {
      method: "GET",
      path: f.path,
      summary: f.summary,
      contentType: f.type,
      handle: async () => {
        if (text === undefined) throw new ApiError(Grpc.NotFound, "the dashboard's files (app/node/api/dashboard/static/) are not installed beside this node");
        return { body: text, headers: HEADERS };
      },
    } satisfies Route;
  });
}
