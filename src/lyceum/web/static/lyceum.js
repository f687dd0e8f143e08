/* Lyceum's page helpers: JSON calls with the session's CSRF token, the live stream, charts
   with their numbers as a table, sortable tables, confirmations. No framework, no build. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // A JSON call to our own API with the browser's session. Rejects with an Error whose
  // message is the API's sentence (and `details`, `status`: what the API said besides).
  // `options.body` with `options.contentType` sends raw text (a file's contents) instead.
  function api(path, options) {
    options = options || {};
    var method = (options.method || "GET").toUpperCase();
    var headers = { Accept: "application/json" };
    var body;
    if (method !== "GET" && method !== "HEAD") {
      headers["X-CSRF-Token"] = csrfToken();
    }
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers["Content-Type"] = options.contentType || "application/octet-stream";
      body = options.body;
    }
    return fetch(path, { method: method, headers: headers, body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) {
          var data = text ? JSON.parse(text) : null;
          if (!response.ok) {
            if (response.status === 401) {
              window.location.assign("/sign-in?expired=1&next=" + encodeURIComponent(location.pathname + location.search));
            }
            var message = data && data.error ? data.error.message : response.statusText;
            var error = new Error(message);
            error.status = response.status;
            error.details = data && data.error ? data.error.details : null;
            throw error;
          }
          return data;
        });
      });
  }

  // Server-Sent Events with the session cookie; the browser reconnects by itself.
  function stream(path, handlers) {
    var source = new EventSource(path, { withCredentials: true });
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (event) {
        handlers[name](JSON.parse(event.data));
      });
    });
    return source;
  }

  function pageData(id) {
    var node = document.getElementById(id || "page-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "text") node.textContent = attributes[key];
      else node.setAttribute(key, attributes[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  function formatNumber(value, digits) {
    if (value === null || value === undefined) return "–";
    if (typeof value !== "number") return String(value);
    if (digits !== undefined) {
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
    }
    return numberFormat.format(value);
  }

  // A table from columns [{key, label, numeric, digits}] and rows (objects); text nodes only.
  function table(columns, rows) {
    var head = el("tr", {}, columns.map(function (c) {
      return el("th", { class: c.numeric ? "num" : "", scope: "col", text: c.label });
    }));
    var body = rows.map(function (row) {
      return el("tr", {}, columns.map(function (c) {
        var value = row[c.key];
        return el("td", { class: c.numeric ? "num" : "", text: c.numeric ? formatNumber(value, c.digits) : (value === null || value === undefined ? "–" : String(value)) });
      }));
    });
    return el("div", { class: "table-wrap" }, [el("table", {}, [el("thead", {}, [head]), el("tbody", {}, body)])]);
  }

  // A plotly chart, with its numbers in a table beneath it (a <details> a reader opens).
  function chart(container, data, layout, numbers) {
    var target = typeof container === "string" ? document.getElementById(container) : container;
    var base = {
      margin: { t: 10, r: 10, b: 40, l: 50 },
      legend: { orientation: "h", y: -0.2 },
      font: { family: "system-ui, sans-serif", size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
    };
    var merged = Object.assign({}, base, layout || {});
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
    var drawn = window.Plotly.react(target, data, merged, config);
    if (numbers) {
      var holder = target.nextElementSibling;
      if (!holder || !holder.classList.contains("numbers")) {
        holder = el("details", { class: "numbers" }, [el("summary", { text: "Numbers" })]);
        target.parentNode.insertBefore(holder, target.nextSibling);
      }
      while (holder.childNodes.length > 1) holder.removeChild(holder.lastChild);
      holder.appendChild(table(numbers.columns, numbers.rows));
    }
    return drawn;
  }

  // Tables whose headers sort them: <table data-sortable>; a header <button> per column.
  function sortable(tableNode) {
    var headers = tableNode.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      var label = th.textContent;
      var button = el("button", { type: "button", text: label });
      th.textContent = "";
      th.appendChild(button);
      var ascending = true;
      button.addEventListener("click", function () {
        var body = tableNode.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].dataset.sort || a.cells[index].textContent;
          var y = b.cells[index].dataset.sort || b.cells[index].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        ascending = !ascending;
      });
    });
  }

  // The page's error line (#page-message): the sentence, or hidden when `error` is empty.
  function showError(error) {
    var box = document.getElementById("page-message");
    if (!box) return;
    box.textContent = error ? String(error.message || error) : "";
    box.hidden = !error;
  }

  // Called once the page's last chart is drawn: what the browser tests and `lyceum bench web`
  // wait for (a performance mark and body[data-charts-drawn]).
  function chartsDrawn() {
    if (document.body.dataset.chartsDrawn) return;
    if (window.performance && performance.mark) performance.mark("lyceum:charts-drawn");
    document.body.dataset.chartsDrawn = "true";
  }

  // chartsDrawn once every chart promise settles; a failed one shows its error first.
  function whenDrawn(promises) {
    Promise.all(promises).then(chartsDrawn, function (error) { showError(error); chartsDrawn(); });
  }

  // Buttons and forms with data-confirm ask first.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-sortable]").forEach(sortable);
  });

  window.Lyceum = {
    api: api,
    stream: stream,
    pageData: pageData,
    chart: chart,
    table: table,
    sortable: sortable,
    el: el,
    formatNumber: formatNumber,
    csrfToken: csrfToken,
    showError: showError,
    chartsDrawn: chartsDrawn,
    whenDrawn: whenDrawn,
  };
})();
