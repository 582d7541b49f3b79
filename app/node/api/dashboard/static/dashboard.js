/*
 * pegzone's peg dashboard: every 2 s it reads the peg's REST routes (/pegzone/peg/v1/...) of the
 * node that serves this page, all at the pegzone height of the first answer, and redraws one card
 * per main chain. Plain DOM: every value from the API goes in as text (textContent, text nodes),
 * never as markup.
 */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var PEG = "/pegzone/peg/v1/";
  var HEIGHT = "x-cosmos-block-height";
  var LIVE = ["RELEASE_STATUS_SIGNING", "RELEASE_STATUS_SIGNED"];
  var SHOWN_ROWS = 20;
  /** mainchain → { height, hash, since (browser ms) }: when this page last saw the tip change. */
  var tips = {};
  /** mainchain + tip hash → the tip header's time (ms), once read. */
  var headerTimes = {};
  var refreshes = 0;

  /** An element with attributes (class, data-*, title) and children: strings become text nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      if (attrs[name] !== undefined && attrs[name] !== null) node.setAttribute(name, String(attrs[name]));
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else if (typeof child === "object") node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }

  async function get(path, height) {
    var headers = {};
    if (height) headers[HEIGHT] = height;
    var res = await fetch(path, { headers: headers, cache: "no-store" });
    var text = await res.text();
    var json;
    try { json = JSON.parse(text); } catch (e) { json = undefined; }
    if (!res.ok) throw new Error(path + ": " + (json && json.message ? json.message : "HTTP " + res.status));
    return { json: json, height: res.headers.get(HEIGHT) };
  }

  function big(text) {
    try { return BigInt(text || "0"); } catch (e) { return 0n; }
  }

  /** 1234567 → "1,234,567" (any size: BigInt). */
  function amount(text) {
    var s = big(text).toString();
    return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    if (s < 172800) return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
    return Math.round(s / 86400) + " days";
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function percent(part, whole) {
    if (whole <= 0n) return 0;
    return Number((part * 10000n) / whole) / 100;
  }

  function short(status, prefix) {
    return String(status || "").replace(prefix, "").toLowerCase().replace(/_/g, " ");
  }

  /** The tip header's time in ms: a tendermint client's latest_time, else the bitcoin header's time field. */
  async function tipTime(id, client, height) {
    var latest = client.details && client.details.latest_time;
    if (latest) {
      var parsed = Date.parse(latest);
      return isNaN(parsed) ? undefined : parsed;
    }
    if (client.client_type !== "bitcoin") return undefined;
    var key = id + "/" + client.tip_hash;
    if (!(key in headerTimes)) {
      var h = await get(PEG + "header/" + encodeURIComponent(id) + "?height=" + encodeURIComponent(client.tip_height), height);
      var bytes = atob(h.json.header || "");
      // 80 bytes: the time is unix seconds, little-endian, at byte 68
      headerTimes[key] = bytes.length === 80
        ? (bytes.charCodeAt(68) | (bytes.charCodeAt(69) << 8) | (bytes.charCodeAt(70) << 16)) * 1000 + bytes.charCodeAt(71) * 16777216000
        : undefined;
    }
    return headerTimes[key];
  }

  /** Everything shown about one main chain, read at `height`. */
  async function load(chain, height) {
    var id = chain.id;
    var q = encodeURIComponent(id);
    var answers = await Promise.all([
      get(PEG + "client_state/" + q, height),
      get(PEG + "reserve/" + q, height),
      get(PEG + "federations/" + q, height),
      get(PEG + "withdrawals/" + q + "?page.limit=1000", height),
      get(PEG + "federation_proposal/" + q, height),
    ].concat(LIVE.map(function (s) { return get(PEG + "releases/" + q + "?page.limit=1000&status=" + s, height); })));
    var client = answers[0].json;
    var view = {
      id: id,
      chain: chain,
      client: client,
      reserve: answers[1].json,
      federations: answers[2].json,
      withdrawals: answers[3].json.withdrawals || [],
      moreWithdrawals: !!(answers[3].json.page && answers[3].json.page.next_key),
      rotation: answers[4].json,
      releases: [].concat.apply([], answers.slice(5).map(function (a) { return a.json.releases || []; })),
      tipTime: undefined,
    };
    try { view.tipTime = await tipTime(id, client, height); } catch (e) { view.tipTime = undefined; }
    var seen = tips[id];
    if (!seen || seen.height !== client.tip_height || seen.hash !== client.tip_hash) tips[id] = { height: client.tip_height, hash: client.tip_hash, since: Date.now() };
    return view;
  }

  function renderChain(v) {
    var reserve = big(v.reserve.total);
    var supply = big(v.reserve.supply);
    var flight = big(v.reserve.pending);
    var owed = supply + flight;
    var holds = reserve >= owed;
    var scale = reserve > owed ? reserve : owed;
    var freeze = (v.reserve.freeze && v.reserve.freeze.frozen) ? v.reserve.freeze : (v.client.freeze && v.client.freeze.frozen ? v.client.freeze : undefined);
    var status = v.client.status || "unknown";
    var now = Date.now();

    var reserveFill = el("div", { class: "fill reserve" + (holds ? "" : " short") });
    var supplyFill = el("div", { class: "fill supply" });
    var flightFill = el("div", { class: "fill flight" });
    reserveFill.style.width = percent(reserve, scale) + "%";
    supplyFill.style.width = percent(supply, scale) + "%";
    flightFill.style.width = percent(flight, scale) + "%";

    var fed = v.federations.current || {};
    var members = fed.members || [];
    var weight = members.reduce(function (sum, m) { return sum + Number(m.weight || 0); }, 0);
    var pending = v.withdrawals.filter(function (w) { return w.status === "WITHDRAWAL_STATUS_PENDING"; });
    var inRelease = v.withdrawals.filter(function (w) { return w.status === "WITHDRAWAL_STATUS_IN_RELEASE"; });
    var seen = tips[v.id];

    return el("section", { class: "chain", "data-mainchain": v.id },
      el("div", { class: "title" },
        el("h2", { "data-field": "mainchain" }, v.id),
        el("span", { class: "badge" }, v.client.client_type || v.chain.client_type),
        el("span", { class: "badge " + (status === "Active" ? "ok" : "bad"), "data-field": "client-status" }, status),
        el("span", { class: "badge " + (holds ? "ok" : "bad"), "data-field": "invariant", "data-value": holds ? "holds" : "violated" },
          holds ? "reserve ≥ supply + in flight" : "reserve < supply + in flight")),
      freeze && el("p", { class: "frozen", role: "alert", "data-field": "frozen" },
        "Peg frozen at pegzone height " + freeze.height + ": " + (freeze.reason || "no reason given")),
      el("div", { class: "grid" },
        el("div", {},
          el("h3", {}, "Light client"),
          el("dl", {},
            el("dt", {}, "tip height"), el("dd", { "data-field": "tip-height", "data-value": v.client.tip_height }, amount(v.client.tip_height)),
            el("dt", {}, "tip header time"), el("dd", { "data-field": "tip-age" },
              v.tipTime === undefined ? "not known" : ago(now - v.tipTime) + " ago (" + new Date(v.tipTime).toISOString().replace(".000Z", "Z") + ")"),
            el("dt", {}, "tip changed"), el("dd", { "data-field": "tip-seen" }, seen ? ago(now - seen.since) + " ago, as seen here" : "—"),
            el("dt", {}, "tip hash"), el("dd", { class: "hash", title: v.client.tip_hash }, v.client.tip_hash || "—"))),
        el("div", {},
          el("h3", {}, "Federation"),
          el("dl", {},
            el("dt", {}, "id"), el("dd", { "data-field": "federation-id" }, fed.id || "—"),
            el("dt", {}, "threshold"), el("dd", { "data-field": "federation-threshold" }, (fed.threshold || 0) + " of weight " + weight),
            el("dt", {}, "members"), el("dd", { "data-field": "federation-members", "data-value": members.length }, members.length),
            el("dt", {}, "retired"), el("dd", {}, (v.federations.retired || []).length),
            el("dt", {}, "rotation"), el("dd", { "data-field": "rotation" }, rotationText(v.rotation))))),
      el("h3", {}, "Reserve against supply + in flight (peg/" + v.id + ")"),
      el("div", { class: "bars" },
        el("span", {}, "reserve ", el("strong", { "data-field": "reserve", "data-value": reserve.toString() }, amount(reserve))),
        el("div", { class: "track", title: "reserve" }, reserveFill),
        el("span", {}, "supply + in flight ", el("strong", { "data-field": "owed", "data-value": owed.toString() }, amount(owed))),
        el("div", { class: "track", title: "supply (dark) + in flight (light)" }, supplyFill, flightFill)),
      el("p", { class: "muted" },
        "supply ", el("span", { "data-field": "supply", "data-value": supply.toString() }, amount(supply)),
        " + in flight ", el("span", { "data-field": "in-flight", "data-value": flight.toString() }, amount(flight)),
        "; reserve covers ", owed > 0n ? percent(reserve, owed).toFixed(2) + "%" : "everything (nothing owed)",
        " in " + plural((v.reserve.entries || []).length, "entry", "entries")),
      el("h3", {}, "Pending withdrawals (", el("span", { "data-field": "pending-withdrawals", "data-value": pending.length }, pending.length), ")",
        inRelease.length ? " · " + inRelease.length + " in a release" : "", v.moreWithdrawals ? " · only the first 1,000 withdrawals read" : ""),
      table(["id", "owner", "amount", "destination", "requested at"], pending, function (w) {
        return [w.id, w.owner, amount(w.amount), w.destination, w.requested_at];
      }),
      el("h3", {}, "Live releases (", el("span", { "data-field": "live-releases", "data-value": v.releases.length }, v.releases.length), ")"),
      table(["id", "status", "federation", "amount", "fee", "signatures", "built at", "txid"], v.releases, function (r) {
        return [r.id, el("span", { class: "badge " + (r.status === "RELEASE_STATUS_SIGNED" ? "ok" : "warn") }, short(r.status, "RELEASE_STATUS_")),
          r.federation_id, amount(r.amount), amount(r.fee), (r.signatures || []).length, r.built_at, el("span", { title: r.txid }, r.txid)];
      }));
  }

  /** The pending federation proposal, if any: who proposed it and how far its approvals are. */
  function rotationText(r) {
    var p = r && r.proposal;
    if (!p) return "none pending";
    var members = (p.federation && p.federation.members) || [];
    return "to federation " + p.id + " (" + plural(members.length, "member", "members") + ", threshold " + ((p.federation && p.federation.threshold) || 0) +
      "), approved " + (r.approved_weight || 0) + " of " + (r.threshold || 0) + ", proposed at " + p.proposed_at;
  }

  /** The validator set: who signs pegzone's blocks, and whose signer keys the federations follow. */
  function renderValidators(validators) {
    var active = validators.filter(function (v) { return v.status === "VALIDATOR_STATUS_ACTIVE"; });
    var power = active.reduce(function (sum, v) { return sum + Number(v.power || 0); }, 0);
    return el("section", { class: "chain", id: "validator-set" },
      el("div", { class: "title" },
        el("h2", {}, "Validators"),
        el("span", { class: "badge", "data-field": "active-validators", "data-value": active.length }, active.length + " active, power " + power)),
      table(["moniker", "operator", "power", "status", "why"], validators, function (v) {
        return [v.moniker, el("span", { title: v.operator }, v.operator), amount(v.power),
          el("span", { class: "badge " + (v.status === "VALIDATOR_STATUS_ACTIVE" ? "ok" : "bad") }, short(v.status, "VALIDATOR_STATUS_")), v.reason || ""];
      }));
  }

  function table(headings, rows, cells) {
    if (rows.length === 0) return el("p", { class: "muted" }, "none");
    var shown = rows.slice(0, SHOWN_ROWS);
    return el("div", {},
      el("table", {},
        el("thead", {}, el("tr", {}, headings.map(function (h) { return el("th", {}, h); }))),
        el("tbody", {}, shown.map(function (row) {
          return el("tr", {}, cells(row).map(function (c, i) { return el("td", { class: headings[i] === "txid" || headings[i] === "destination" || headings[i] === "owner" || headings[i] === "operator" ? "hash" : null }, c); }));
        }))),
      rows.length > shown.length && el("p", { class: "muted" }, "and " + (rows.length - shown.length) + " more"));
  }

  async function refresh() {
    var first = await get(PEG + "mainchains");
    var height = first.height;
    var chains = first.json.mainchains || [];
    var cards = await Promise.all(chains.map(function (chain) {
      return load(chain, height).then(renderChain, function (err) {
        return el("section", { class: "chain", "data-mainchain": chain.id }, el("h2", {}, chain.id), el("p", { class: "error" }, String(err && err.message || err)));
      });
    }));
    var set = await get("/pegzone/validators/v1/validators", height);
    cards.push(renderValidators(set.json.validators || []));
    var main = document.getElementById("chains");
    main.replaceChildren.apply(main, cards.length ? cards : [el("p", { class: "muted" }, "no main chains")]);
    main.setAttribute("data-height", height || "");
    refreshes++;
    document.body.setAttribute("data-refreshes", String(refreshes));
    var status = document.getElementById("status");
    status.className = "muted";
    status.textContent = "pegzone height " + (height || "?") + " · updated " + new Date().toLocaleTimeString();
  }

  async function loop() {
    try {
      await refresh();
    } catch (err) {
      var status = document.getElementById("status");
      status.className = "error";
      status.textContent = "cannot read the API (" + String(err && err.message || err) + "); retrying every " + POLL_MS / 1000 + " s";
    }
    setTimeout(loop, POLL_MS);
  }

  loop();
})();
