/* Mathvidya's standing pages: the progress charts (units, month by month) and the teacher
   charts (throughput, marks histogram), drawn with the shell's plotly from the page's JSON
   island; each chart's numbers also go in a table beneath it (Lyceum.chart). */
(function () {
  "use strict";
  var L = window.Lyceum;
  if (!L || !window.Plotly) return;
  var data = L.pageData();
  var drawn = [];
  function percent(rate) { return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10; }

  if (data.progress && document.getElementById("unit-chart")) {
    var units = data.progress.units.filter(function (u) { return u.rate !== null; });
    drawn.push(L.chart("unit-chart", [{
      type: "bar", orientation: "h",
      y: units.map(function (u) { return u.unit; }),
      x: units.map(function (u) { return percent(u.rate); }),
      hovertemplate: "%{y}: %{x} %<extra></extra>",
    }], { xaxis: { range: [0, 100], title: "% of marks" }, margin: { l: 220, t: 10, r: 10, b: 40 } }, {
      columns: [{ key: "unit", label: "Unit" }, { key: "questions", label: "Questions", numeric: true }, { key: "pct", label: "%", numeric: true, digits: 1 }],
      rows: units.map(function (u) { return { unit: u.unit, questions: u.questions, pct: percent(u.rate) }; }),
    }));
    var months = data.progress.months;
    var types = {};
    months.forEach(function (m) { Object.keys(m.question_types).forEach(function (t) { types[t] = true; }); });
    var traces = [{ type: "scatter", mode: "lines+markers", name: "Overall",
      x: months.map(function (m) { return m.month; }), y: months.map(function (m) { return percent(m.rate); }) }];
    Object.keys(types).sort().forEach(function (t) {
      traces.push({ type: "scatter", mode: "lines+markers", name: t, line: { dash: "dot" },
        x: months.map(function (m) { return m.month; }),
        y: months.map(function (m) { return percent(m.question_types[t]); }) });
    });
    drawn.push(L.chart("trend-chart", traces, { yaxis: { range: [0, 100], title: "% of marks" }, xaxis: { type: "category" } }, {
      columns: [{ key: "month", label: "Month" }, { key: "papers", label: "Papers", numeric: true }, { key: "pct", label: "%", numeric: true, digits: 1 }],
      rows: months.map(function (m) { return { month: m.month, papers: m.papers, pct: percent(m.rate) }; }),
    }));
  }

  if (data.teachers && document.getElementById("throughput-chart")) {
    drawn.push(L.chart("throughput-chart", data.teachers.map(function (t) {
      return { type: "scatter", mode: "lines+markers", name: t.name,
        x: t.weeks.map(function (w) { return w.week; }), y: t.weeks.map(function (w) { return w.completed; }) };
    }), { xaxis: { type: "category" }, yaxis: { title: "Completed" } }));
    var bins = ["0-10", "10-20", "20-30", "30-40", "40-50", "50-60", "60-70", "70-80", "80-90", "90-100"];
    drawn.push(L.chart("marks-chart", data.teachers.map(function (t) {
      return { type: "bar", name: t.name, x: bins, y: t.histogram };
    }), { barmode: "group", xaxis: { title: "% of the maximum awarded" }, yaxis: { title: "Questions" } }));
  }
  L.whenDrawn(drawn);
})();
