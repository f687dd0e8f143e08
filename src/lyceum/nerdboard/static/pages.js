/* Nerdboard's pages: draw the data the server embedded (#page-data), keep it live from the
   `kpis` stream, and drive the controls through the API. One file for the six pages; each
   page's <body data-page="nerdboard-…"> picks its renderer. */
(function () {
  "use strict";
  var L = window.Lyceum;
  var page = (document.body.dataset.page || "").replace("nerdboard-", "");
  var data = L.pageData("page-data") || {};
  var config = L.pageData("page-config") || { refresh: {} };
  var STREAM = "/api/nerdboard/stream";
  var COLORS = { capacity: "#8a96b3", booked: "#2457c5", bad: "#b3261e", good: "#1f7a4d", band95: "rgba(36,87,197,0.12)", band80: "rgba(36,87,197,0.25)" };

  // ---- small helpers ------------------------------------------------------------------

  function byId(id) { return document.getElementById(id); }

  function clear(node) { while (node && node.firstChild) node.removeChild(node.firstChild); }

  function percent(rate, digits) {
    return rate === null || rate === undefined ? "–" : L.formatNumber(rate * 100, digits === undefined ? 1 : digits) + " %";
  }

  var showError = L.showError;
  var chartsDrawn = L.chartsDrawn;
  var whenDrawn = L.whenDrawn;

  // The staffing alerts' severities, most urgent first.
  var SEVERITY_ORDER = { critical: 0, warning: 1 };
  function severityRank(severity) {
    return severity in SEVERITY_ORDER ? SEVERITY_ORDER[severity] : 2;
  }

  // Alerts, most severe first, each with its dated action sentence.
  function renderAlerts(alerts, onPick) {
    var list = byId("alerts");
    var none = byId("no-alerts");
    if (!list) return;
    clear(list);
    var sorted = (alerts || []).slice().sort(function (a, b) {
      return severityRank(a.severity) - severityRank(b.severity) || a.week_start.localeCompare(b.week_start);
    });
    sorted.forEach(function (alert) {
      var item = L.el("li", { "data-subject": alert.subject, "data-severity": alert.severity }, [
        L.el("span", { class: "badge " + alert.severity, text: alert.severity }),
        document.createTextNode(" "),
        L.el("strong", { text: alert.subject }),
        document.createTextNode(" · week of " + alert.week_start + " · short " + L.formatNumber(alert.shortfall_hours) + " h. "),
        L.el("span", { class: "action", text: alert.action }),
      ]);
      if (onPick) {
        item.classList.add("pickable");
        item.addEventListener("click", function () { onPick(alert.subject); });
      }
      list.appendChild(item);
    });
    if (none) none.hidden = sorted.length > 0;
  }

  // ---- the clock and the live stream ----------------------------------------------------

  var shownClock = (byId("sim-clock") || {}).dateTime || "";
  var lastTickAt = 0;

  function setStatus(running) {
    var badge = byId("live-status");
    if (!badge) return;
    badge.textContent = running ? "running" : "paused";
    badge.className = "badge " + (running ? "passed" : "low");
  }

  function setClock(iso) {
    var node = byId("sim-clock");
    if (!node || !iso) return;
    node.dateTime = iso;
    node.textContent = iso.slice(0, 16).replace("T", " ") + " UTC";
  }

  // The stream writes "+00:00", the API "Z": compare instants, not strings.
  function later(iso, than) { return !than || Date.parse(iso) > Date.parse(than); }

  var refreshing = null;
  var refreshAgain = false;

  // Fetch the page's API views again (the URLs the server listed) and redraw. One at a time;
  // a tick arriving meanwhile asks for one more round after it.
  function refresh() {
    if (refreshing) { refreshAgain = true; return refreshing; }
    var keys = Object.keys(config.refresh || {});
    refreshing = Promise.all(keys.map(function (key) {
      return L.api(config.refresh[key]).then(function (value) { data[key] = value; });
    })).then(function () {
      showError(null);
      if (renderers[page]) renderers[page]();
    }, showError).then(function () {
      refreshing = null;
      if (refreshAgain) { refreshAgain = false; refresh(); }
    });
    return refreshing;
  }

  function onKpis(event) {
    var tick = event.tick || {};
    var clock = tick.current_date || (event.overview && event.overview.as_of);
    if (tick.reason === "history generated") {
      // A reset rebuilt the history: the clock went back, and every view changed.
      shownClock = clock;
      setClock(clock);
      setStatus(false);
      if (page === "overview" && event.overview) { data.overview = event.overview; renderTiles(event.overview); }
      var message = byId("sim-message");
      if (message) message.textContent = "The history has been rebuilt; the clock is back at " + clock.slice(0, 10) + ".";
      refresh();
      return;
    }
    if (tick.current_date) {
      lastTickAt = Date.now();
      setStatus(true);
    }
    if (clock && later(clock, shownClock)) {
      shownClock = clock;
      setClock(clock);
      if (page === "overview" && event.overview) {
        data.overview = event.overview;
        renderTiles(event.overview);
        renderOverTarget(event.overview);
      }
      // A new simulated day changes every view; a tick within the day moves only the clock.
      if ((tick.days_written || []).length) refresh();
    }
  }

  // The stream tells of ticks, not of a pause: a quiet stream means the clock stopped.
  function watchForPause() {
    window.setInterval(function () {
      var badge = byId("live-status");
      if (!badge || badge.textContent !== "running" || Date.now() - lastTickAt < 4000) return;
      L.api("/api/nerdboard/simulation").then(function (state) {
        setStatus(state.is_running);
        if (page === "simulation") { data.simulation = state; renderSimulation(); }
      }, function () {});
    }, 3000);
  }

  // ---- overview -------------------------------------------------------------------------

  var TILES = {
    sessions_this_week: {
      show: function (o) { return L.formatNumber(o.sessions_this_week, 0); },
      hint: function (o) { return o.sessions_change_pct === null ? "" : (o.sessions_change_pct >= 0 ? "+" : "") + L.formatNumber(o.sessions_change_pct, 1) + " % on the week before"; },
    },
    booked_hours_this_week: {
      show: function (o) { return L.formatNumber(o.booked_hours_this_week, 0); },
      hint: function (o) { return "of " + L.formatNumber(o.tutor_capacity_hours_per_week, 0) + " tutor-hours available"; },
    },
    tutor_capacity_hours_per_week: {
      show: function (o) { return L.formatNumber(o.tutor_capacity_hours_per_week, 0); },
      hint: function (o) { return L.formatNumber(o.active_tutors, 0) + " active tutors"; },
    },
    utilization_this_week: {
      show: function (o) { return percent(o.utilization_this_week); },
      hint: function (o) { return "target " + percent(o.target_utilization, 0); },
    },
    unassigned_sessions_this_week: {
      show: function (o) { return L.formatNumber(o.unassigned_sessions_this_week, 0); },
      hint: function () { return "sessions no tutor could take"; },
    },
    at_risk_customers: {
      show: function (o) { return L.formatNumber(o.at_risk_customers, 0); },
      hint: function (o) { return o.average_health_score === null ? "" : "average health " + L.formatNumber(o.average_health_score, 1); },
    },
    data_quality_score: {
      show: function (o) { return o.data_quality_score === null ? "–" : L.formatNumber(o.data_quality_score, 1) + " / 5"; },
      hint: function () { return "mean of the checks' latest scores"; },
    },
  };

  function renderTiles(overview) {
    if (byId("week-start")) byId("week-start").textContent = overview.week_start;
    if (byId("week-end")) byId("week-end").textContent = overview.week_end;
    Object.keys(TILES).forEach(function (key) {
      var tile = document.querySelector('.tile[data-kpi="' + key + '"]');
      if (!tile) return;
      var value = overview[key];
      tile.dataset.value = value === null || value === undefined ? "" : String(value);
      tile.querySelector(".value").textContent = TILES[key].show(overview);
      tile.querySelector(".hint").textContent = TILES[key].hint(overview);
    });
  }

  function renderOverTarget(overview) {
    var list = byId("over-target");
    if (!list) return;
    clear(list);
    if (!overview.subjects_over_target.length) list.appendChild(L.el("li", { class: "muted", text: "none" }));
    overview.subjects_over_target.forEach(function (subject) { list.appendChild(L.el("li", { text: subject })); });
    var line = byId("sessions-line");
    if (line) line.textContent = L.formatNumber(overview.students_this_week, 0) + " students had sessions this week.";
  }

  function renderOverview() {
    if (data.overview) { renderTiles(data.overview); renderOverTarget(data.overview); }
    if (data.forecast) {
      renderAlerts(data.forecast.alerts);
      var asOf = byId("alerts-as-of");
      if (asOf) asOf.textContent = "forecast from the week of " + data.forecast.origin;
    }
    chartsDrawn();
  }

  // ---- capacity -------------------------------------------------------------------------

  var capacityView = { granularity: "day", subject: "" };

  // One subject's points, or every subject's summed by period.
  function capacitySeries(response, subject) {
    var chosen = response.subjects.filter(function (s) { return !subject || s.subject === subject; });
    var periods = {};
    chosen.forEach(function (s) {
      s.points.forEach(function (p) {
        var row = periods[p.period_start] || (periods[p.period_start] = { period: p.period_start, capacity: 0, booked: 0 });
        row.capacity += p.total_capacity_hours;
        row.booked += p.used_capacity_hours;
      });
    });
    return Object.keys(periods).sort().map(function (key) {
      var row = periods[key];
      row.utilization = row.capacity ? row.booked / row.capacity : null;
      return row;
    });
  }

  function renderCapacity() {
    var select = byId("capacity-subject");
    var daily = data.capacity_day;
    var weekly = data.capacity_week;
    if (select.options.length <= 1) {
      daily.subjects.forEach(function (s) { select.appendChild(L.el("option", { value: s.subject, text: s.subject })); });
    }
    var response = capacityView.granularity === "day" ? daily : weekly;
    var rows = capacitySeries(response, capacityView.subject);
    var x = rows.map(function (r) { return r.period; });
    var label = capacityView.granularity === "day" ? "Day" : "Week of";
    var lines = L.chart("capacity-chart", [
      { x: x, y: rows.map(function (r) { return r.capacity; }), name: "Capacity (tutor-hours)", mode: "lines", line: { color: COLORS.capacity, width: 2 }, fill: "tozeroy", fillcolor: "rgba(138,150,179,0.15)" },
      { x: x, y: rows.map(function (r) { return r.booked; }), name: "Booked hours", mode: "lines", line: { color: COLORS.booked, width: 2 } },
    ], { yaxis: { title: { text: "hours" }, rangemode: "tozero" }, hovermode: "x unified" }, {
      columns: [
        { key: "period", label: label },
        { key: "capacity", label: "Capacity (h)", numeric: true },
        { key: "booked", label: "Booked (h)", numeric: true },
        { key: "utilization_pct", label: "Utilization (%)", numeric: true },
      ],
      rows: rows.map(function (r) { return { period: r.period, capacity: r.capacity, booked: r.booked, utilization_pct: r.utilization === null ? null : r.utilization * 100 }; }),
    });

    // Heatmap: subjects (rows) by ISO week (columns), utilization in percent.
    var weeks = [];
    weekly.subjects.forEach(function (s) { s.points.forEach(function (p) { if (weeks.indexOf(p.period_start) < 0) weeks.push(p.period_start); }); });
    weeks.sort();
    var subjects = weekly.subjects.map(function (s) { return s.subject; });
    var z = weekly.subjects.map(function (s) {
      var byWeek = {};
      s.points.forEach(function (p) { byWeek[p.period_start] = p.total_capacity_hours ? p.utilization_rate * 100 : null; });
      return weeks.map(function (w) { return byWeek[w] === undefined ? null : byWeek[w]; });
    });
    var heatRows = subjects.map(function (subject, i) {
      var row = { subject: subject };
      weeks.forEach(function (w, j) { row[w] = z[i][j]; });
      return row;
    });
    var heat = L.chart("utilization-heatmap", [{
      type: "heatmap", x: weeks, y: subjects, z: z, zmin: 0, zmax: 100,
      colorscale: [[0, "#eef3fd"], [0.6, "#7aa0e8"], [0.85, "#f2b144"], [1, "#b3261e"]],
      colorbar: { title: { text: "%" }, thickness: 12 },
      hovertemplate: "%{y}<br>week of %{x}<br>%{z:.1f} % booked<extra></extra>",
    }], { margin: { t: 10, r: 10, b: 50, l: 140 }, yaxis: { automargin: true, autorange: "reversed" } }, {
      columns: [{ key: "subject", label: "Subject" }].concat(weeks.map(function (w) { return { key: w, label: w, numeric: true }; })),
      rows: heatRows,
    });
    whenDrawn([lines, heat]);
  }

  function bindCapacity() {
    byId("capacity-subject").addEventListener("change", function (event) {
      capacityView.subject = event.target.value;
      renderCapacity();
    });
    document.querySelectorAll("[data-granularity]").forEach(function (button) {
      button.addEventListener("click", function () {
        capacityView.granularity = button.dataset.granularity;
        document.querySelectorAll("[data-granularity]").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
        renderCapacity();
      });
    });
  }

  // ---- forecast -------------------------------------------------------------------------

  var forecastView = { subject: null };

  function defaultForecastSubject(response) {
    var shortfall = {};
    response.subjects.forEach(function (s) {
      shortfall[s.subject] = s.forecast.reduce(function (sum, w) { return sum + w.shortfall_hours; }, 0);
    });
    var names = response.subjects.map(function (s) { return s.subject; });
    names.sort(function (a, b) { return shortfall[b] - shortfall[a] || a.localeCompare(b); });
    return names[0] || null;
  }

  function pickForecastSubject(subject) {
    forecastView.subject = subject;
    var select = byId("forecast-subject");
    if (select) select.value = subject;
    renderForecast();
  }

  function renderForecast() {
    var response = data.forecast;
    var select = byId("forecast-subject");
    if (!select.options.length) {
      response.subjects.forEach(function (s) { select.appendChild(L.el("option", { value: s.subject, text: s.subject })); });
    }
    if (!forecastView.subject) forecastView.subject = defaultForecastSubject(response);
    select.value = forecastView.subject;
    var subject = response.subjects.filter(function (s) { return s.subject === forecastView.subject; })[0];
    renderAlerts(response.alerts, pickForecastSubject);
    if (!subject) { chartsDrawn(); return; }
    byId("forecast-method").textContent = "Model: " + subject.method + " · forecast from the week of " + response.origin + " · staffing at " + percent(response.target_utilization, 0) + " utilization";
    var history = subject.history.slice(-26);
    var weeks = subject.forecast.map(function (w) { return w.week_start; });
    function series(key) { return subject.forecast.map(function (w) { return w[key]; }); }
    var demand = L.chart("demand-chart", [
      { x: weeks, y: series("upper_95"), mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
      { x: weeks, y: series("lower_95"), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: COLORS.band95, name: "95 % interval" },
      { x: weeks, y: series("upper_80"), mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
      { x: weeks, y: series("lower_80"), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: COLORS.band80, name: "80 % interval" },
      { x: history.map(function (h) { return h.week_start; }), y: history.map(function (h) { return h.demand_hours; }), mode: "lines+markers", name: "Actual", line: { color: "#1d2433", width: 2 }, marker: { size: 4 } },
      { x: weeks, y: series("demand_hours"), mode: "lines+markers", name: "Forecast", line: { color: COLORS.booked, width: 2, dash: "dot" }, marker: { size: 5 } },
    ], { yaxis: { title: { text: "hours per week" }, rangemode: "tozero" }, hovermode: "x unified" }, {
      columns: [
        { key: "week_start", label: "Week of" },
        { key: "demand_hours", label: "Forecast (h)", numeric: true },
        { key: "lower_80", label: "80 % low", numeric: true },
        { key: "upper_80", label: "80 % high", numeric: true },
        { key: "lower_95", label: "95 % low", numeric: true },
        { key: "upper_95", label: "95 % high", numeric: true },
      ],
      rows: subject.forecast,
    });
    var staffing = L.chart("staffing-chart", [
      { type: "bar", x: weeks, y: series("required_hours"), name: "Required", marker: { color: "#c9d3ea" } },
      { type: "bar", x: weeks, y: series("covered_hours"), name: "Available", marker: { color: COLORS.booked } },
      { type: "scatter", mode: "markers", x: weeks, y: series("shortfall_hours"), name: "Shortfall", marker: { color: COLORS.bad, size: 9, symbol: "diamond" } },
    ], { barmode: "group", yaxis: { title: { text: "tutor-hours" }, rangemode: "tozero" }, hovermode: "x unified" }, {
      columns: [
        { key: "week_start", label: "Week of" },
        { key: "required_hours", label: "Required (h)", numeric: true },
        { key: "covered_hours", label: "Available (h)", numeric: true },
        { key: "shortfall_hours", label: "Shortfall (h)", numeric: true },
      ],
      rows: subject.forecast,
    });
    whenDrawn([demand, staffing]);
  }

  function bindForecast() {
    byId("forecast-subject").addEventListener("change", function (event) { pickForecastSubject(event.target.value); });
  }

  // ---- customers ------------------------------------------------------------------------

  function healthTile(label, value, hint) {
    return L.el("div", { class: "tile" }, [
      L.el("div", { class: "label", text: label }),
      L.el("div", { class: "value", text: value }),
      L.el("div", { class: "hint", text: hint || "" }),
    ]);
  }

  // "<20", "> 55.5" filter on the score; anything else on the customer id.
  function rowFilter(text) {
    var query = text.trim().toLowerCase();
    var numeric = /^([<>])\s*(\d+(?:\.\d+)?)$/.exec(query);
    return function (customer) {
      if (!query) return true;
      if (numeric) {
        var bound = parseFloat(numeric[2]);
        return numeric[1] === "<" ? customer.health_score < bound : customer.health_score > bound;
      }
      return customer.customer_id.toLowerCase().indexOf(query) >= 0;
    };
  }

  function applyCustomerFilter() {
    var health = data.customer_health;
    var keep = rowFilter(byId("at-risk-filter").value);
    var declining = byId("at-risk-declining").checked;
    var shown = 0;
    var rows = byId("at-risk").tBodies[0].rows;
    Array.prototype.forEach.call(rows, function (row) {
      var customer = health.at_risk[Number(row.dataset.index)];
      var visible = keep(customer) && (!declining || (customer.previous_health_score !== null && customer.health_score < customer.previous_health_score));
      row.hidden = !visible;
      if (visible) shown += 1;
    });
    byId("at-risk-shown").textContent = "showing " + shown + " of the " + health.at_risk.length + " lowest scores (" + L.formatNumber(health.at_risk_count, 0) + " customers below " + L.formatNumber(health.at_risk_below) + ")";
  }

  function cell(text, sortValue, numeric) {
    var td = L.el("td", { class: numeric ? "num" : "", text: text });
    if (sortValue !== undefined && sortValue !== null) td.dataset.sort = String(sortValue);
    return td;
  }

  function renderCustomers() {
    var health = data.customer_health;
    var tiles = byId("health-tiles");
    clear(tiles);
    tiles.appendChild(healthTile("Customers scored", L.formatNumber(health.customers, 0), health.week ? "week of " + health.week : "no scores yet"));
    tiles.appendChild(healthTile("Average score", L.formatNumber(health.average_score, 1), "0 to 100"));
    tiles.appendChild(healthTile("Median score", L.formatNumber(health.median_score, 1)));
    tiles.appendChild(healthTile("At risk", L.formatNumber(health.at_risk_count, 0), "score below " + L.formatNumber(health.at_risk_below)));

    var bins = health.distribution.map(function (b) {
      return { range: L.formatNumber(b.lower, 0) + "–" + L.formatNumber(b.upper, 0), customers: b.customers, at_risk: b.upper <= health.at_risk_below };
    });
    var histogram = L.chart("health-chart", [{
      type: "bar", x: bins.map(function (b) { return b.range; }), y: bins.map(function (b) { return b.customers; }),
      marker: { color: bins.map(function (b) { return b.at_risk ? COLORS.bad : COLORS.booked; }) },
      hovertemplate: "score %{x}<br>%{y} customers<extra></extra>",
    }], { xaxis: { title: { text: "health score" }, type: "category" }, yaxis: { title: { text: "customers" } }, showlegend: false }, {
      columns: [{ key: "range", label: "Score" }, { key: "customers", label: "Customers", numeric: true }],
      rows: bins,
    });

    var body = byId("at-risk").tBodies[0];
    clear(body);
    health.at_risk.forEach(function (c, index) {
      var change = c.previous_health_score === null ? null : c.health_score - c.previous_health_score;
      var row = L.el("tr", { "data-index": String(index) }, [
        cell(c.customer_id),
        cell(L.formatNumber(c.health_score, 1), c.health_score, true),
        cell(L.formatNumber(c.previous_health_score, 1), c.previous_health_score === null ? "" : c.previous_health_score, true),
        cell(change === null ? "–" : (change > 0 ? "+" : "") + L.formatNumber(change, 1), change === null ? "" : change, true),
        cell(String(c.engagement_level), c.engagement_level, true),
        cell(String(c.support_ticket_count), c.support_ticket_count, true),
        cell(percent(c.session_completion_rate, 0), c.session_completion_rate === null ? "" : c.session_completion_rate, true),
      ]);
      if (change !== null && change < 0) row.classList.add("declining");
      body.appendChild(row);
    });
    applyCustomerFilter();
    whenDrawn([histogram]);
  }

  function bindCustomers() {
    byId("at-risk-filter").addEventListener("input", applyCustomerFilter);
    byId("at-risk-declining").addEventListener("change", applyCustomerFilter);
  }

  // ---- data quality ---------------------------------------------------------------------

  function renderQuality() {
    var report = data.quality;
    byId("overall-score").textContent = report.overall_score === null ? "–" : L.formatNumber(report.overall_score, 2) + " / 5";
    var badges = byId("check-badges");
    clear(badges);
    var body = byId("checks").tBodies[0];
    clear(body);
    report.checks.forEach(function (check) {
      badges.appendChild(L.el("span", { class: "badge " + check.status, "data-check": check.check_name, title: check.status, text: check.check_name + " · " + L.formatNumber(check.quality_score, 1) }));
      body.appendChild(L.el("tr", { "data-check": check.check_name }, [
        cell(check.check_name),
        L.el("td", {}, [L.el("span", { class: "badge " + check.status, text: check.status })]),
        cell(L.formatNumber(check.quality_score, 2), check.quality_score, true),
        cell(L.formatNumber(check.affected_records_count, 0), check.affected_records_count, true),
        cell(check.error_details || "–"),
        cell(check.checked_at.slice(0, 16).replace("T", " ")),
      ]));
    });
    var names = report.checks.map(function (c) { return c.check_name; });
    var history = report.history.slice().sort(function (a, b) { return a.checked_at.localeCompare(b.checked_at); });
    var traces = names.map(function (name) {
      var runs = history.filter(function (h) { return h.check_name === name; });
      return { x: runs.map(function (h) { return h.checked_at; }), y: runs.map(function (h) { return h.quality_score; }), name: name, mode: "lines+markers", marker: { size: 5 } };
    });
    var chart = L.chart("quality-history", traces, { yaxis: { title: { text: "score (0–5)" }, range: [0, 5.2] }, hovermode: "closest" }, {
      columns: [
        { key: "checked_at", label: "Checked" },
        { key: "check_name", label: "Check" },
        { key: "status", label: "Status" },
        { key: "quality_score", label: "Score", numeric: true },
        { key: "affected_records_count", label: "Affected", numeric: true },
      ],
      rows: history.slice().reverse(),
    });
    whenDrawn([chart]);
  }

  function bindQuality() {
    var button = byId("run-checks");
    if (!button) return;
    button.addEventListener("click", function () {
      var message = byId("quality-message");
      button.disabled = true;
      message.textContent = "Running the checks…";
      L.api("/api/nerdboard/quality/run", { method: "POST" }).then(function (result) {
        var failed = result.checks.filter(function (c) { return c.status !== "passed"; }).length;
        message.textContent = "Ran " + result.checks.length + " checks: " + (failed ? failed + " need attention." : "all passed.");
        return refresh();
      }, function (error) {
        message.textContent = error.message;
      }).then(function () { button.disabled = false; });
    });
  }

  // ---- simulation -----------------------------------------------------------------------

  function renderSimulation() {
    var state = data.simulation;
    setClock(state.current_date);
    setStatus(state.is_running);
    if (later(state.current_date, shownClock)) shownClock = state.current_date;
    byId("sim-status").textContent = state.is_running ? "Running" : "Paused";
    byId("sim-speed-value").textContent = L.formatNumber(state.speed_multiplier, 0) + "×";
    var secondsPerDay = 86400 / state.speed_multiplier;
    byId("sim-speed-hint").textContent = secondsPerDay >= 1
      ? "one simulated day every " + L.formatNumber(secondsPerDay, secondsPerDay < 10 ? 1 : 0) + " s"
      : L.formatNumber(1 / secondsPerDay, 1) + " simulated days a second";
    byId("sim-last-event").textContent = state.last_event || "–";
    var controls = byId("sim-controls");
    if (controls) {
      controls.querySelector('[data-action="start"]').disabled = state.is_running;
      controls.querySelector('[data-action="pause"]').disabled = !state.is_running;
      controls.querySelector('[data-action="resume"]').disabled = state.is_running;
    }
    chartsDrawn();
  }

  var RESET_QUESTION = "Reset the simulation? The generated history is rebuilt from its seed: every session, " +
    "enrollment and score written since is replaced. This takes a minute and cannot be undone.";

  function simulationAction(action) {
    var speedInput = byId("sim-speed");
    var speed = Number(speedInput.value);
    var valid = Number.isInteger(speed) && speed >= Number(speedInput.min) && speed <= Number(speedInput.max);
    var base = "/api/nerdboard/simulation/";
    if ((action === "speed" || action === "start") && !valid) {
      return Promise.reject(new Error("The speed must be a whole number from " + speedInput.min + " to " + L.formatNumber(Number(speedInput.max), 0) + "."));
    }
    if (action === "start") return L.api(base + "start", { method: "POST", json: { speed_multiplier: speed } });
    if (action === "speed") return L.api(base + "speed", { method: "PUT", json: { speed_multiplier: speed } });
    if (action === "reset") {
      if (!window.confirm(RESET_QUESTION)) return Promise.resolve(null);
      return L.api(base + "reset", { method: "POST" });
    }
    return L.api(base + action, { method: "POST" });
  }

  function bindSimulation() {
    var controls = byId("sim-controls");
    if (!controls) return;
    var message = byId("sim-message");
    controls.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) return;
      var action = button.dataset.action;
      message.textContent = "";
      button.disabled = true;
      simulationAction(action).then(function (result) {
        if (!result) { message.textContent = "Nothing was reset."; return; }
        if (result.status === "resetting") {
          message.textContent = "Resetting: the worker is rebuilding the history from its seed. This page updates when it is done.";
          return refresh();
        }
        data.simulation = result;
        message.textContent = { start: "Started.", pause: "Paused.", resume: "Resumed.", speed: "Speed set." }[action] || "";
        if (result.is_running) lastTickAt = Date.now();
      }, function (error) {
        message.textContent = error.message;
      }).then(function () {
        button.disabled = false;
        renderSimulation();
      });
    });
  }

  // ---- start ----------------------------------------------------------------------------

  var renderers = {
    overview: renderOverview,
    capacity: renderCapacity,
    forecast: renderForecast,
    customers: renderCustomers,
    quality: renderQuality,
    simulation: renderSimulation,
  };
  var binders = {
    capacity: bindCapacity,
    forecast: bindForecast,
    customers: bindCustomers,
    quality: bindQuality,
    simulation: bindSimulation,
  };

  if (!renderers[page]) return;
  try {
    if (binders[page]) binders[page]();
    renderers[page]();
  } catch (error) {
    showError(error);
    chartsDrawn();
    throw error;
  }
  L.stream(STREAM, { kpis: onKpis });
  watchForPause();
})();
