/* Mathvidya's answer-sheet panel on the exam page: the student picks files, each is sent as
   the raw body of PUT /exams/{id}/answer-sheets/{page} (window.Lyceum.api: the session and
   its CSRF token), to the next free page numbers in the order picked; each file's outcome
   is shown on its own line, a refusal in the server's own sentence ("This file is not a JPEG,
   PNG or PDF: it looks like text."). Links to the files are signed and expire within
   minutes, so opening one first asks the server for a fresh list. */
(function () {
  "use strict";
  var L = window.Lyceum;
  var panel = document.getElementById("answer-sheets");
  if (!panel || !L) return;
  var examId = panel.dataset.examId;
  var base = "/api/mathvidya/exams/" + examId + "/answer-sheets";
  var maxBytes = Number(panel.dataset.maxBytes);
  var maxPages = Number(panel.dataset.maxPages);
  var mayUpload = panel.dataset.mayUpload === "true";
  var picker = document.getElementById("sheet-files");
  var results = document.getElementById("sheet-results");
  var list = document.getElementById("sheet-pages");

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function usedPages() {
    return Array.prototype.map.call(list.querySelectorAll("li[data-page]"), function (item) {
      return Number(item.dataset.page);
    });
  }

  function render(sheets) {
    mayUpload = sheets.may_upload;
    list.replaceChildren();
    sheets.pages.forEach(function (page) {
      var item = element("li", { "data-page": String(page.page_number) });
      if (page.kind === "pdf") {
        item.appendChild(element("span", { "class": "pdf-page" }, "PDF"));
      } else {
        item.appendChild(element("img", { src: page.url, alt: "Page " + page.page_number, loading: "lazy" }));
      }
      item.appendChild(element("a", { href: page.url, "data-sheet-link": String(page.page_number) }, "Page " + page.page_number));
      item.appendChild(element("span", { "class": "muted" },
        page.kind.toUpperCase() + " · " + Math.round(page.size_bytes / 1024) + " KB"));
      if (mayUpload) {
        item.appendChild(element("button", { type: "button", "data-remove-page": String(page.page_number) }, "Remove"));
      }
      list.appendChild(item);
    });
    if (picker) picker.disabled = !mayUpload;
  }

  function refresh() {
    return L.api(base).then(function (sheets) { render(sheets); return sheets; });
  }

  function report(file, text, refused) {
    var line = element("li", refused ? { "class": "refused" } : {});
    line.appendChild(element("strong", {}, file.name + ": "));
    line.appendChild(document.createTextNode(text));
    results.appendChild(line);
    return line;
  }

  // One file after another, so pages keep the order the student picked them in.
  function uploadAll(files) {
    var used = usedPages();
    var next = 1;
    function freePage() {
      while (used.indexOf(next) !== -1) next += 1;
      used.push(next);
      return next;
    }
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        if (file.size > maxBytes) {
          report(file, "This file is " + megabytes(file.size) + "; a page may be at most " + megabytes(maxBytes) + ".", true);
          return null;
        }
        var page = freePage();
        if (page > maxPages) {
          report(file, "An exam may have at most " + maxPages + " pages.", true);
          return null;
        }
        var line = report(file, "uploading as page " + page + "…", false);
        var path = base + "/" + page + "?filename=" + encodeURIComponent(file.name);
        return L.api(path, { method: "PUT", body: file, contentType: file.type || "application/octet-stream" })
          .then(function (uploaded) {
            var what = uploaded.kind === "pdf"
              ? "PDF, " + uploaded.pdf_pages + " page" + (uploaded.pdf_pages === 1 ? "" : "s")
              : uploaded.kind.toUpperCase() + ", " + uploaded.width + " × " + uploaded.height;
            line.lastChild.textContent = "uploaded as page " + uploaded.page_number + " (" + what + ").";
          }, function (error) {
            used.splice(used.indexOf(page), 1);
            next = Math.min(next, page);
            line.className = "refused";
            line.lastChild.textContent = error.message;
          });
      });
    });
    return chain.then(refresh);
  }

  if (picker) {
    picker.addEventListener("change", function () {
      var files = Array.prototype.slice.call(picker.files || []);
      if (!files.length) return;
      results.replaceChildren();
      picker.disabled = true;
      uploadAll(files).then(function () {
        picker.value = "";
        picker.disabled = !mayUpload;
      }, function (error) {
        picker.disabled = !mayUpload;
        L.showError(error);
      });
    });
  }

  list.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-page]");
    if (remove) {
      remove.disabled = true;
      L.api(base + "/" + remove.dataset.removePage, { method: "DELETE" }).then(refresh, function (error) {
        remove.disabled = false;
        L.showError(error);
      });
      return;
    }
    var link = event.target.closest("[data-sheet-link]");
    if (!link) return;
    // The link in the page may have expired: open a fresh one.
    event.preventDefault();
    refresh().then(function (sheets) {
      var wanted = Number(link.dataset.sheetLink);
      var page = sheets.pages.filter(function (p) { return p.page_number === wanted; })[0];
      if (page) window.location.assign(page.url);
    }, L.showError);
  });
})();
