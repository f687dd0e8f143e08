/* TutorMax's pages: draw the data the server embedded (#page-data), and open, start, cancel
   and complete interventions through the API. One file for the five pages; each page's
   <body data-page="tutormax-…"> picks its renderer. */
(function () {
  "use strict";
  var L = window.Lyceum;
  var page = (document.body.dataset.page || "").replace("tutormax-", "");
  var data = L.pageData("page-data") || {};
  var config = L.pageData("page-config") || {};
  var words = config.vocabulary || { types: {}, outcomes: {}, statuses: {}, levels: [] };
  var API = "/api/tutormax";
  var LEVEL_COLORS = { Low: "#8fb3e8", Medium: "#e0b252", High: "#dd7a4a", Critical: "#b3261e" };
  var WINDOW_COLORS = { "7day": "#8fb3e8", "30day": "#2457c5", "90day": "#1d2433" };
  var WINDOW_WORDS = { "7day": "7 days", "30day": "30 days", "90day": "90 days" };

  // ---- small helpers ------------------------------------------------------------------

  function byId(id) { return document.getElementById(id); }
  function clear(node) { while (node && node.firstChild) node.removeChild(node.firstChild); }
  function text(value) { return document.createTextNode(value); }

  function percent(rate, digits) {
    return rate === null || rate === undefined ? "–" : L.formatNumber(rate * 100, digits === undefined ? 1 : digits) + " %";
  }

  function day(iso) { return iso ? iso.slice(0, 10) : "–"; }


  function showDone(message) {
    var box = byId("page-done");
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  var showError = L.showError;
  var chartsDrawn = L.chartsDrawn;
  var whenDrawn = L.whenDrawn;

  function tile(label, value, hint, extraClass) {
    return L.el("div", { class: "tile" + (extraClass ? " " + extraClass : "") }, [
      L.el("div", { class: "label", text: label }),
      L.el("div", { class: "value", text: value }),
      L.el("div", { class: "hint", text: hint || "" }),
    ]);
  }

  function levelBadge(level) {
    return L.el("span", { class: "badge " + String(level || "").toLowerCase(), text: level || "not scored" });
  }

  function tutorLink(id, name) {
    return L.el("a", { href: "/tutormax/tutors/" + encodeURIComponent(id), text: name || id });
  }

  function cell(content, attributes) {
    var node = L.el("td", attributes || {});
    if (typeof content === "string") node.textContent = content;
    else if (content) node.appendChild(content);
    return node;
  }

  function simpleTable(columns, rows, empty) {
    if (!rows.length) return L.el("p", { class: "muted", text: empty || "Nothing yet." });
    return L.table(columns, rows);
  }

  function pick(container, options, chosen, onPick) {
    var node = byId(container);
    if (!node) return;
    clear(node);
    options.forEach(function (option) {
      var button = L.el("button", { type: "button", "aria-pressed": String(option.value === chosen), text: option.label });
      button.addEventListener("click", function () {
        node.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
        button.setAttribute("aria-pressed", "true");
        onPick(option.value);
      });
      node.appendChild(button);
    });
  }

  // ---- interventions: the dialogs and the actions --------------------------------------

  var afterChange = function () { return Promise.resolve(); };

  function dialogError(form, error) {
    var box = form.querySelector('[data-field="error"]');
    box.textContent = error ? String(error.message || error) : "";
    box.hidden = !error;
  }

  function openInterventionDialog(tutorId, tutorName, reason) {
    var dialog = byId("open-intervention");
    if (!dialog) return;
    var form = byId("open-intervention-form");
    form.reset();
    dialogError(form, null);
    form.elements.tutor_id.value = tutorId;
    form.elements.trigger_reason.value = reason || "";
    form.querySelector('[data-field="tutor-name"]').textContent = tutorName;
    dialog.showModal();
  }

  function completeDialog(item) {
    var dialog = byId("complete-intervention");
    var form = byId("complete-intervention-form");
    form.reset();
    dialogError(form, null);
    form.elements.intervention_id.value = item.intervention_id;
    form.querySelector('[data-field="summary"]').textContent = (words.types[item.intervention_type] || item.intervention_type) + " for " + item.tutor_name;
    dialog.showModal();
  }

  function bindDialogs() {
    document.querySelectorAll("dialog [data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
    var openForm = byId("open-intervention-form");
    if (openForm) {
      openForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var f = openForm.elements;
        var body = {
          tutor_id: f.tutor_id.value,
          intervention_type: f.intervention_type.value,
          trigger_reason: f.trigger_reason.value.trim(),
          priority: parseInt(f.priority.value, 10),
        };
        if (f.due_date.value) body.due_date = f.due_date.value;
        if (f.assigned_to.value.trim()) body.assigned_to = f.assigned_to.value.trim();
        L.api(API + "/interventions", { method: "POST", json: body }).then(function (created) {
          byId("open-intervention").close();
          showDone("Opened: " + (words.types[created.intervention_type] || created.intervention_type) + " for " + created.tutor_name + ".");
          return afterChange();
        }).catch(function (error) { dialogError(openForm, error); });
      });
    }
    var completeForm = byId("complete-intervention-form");
    if (completeForm) {
      completeForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var f = completeForm.elements;
        var body = { outcome: f.outcome.value };
        if (f.notes.value.trim()) body.notes = f.notes.value.trim();
        L.api(API + "/interventions/" + f.intervention_id.value + "/complete", { method: "POST", json: body })
          .then(function (done) {
            byId("complete-intervention").close();
            showDone("Completed: " + (words.types[done.intervention_type] || done.intervention_type) + " for " + done.tutor_name + " (" + (words.outcomes[done.outcome] || done.outcome) + ").");
            return afterChange();
          }).catch(function (error) { dialogError(completeForm, error); });
      });
    }
  }

  function moveTo(item, status) {
    showError(null);
    return L.api(API + "/interventions/" + item.intervention_id + "/status", { method: "POST", json: { status: status } })
      .then(function (moved) {
        showDone((words.types[moved.intervention_type] || moved.intervention_type) + " for " + moved.tutor_name + ": " + (words.statuses[moved.status] || moved.status) + ".");
        return afterChange();
      }).catch(showError);
  }

  // The buttons an intervention offers in its state (only to those who may change it).
  function actions(item) {
    if (!config.can_write) return [];
    var buttons = [];
    function button(label, onClick, extraClass) {
      var node = L.el("button", { type: "button", class: extraClass || "", text: label, "data-action": label.toLowerCase() });
      node.addEventListener("click", onClick);
      buttons.push(node);
    }
    if (item.status === "pending") button("Start", function () { moveTo(item, "in_progress"); });
    if (item.status === "in_progress") button("Complete", function () { completeDialog(item); }, "primary");
    if (item.status === "pending" || item.status === "in_progress") {
      button("Cancel", function () {
        if (window.confirm("Cancel this intervention for " + item.tutor_name + "?")) moveTo(item, "cancelled");
      }, "danger");
    }
    return buttons;
  }

  function interventionCard(item, withTutor) {
    var meta = [];
    meta.push("priority " + item.priority);
    if (item.due_date) meta.push("due " + item.due_date);
    if (item.assigned_to) meta.push(item.assigned_to);
    else if (item.owner_queue) meta.push("queue " + item.owner_queue);
    if (item.escalation_level > 0) meta.push("escalated ×" + item.escalation_level);
    var head = [L.el("strong", { text: words.types[item.intervention_type] || item.intervention_type })];
    if (item.overdue) head.push(text(" "), L.el("span", { class: "badge critical", text: "overdue" }));
    if (item.outcome) head.push(text(" "), L.el("span", { class: "badge " + (item.outcome === "improved" ? "good" : "low"), text: words.outcomes[item.outcome] || item.outcome }));
    var children = [L.el("div", {}, head)];
    if (withTutor) children.push(L.el("div", {}, [tutorLink(item.tutor_id, item.tutor_name)]));
    children.push(L.el("div", { class: "muted small", text: meta.join(" · ") }));
    children.push(L.el("div", { class: "small reason", title: item.trigger_reason, text: item.trigger_reason }));
    if (item.notes) children.push(L.el("div", { class: "small muted", text: "Notes: " + item.notes }));
    var buttons = actions(item);
    if (buttons.length) children.push(L.el("div", { class: "controls" }, buttons));
    return L.el("article", {
      class: "intervention" + (item.overdue ? " overdue" : ""),
      "data-status": item.status,
      "data-intervention-id": item.intervention_id,
    }, children);
  }

  // ---- the dashboard ---------------------------------------------------------------------

  function riskTiles(risk) {
    var node = byId("risk-tiles");
    clear(node);
    var total = risk.levels.reduce(function (sum, entry) { return sum + entry.tutors; }, 0);
    node.appendChild(tile("Tutors scored", L.formatNumber(total), risk.as_of ? "on " + day(risk.as_of) : "no scoring yet"));
    risk.levels.slice().reverse().forEach(function (entry) {
      node.appendChild(tile(entry.risk_level + " risk", L.formatNumber(entry.tutors), total ? percent(entry.tutors / total, 0) + " of tutors" : ""));
    });
  }

  function riskChart(risk) {
    var labels = risk.buckets.map(function (b) { return b.low + "–" + b.high; });
    var traces = words.levels.map(function (level) {
      return {
        type: "bar", name: level, x: labels, marker: { color: LEVEL_COLORS[level] },
        y: risk.buckets.map(function (b) { return b.tutors[level] || 0; }),
        hovertemplate: "%{x}: %{y} tutors (" + level + ")<extra></extra>",
      };
    });
    var rows = risk.buckets.map(function (b) {
      var row = { score: b.low + "–" + b.high };
      words.levels.forEach(function (level) { row[level] = b.tutors[level] || 0; });
      return row;
    });
    var columns = [{ key: "score", label: "Risk score" }].concat(words.levels.map(function (level) { return { key: level, label: level, numeric: true }; }));
    return L.chart("risk-chart", traces, { barmode: "stack", xaxis: { title: "risk score" }, yaxis: { title: "tutors" } }, { columns: columns, rows: rows });
  }

  function riskTrendChart(risk) {
    var days = risk.trend.map(function (point) { return point.day.slice(0, 10); });
    var traces = ["High", "Critical"].map(function (level) {
      return {
        type: "scatter", mode: "lines", stackgroup: "risk", name: level, x: days,
        line: { color: LEVEL_COLORS[level] },
        y: risk.trend.map(function (point) { return point.tutors[level] || 0; }),
      };
    });
    var rows = risk.trend.map(function (point) {
      return { day: point.day.slice(0, 10), High: point.tutors.High || 0, Critical: point.tutors.Critical || 0 };
    });
    return L.chart("risk-trend", traces, { yaxis: { title: "tutors" } }, {
      columns: [{ key: "day", label: "Scoring day" }, { key: "High", label: "High", numeric: true }, { key: "Critical", label: "Critical", numeric: true }],
      rows: rows,
    });
  }

  function renderQueue(queue) {
    var body = byId("queue").tBodies[0];
    clear(body);
    queue.tutors.forEach(function (item) {
      var action;
      if (item.has_open_intervention) {
        action = L.el("span", { class: "muted small", text: "intervention open" });
      } else if (config.can_write) {
        action = L.el("button", { type: "button", class: "primary", text: "Open intervention" });
        action.addEventListener("click", function () {
          openInterventionDialog(item.tutor_id, item.name, item.top_reason ? "Churn risk " + item.risk_score + ": " + item.top_reason : "Churn risk " + item.risk_score);
        });
      } else {
        action = text("–");
      }
      var reason = item.top_reason || "–";
      body.appendChild(L.el("tr", { "data-tutor-id": item.tutor_id }, [
        cell(tutorLink(item.tutor_id, item.name)),
        cell(String(item.risk_score), { class: "num" }),
        cell(levelBadge(item.risk_level), { "data-sort": String(words.levels.indexOf(item.risk_level)) }),
        cell(percent(item.churn_probability_30d), { class: "num", "data-sort": String(item.churn_probability_30d) }),
        cell(reason),
        cell(action),
      ]));
    });
    byId("queue-empty").hidden = queue.tutors.length > 0;
    byId("queue-shown").textContent = queue.tutors.length ? queue.tutors.length + " tutors" : "";
  }

  function renderBoard(board) {
    var node = byId("board");
    clear(node);
    ["pending", "in_progress", "completed", "cancelled"].forEach(function (status) {
      var column = board.columns[status] || { total: 0, interventions: [] };
      var overdue = column.interventions.filter(function (item) { return item.overdue; }).length;
      var heading = (words.statuses[status] || status) + " · " + column.total + (overdue ? " (" + overdue + " overdue)" : "");
      var cards = column.interventions.map(function (item) { return interventionCard(item, true); });
      if (!cards.length) cards = [L.el("p", { class: "muted small", text: "None." })];
      if (column.total > column.interventions.length) {
        cards.push(L.el("p", { class: "muted small", text: "and " + (column.total - column.interventions.length) + " more (CSV)" }));
      }
      node.appendChild(L.el("section", { class: "board-column", "data-status": status }, [L.el("h3", { text: heading })].concat(cards)));
    });
  }

  function dashboard() {
    riskTiles(data.risk);
    renderQueue(data.queue);
    renderBoard(data.board);
    afterChange = function () {
      return Promise.all([L.api(API + "/high-risk"), L.api(API + "/intervention-board")]).then(function (views) {
        renderQueue(views[0]);
        renderBoard(views[1]);
      });
    };
    whenDrawn([riskChart(data.risk), riskTrendChart(data.risk)]);
  }

  // ---- the tutors list -------------------------------------------------------------------

  function tutorsList() {
    var form = byId("tutor-filters");
    var state = { offset: 0, limit: data.tutors.limit, total: data.tutors.total };

    function query(offset) {
      var params = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value) params.set(field.name, field.value.trim());
      });
      var csv = "/api/tutormax/tutors.csv?" + params.toString();
      params.set("limit", String(state.limit));
      params.set("offset", String(offset));
      byId("tutors-csv").setAttribute("href", csv);
      return params.toString();
    }

    function render(result) {
      state.offset = result.offset;
      state.total = result.total;
      var body = byId("tutors").tBodies[0];
      clear(body);
      result.tutors.forEach(function (t) {
        body.appendChild(L.el("tr", { "data-tutor-id": t.tutor_id }, [
          cell(tutorLink(t.tutor_id, t.name)),
          cell(t.status),
          cell(t.subjects.join(", ")),
          cell(t.risk_score === null ? "–" : String(t.risk_score), { class: "num" }),
          cell(t.risk_level ? levelBadge(t.risk_level) : text("–")),
          cell(t.overall_score === null ? "–" : L.formatNumber(t.overall_score, 0), { class: "num" }),
          cell(t.performance_tier || "–"),
        ]));
      });
      var last = Math.min(result.offset + result.tutors.length, result.total);
      byId("tutors-shown").textContent = result.total ? (result.offset + 1) + "–" + last + " of " + result.total : "No tutor matches.";
      byId("tutors-previous").disabled = result.offset === 0;
      byId("tutors-next").disabled = last >= result.total;
    }

    function load(offset) {
      showError(null);
      return L.api(API + "/tutors?" + query(offset)).then(render).catch(showError);
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); load(0); });
    byId("tutors-previous").addEventListener("click", function () { load(Math.max(0, state.offset - state.limit)); });
    byId("tutors-next").addEventListener("click", function () { load(state.offset + state.limit); });
    render(data.tutors);
    chartsDrawn();
  }

  // ---- a tutor: shared by the profile and the tutor's own page ---------------------------

  var METRICS = [
    { key: "overall_score", label: "Overall score", digits: 0 },
    { key: "avg_rating", label: "Average rating", digits: 2 },
    { key: "first_session_success_rate", label: "First-session success", rate: true },
    { key: "reschedule_rate", label: "Tutor reschedules", rate: true },
    { key: "engagement_score", label: "Engagement", rate: true },
    { key: "sessions_completed", label: "Sessions completed", digits: 0 },
  ];

  function metricHistoryChart(history, metric, windows) {
    var traces = windows.map(function (w) {
      var points = history.metrics.filter(function (p) { return p.metric_window === w; });
      return {
        type: "scatter", mode: "lines", name: WINDOW_WORDS[w], line: { color: WINDOW_COLORS[w] },
        x: points.map(function (p) { return p.calculation_date.slice(0, 10); }),
        y: points.map(function (p) {
          var value = p[metric.key];
          return value === null ? null : (metric.rate ? value * 100 : value);
        }),
        connectgaps: false,
      };
    });
    // The numbers: one row a week (the chart has every day).
    var rows = [];
    var byDay = {};
    history.metrics.forEach(function (p) {
      var d = p.calculation_date.slice(0, 10);
      if (!byDay[d]) { byDay[d] = { day: d }; rows.push(byDay[d]); }
      var value = p[metric.key];
      byDay[d][p.metric_window] = value === null ? null : (metric.rate ? value * 100 : value);
    });
    var weekly = rows.filter(function (row, index) { return (rows.length - 1 - index) % 7 === 0; });
    var columns = [{ key: "day", label: "Day" }].concat(windows.map(function (w) { return { key: w, label: WINDOW_WORDS[w], numeric: true }; }));
    var yTitle = metric.label + (metric.rate ? " (%)" : "");
    return L.chart("metric-history", traces, { yaxis: { title: yTitle } }, { columns: columns, rows: weekly });
  }

  function standingTable(windowStanding) {
    var node = byId("standing");
    clear(node);
    if (!windowStanding) { node.appendChild(L.el("p", { class: "muted", text: "No metrics yet for this window." })); return; }
    var rows = windowStanding.metrics.map(function (m) {
      var share = "–";
      if (m.better_than !== null && windowStanding.peers > 0) {
        if (m.better_than >= 0.995) share = "better than all " + windowStanding.peers;
        else if (m.better_than <= 0.005) share = "better than none";
        else share = "better than " + L.formatNumber(m.better_than * 100, 0) + " %";
      }
      return { metric: m.label, value: m.shown, peers: share, direction: m.higher_is_better ? "higher is better" : "lower is better" };
    });
    node.appendChild(L.table([
      { key: "metric", label: "Metric" }, { key: "value", label: "Value" },
      { key: "peers", label: "Among " + windowStanding.peers + " peers" }, { key: "direction", label: "" },
    ], rows));
  }

  function liftList(windowStanding) {
    var list = byId("lifts");
    clear(list);
    var lifts = windowStanding ? windowStanding.lifts : [];
    if (!lifts.length) {
      list.appendChild(L.el("li", { class: "muted", text: windowStanding ? "Every criterion of the scorecard is met in this window." : "No metrics yet." }));
      return;
    }
    lifts.forEach(function (lift) { list.appendChild(L.el("li", { "data-criterion": lift.criterion, text: lift.sentence })); });
  }

  function sessionsTable(sessions) {
    var node = byId("sessions");
    clear(node);
    node.appendChild(simpleTable([
      { key: "when", label: "When" }, { key: "subject", label: "Subject" }, { key: "status", label: "Status" },
      { key: "first", label: "First" }, { key: "rating", label: "Rating", numeric: true }, { key: "note", label: "Note" },
    ], sessions.map(function (s) {
      var note = s.no_show_by ? "no-show by " + s.no_show_by : (s.rescheduled_by ? "rescheduled by " + s.rescheduled_by : (s.free_text_feedback || ""));
      return {
        when: s.scheduled_start.slice(0, 16).replace("T", " "), subject: s.subject, status: s.status,
        first: s.is_first_session ? "yes" : "", rating: s.overall_rating, note: note,
      };
    }), "No sessions yet."));
  }

  function byWindow(standing) {
    var map = {};
    (standing.windows || []).forEach(function (w) { map[w.metric_window] = w; });
    return map;
  }

  // ---- the profile -------------------------------------------------------------------------

  function profileTiles(profile, windows) {
    var node = byId("tutor-tiles");
    clear(node);
    var p = profile.prediction;
    if (p) {
      node.appendChild(tile("Risk score", String(p.risk_score), p.risk_level + " · " + day(p.prediction_date), "risk-" + p.risk_level.toLowerCase()));
      node.appendChild(tile("Churn in 7 days", percent(p.churn_probability_7d), ""));
      node.appendChild(tile("Churn in 30 days", percent(p.churn_probability_30d), ""));
      node.appendChild(tile("Churn in 90 days", percent(p.churn_probability_90d), ""));
    } else {
      node.appendChild(tile("Risk score", "–", "not scored yet"));
    }
    var month = windows["30day"];
    node.appendChild(tile("Score (30 days)", month && month.overall_score !== null ? L.formatNumber(month.overall_score, 0) : "–", month && month.performance_tier ? month.performance_tier : "not scored"));
    var s = profile.statistics;
    node.appendChild(tile("Sessions (30 days)", L.formatNumber(s.total_sessions), s.no_shows + " no-shows · " + s.reschedules + " reschedules"));
  }

  function reasonsList(profile) {
    var list = byId("reasons");
    clear(list);
    var factors = profile.prediction ? profile.prediction.factors : [];
    byId("no-reasons").hidden = !!profile.prediction;
    factors.slice(0, 8).forEach(function (factor) {
      var raising = factor.points > 0;
      list.appendChild(L.el("li", { class: raising ? "raises" : "lowers" }, [
        L.el("span", { class: "points", text: (raising ? "+" : "") + L.formatNumber(factor.points, 1) }),
        L.el("span", { text: factor.reason }),
      ]));
    });
  }

  function riskHistoryChart(history) {
    var points = history.risk;
    var traces = [{
      type: "scatter", mode: "lines+markers", name: "risk score", line: { color: "#b3261e" },
      x: points.map(function (p) { return p.prediction_date.slice(0, 10); }),
      y: points.map(function (p) { return p.risk_score; }),
      hovertemplate: "%{x}: risk %{y}<extra></extra>",
    }];
    var layout = {
      yaxis: { title: "risk score", range: [0, 100] },
      shapes: [25, 50, 75].map(function (y) { return { type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, line: { color: "#dfe3ea", dash: "dot" } }; }),
    };
    return L.chart("risk-history", traces, layout, {
      columns: [{ key: "day", label: "Day" }, { key: "score", label: "Risk", numeric: true }, { key: "level", label: "Level" }, { key: "p30", label: "Churn in 30 days (%)", numeric: true }],
      rows: points.map(function (p) { return { day: p.prediction_date.slice(0, 10), score: p.risk_score, level: p.risk_level, p30: p.churn_probability_30d * 100 }; }),
    });
  }

  function interventionList(profile) {
    var node = byId("interventions");
    clear(node);
    if (!profile.interventions.length) {
      node.appendChild(L.el("p", { class: "muted", text: "No interventions for this tutor yet." }));
      return;
    }
    node.appendChild(L.el("div", { class: "board-list" }, profile.interventions.map(function (item) { return interventionCard(item, false); })));
  }

  function eventsTable(events) {
    var node = byId("events");
    clear(node);
    node.appendChild(simpleTable([{ key: "when", label: "When" }, { key: "what", label: "What" }], events.map(function (e) {
      return { when: e.event_timestamp.slice(0, 16).replace("T", " "), what: e.event_type.replace(/_/g, " ") };
    }), "No activity recorded."));
  }

  function tutorProfile() {
    var profile = data.profile;
    var windows = byWindow(data.standing);
    profileTiles(profile, windows);
    reasonsList(profile);
    standingTable(windows["30day"]);
    liftList(windows["30day"]);
    interventionList(profile);
    sessionsTable(profile.sessions);
    eventsTable(profile.events);
    var newButton = byId("new-intervention");
    if (newButton) {
      newButton.addEventListener("click", function () {
        var top = profile.prediction && profile.prediction.factors.filter(function (f) { return f.points > 0; })[0];
        var reason = profile.prediction ? "Churn risk " + profile.prediction.risk_score + (top ? ": " + top.reason : "") : "";
        openInterventionDialog(newButton.dataset.tutorId, newButton.dataset.tutorName, reason);
      });
    }
    afterChange = function () {
      return L.api(API + "/tutors/" + encodeURIComponent(profile.tutor.tutor_id) + "/profile").then(function (fresh) {
        profile = fresh;
        interventionList(fresh);
      });
    };
    var chosen = METRICS[0];
    pick("metric-pick", METRICS.map(function (m) { return { value: m.key, label: m.label }; }), chosen.key, function (key) {
      metricHistoryChart(data.history, METRICS.filter(function (m) { return m.key === key; })[0], ["7day", "30day", "90day"]);
    });
    whenDrawn([riskHistoryChart(data.history), metricHistoryChart(data.history, chosen, ["7day", "30day", "90day"])]);
  }

  // ---- the model ---------------------------------------------------------------------------

  var FORECASTER_COLORS = { model: "#2457c5", recency: "#8a96b3", logins: "#c4cbe0", "true hazard": "#1f7a4d" };

  function churnModel() {
    var card = data.card;
    if (!card) { chartsDrawn(); return; }
    var evaluation = card.evaluation;
    var tiles = byId("model-tiles");
    tiles.appendChild(tile("Trained on data to", day(card.as_of), "trained " + day(card.trained_at)));
    if (card.training && card.training.snapshots !== undefined) tiles.appendChild(tile("Training snapshots", L.formatNumber(card.training.snapshots), "tutor-days"));
    byId("features").appendChild(simpleTable([
      { key: "words", label: "Feature" }, { key: "unit", label: "Unit" }, { key: "direction", label: "Allowed direction" },
      { key: "weight", label: "Weight", numeric: true, digits: 3 }, { key: "median", label: "Training median", numeric: true, digits: 2 },
    ], card.features.map(function (f) {
      return { words: f.words, unit: f.unit, direction: f.direction > 0 ? "raises risk" : (f.direction < 0 ? "lowers risk" : "either"), weight: f.weight, median: f.median };
    })));
    if (!evaluation) { byId("no-evaluation").hidden = false; chartsDrawn(); return; }
    var horizons = Object.keys(evaluation.horizons).sort(function (a, b) { return Number(a) - Number(b); });
    var names = Object.keys(evaluation.forecasters).filter(function (name) {
      return horizons.some(function (h) { return evaluation.horizons[h][name]; });
    });
    var month = evaluation.horizons["30"] || evaluation.horizons[horizons[0]];
    var events = month && month.model ? month.model.churned : 0;
    if (month && month.model) {
      tiles.appendChild(tile("AUC, 30 days", L.formatNumber(month.model.auc, 3), month["true hazard"] ? "true hazard " + L.formatNumber(month["true hazard"].auc, 3) : ""));
      tiles.appendChild(tile("Calibration error, 30 days", L.formatNumber(month.model.ece, 3), "expected calibration error"));
      tiles.appendChild(tile("Held-out churn, 30 days", L.formatNumber(events), "of " + L.formatNumber(month.model.count) + " snapshots"));
    }
    byId("outcomes-from").textContent = card.method + ". Held out: " + evaluation.test_days.length + " weekly snapshots from " + evaluation.as_of + "; outcomes from " + evaluation.outcomes_from + ".";
    // Fewer churn events than this and AUC and calibration move by tenths between runs.
    if (events < 50) {
      var few = byId("few-events");
      few.textContent = "Only " + events + " tutors churned within 30 days of a held-out snapshot: these figures are noisy. Measure on a larger history (lyceum generate tutormax --scale default, then lyceum tutormax evaluate).";
      few.hidden = false;
    }

    var aucTraces = names.map(function (name) {
      return {
        type: "bar", name: name, marker: { color: FORECASTER_COLORS[name] || "#999" },
        x: horizons.map(function (h) { return h + " days"; }),
        y: horizons.map(function (h) { var s = evaluation.horizons[h][name]; return s ? s.auc : null; }),
        hovertemplate: name + ", %{x}: AUC %{y:.3f}<extra></extra>",
      };
    });
    var scoreRows = [];
    horizons.forEach(function (h) {
      names.forEach(function (name) {
        var s = evaluation.horizons[h][name];
        if (s) scoreRows.push({ horizon: h + " days", forecaster: evaluation.forecasters[name], auc: s.auc, brier: s.brier, ece: s.ece, predicted: s.mean_predicted * 100, observed: s.observed * 100, churned: s.churned, count: s.count });
      });
    });
    var scoreColumns = [
      { key: "horizon", label: "Horizon" }, { key: "forecaster", label: "Forecaster" },
      { key: "auc", label: "AUC", numeric: true, digits: 3 }, { key: "brier", label: "Brier", numeric: true, digits: 4 }, { key: "ece", label: "ECE", numeric: true, digits: 4 },
      { key: "predicted", label: "Mean predicted (%)", numeric: true, digits: 1 }, { key: "observed", label: "Observed (%)", numeric: true, digits: 1 },
      { key: "churned", label: "Churned", numeric: true, digits: 0 }, { key: "count", label: "Snapshots", numeric: true, digits: 0 },
    ];
    byId("scores").appendChild(L.table(scoreColumns, scoreRows));
    var lowest = Math.min.apply(null, scoreRows.map(function (row) { return row.auc; }).concat([0.5]));
    var aucDrawn = L.chart("auc-chart", aucTraces, { barmode: "group", yaxis: { title: "AUC", range: [Math.floor(lowest * 10) / 10, 1] } }, {
      columns: [{ key: "horizon", label: "Horizon" }, { key: "forecaster", label: "Forecaster" }, { key: "auc", label: "AUC", numeric: true, digits: 3 }],
      rows: scoreRows,
    });

    function calibration(h) {
      var traces = [{ type: "scatter", mode: "lines", name: "perfect", x: [0, 100], y: [0, 100], line: { color: "#dfe3ea", dash: "dot" }, hoverinfo: "skip" }];
      var rows = [];
      ["model", "true hazard"].forEach(function (name) {
        var s = evaluation.horizons[h][name];
        if (!s) return;
        var bins = s.calibration.filter(function (b) { return b.count > 0; });
        traces.push({
          type: "scatter", mode: "lines+markers", name: name, line: { color: FORECASTER_COLORS[name] },
          x: bins.map(function (b) { return b.mean_predicted * 100; }), y: bins.map(function (b) { return b.observed * 100; }),
          text: bins.map(function (b) { return b.count + " snapshots"; }),
          hovertemplate: name + ": predicted %{x:.1f} %, observed %{y:.1f} % (%{text})<extra></extra>",
        });
        bins.forEach(function (b) { rows.push({ forecaster: name, predicted: b.mean_predicted * 100, observed: b.observed * 100, count: b.count }); });
      });
      var top = Math.min(100, Math.max(5, Math.ceil(Math.max.apply(null, rows.map(function (r) { return Math.max(r.predicted, r.observed); }).concat([5])) * 1.1)));
      return L.chart("calibration-chart", traces, { xaxis: { title: "predicted churn (%)", range: [0, top] }, yaxis: { title: "observed churn (%)", range: [0, top] } }, {
        columns: [{ key: "forecaster", label: "Forecaster" }, { key: "predicted", label: "Predicted (%)", numeric: true }, { key: "observed", label: "Observed (%)", numeric: true }, { key: "count", label: "Snapshots", numeric: true }],
        rows: rows,
      });
    }
    var firstHorizon = evaluation.horizons["30"] ? "30" : horizons[0];
    pick("horizon-pick", horizons.map(function (h) { return { value: h, label: h + " days" }; }), firstHorizon, calibration);

    byId("levels").appendChild(simpleTable([
      { key: "level", label: "Level" }, { key: "share", label: "Share (%)", numeric: true },
      { key: "p30", label: "Predicted 30 d (%)", numeric: true }, { key: "o30", label: "Observed 30 d (%)", numeric: true },
      { key: "p90", label: "Predicted 90 d (%)", numeric: true }, { key: "o90", label: "Observed 90 d (%)", numeric: true },
    ], evaluation.risk_levels.map(function (r) {
      function pc(v) { return v === null ? null : v * 100; }
      return { level: r.level, share: r.share * 100, p30: pc(r.predicted_30d), o30: pc(r.observed_30d), p90: pc(r.predicted_90d), o90: pc(r.observed_90d) };
    })));
    var targets = byId("targets");
    var list = L.el("ul", { class: "alerts" }, evaluation.targets.map(function (t) {
      return L.el("li", {}, [
        L.el("span", { class: "badge " + (t.met ? "passed" : "failed"), text: t.met ? "met" : "missed" }),
        text(" " + t.target + ": " + L.formatNumber(t.model, 3) + " against " + L.formatNumber(t.against, 3)),
      ]);
    }));
    targets.appendChild(list);
    whenDrawn([aucDrawn, calibration(firstHorizon)]);
  }

  // ---- the tutor's own page ----------------------------------------------------------------

  function myPage() {
    if (!data.profile) { chartsDrawn(); return; }
    var windows = byWindow(data.standing);
    function show(w) {
      var standing = windows[w];
      var tiles = byId("my-tiles");
      clear(tiles);
      if (standing) {
        tiles.appendChild(tile("Your score (" + WINDOW_WORDS[w] + ")", standing.overall_score === null ? "–" : L.formatNumber(standing.overall_score, 0), standing.performance_tier || "not scored: too few sessions"));
        var overall = standing.metrics.filter(function (m) { return m.key === "overall_score"; })[0];
        if (overall && overall.better_than !== null) tiles.appendChild(tile("Among your peers", "top " + L.formatNumber(Math.max(1, 100 - overall.better_than * 100), 0) + " %", "better than " + L.formatNumber(overall.better_than * 100, 0) + " % of " + standing.peers + " tutors"));
        tiles.appendChild(tile("As of", day(standing.calculation_date), "updated every morning"));
      }
      standingTable(standing);
      liftList(standing);
    }
    pick("window-pick", ["7day", "30day", "90day"].map(function (w) { return { value: w, label: WINDOW_WORDS[w] }; }), "30day", show);
    show("30day");
    sessionsTable(data.profile.sessions);
    whenDrawn([metricHistoryChart(data.history, METRICS[0], ["7day", "30day", "90day"])]);
  }

  bindDialogs();
  var renderers = { dashboard: dashboard, tutors: tutorsList, tutor: tutorProfile, model: churnModel, me: myPage };
  try {
    if (renderers[page]) renderers[page]();
  } catch (error) {
    showError(error);
    chartsDrawn();
  }
})();
