/* Mathvidya's marking pages: the queue's live countdowns, the marking screen (marks, stamps
   and comments saved as they are entered, stamps placed on the page images), the re-marking
   forms and the admin's reassignment. Every change goes through the API with the session
   cookie and its CSRF token (window.Lyceum.api). */
(function () {
  "use strict";
  var L = window.Lyceum;
  var API = "/api/mathvidya";

  function fail(error) { L.showError(error); }

  function on(selector, event, handler) {
    document.querySelectorAll(selector).forEach(function (node) {
      node.addEventListener(event, handler);
    });
  }

  // Wall-clock time to each deadline, every second; the working hours left are the server's.
  function countdowns() {
    var cells = document.querySelectorAll("[data-deadline].countdown");
    if (!cells.length) return;
    function tick() {
      var now = Date.now();
      cells.forEach(function (cell) {
        var left = Math.round((Date.parse(cell.dataset.deadline) - now) / 1000);
        var late = left < 0;
        left = Math.abs(left);
        var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
        var m = Math.floor(left % 3600 / 60), s = left % 60;
        var text = (d ? d + "d " : "") + h + "h " + (m < 10 ? "0" : "") + m + "m " + (s < 10 ? "0" : "") + s + "s";
        cell.textContent = late ? text + " late" : text + " left";
        cell.classList.toggle("bad", late);
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  function marking() {
    var data = L.pageData();
    if (!data || !data.evaluation) return;
    var info = data.evaluation;
    var base = API + "/evaluations/" + info.id;

    var start = document.getElementById("start-marking");
    if (start) {
      start.addEventListener("click", function () {
        start.disabled = true;
        L.api(base + "/start", { method: "POST" }).then(function () { window.location.reload(); }, function (e) {
          start.disabled = false; fail(e);
        });
      });
    }

    // A question's mark is saved when any of its fields changes.
    on("form.mark-form", "change", function (event) {
      var form = event.currentTarget;
      var marks = form.querySelector("[name=marks]");
      if (!marks || marks.value === "") return;
      var saved = form.querySelector("[data-saved]");
      var stamp = form.querySelector("[name=stamp]").value;
      var comment = form.querySelector("[name=comment]").value;
      var body = { marks: Number(marks.value) };
      if (stamp) body.stamp = stamp;
      if (comment) body.comment = comment;
      saved.textContent = "saving…";
      L.api(base + "/marks/" + form.dataset.question, { method: "PUT", json: body }).then(function () {
        L.showError("");
        saved.textContent = "saved";
      }, function (e) { saved.textContent = "not saved"; fail(e); });
    });
    on("form.mark-form", "submit", function (event) { event.preventDefault(); });

    // Stamps on the pages: choose one from the palette, click where it goes.
    var annotations = (info.annotations || []).slice();
    var chosen = document.querySelector("[data-stamp][aria-pressed=true]");
    function draw() {
      document.querySelectorAll(".sheet .placed").forEach(function (node) { node.remove(); });
      annotations.forEach(function (a) {
        var sheet = document.querySelector('.sheet[data-page="' + a.page + '"]');
        if (!sheet) return;
        var mark = document.createElement("span");
        mark.className = "placed stamp stamp-" + a.stamp;
        mark.textContent = a.stamp;
        mark.style.left = (a.x * 100) + "%";
        mark.style.top = (a.y * 100) + "%";
        sheet.appendChild(mark);
      });
    }
    function saveStamps() {
      return L.api(base + "/annotations", { method: "PUT", json: { annotations: annotations } })
        .then(function () { L.showError(""); }, fail);
    }
    draw();
    on("[data-stamp]", "click", function (event) {
      document.querySelectorAll("[data-stamp]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      chosen = event.currentTarget;
      chosen.setAttribute("aria-pressed", "true");
    });
    var clear = document.getElementById("clear-stamps");
    if (clear) clear.addEventListener("click", function () { annotations = []; draw(); saveStamps(); });
    if (chosen) {
      on(".sheet img", "click", function (event) {
        var image = event.currentTarget, box = image.getBoundingClientRect();
        annotations.push({
          page: Number(image.closest(".sheet").dataset.page),
          x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
          y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)),
          stamp: chosen.dataset.stamp,
        });
        draw();
        saveStamps();
      });
    }

    var complete = document.getElementById("complete-form");
    if (complete) {
      complete.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = complete.querySelector("button");
        var comment = complete.querySelector("[name=comment]").value;
        button.disabled = true;
        L.api(base + "/complete", { method: "POST", json: comment ? { comment: comment } : {} })
          .then(function () { window.location.assign("/mathvidya/marking"); }, function (e) {
            button.disabled = false; fail(e);
          });
      });
    }
  }

  function remarking() {
    on("form[data-remark-complete]", "submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      var body = { marks: Number(form.querySelector("[name=marks]").value) };
      var comment = form.querySelector("[name=comment]").value;
      if (comment) body.comment = comment;
      L.api(API + "/reevaluations/" + form.dataset.remarkComplete + "/complete", { method: "POST", json: body })
        .then(function () { window.location.reload(); }, fail);
    });
  }

  function reassigning() {
    var options = document.getElementById("teacher-options");
    if (options) {
      document.querySelectorAll("form[data-reassign] select").forEach(function (select) {
        var holder = select.closest("form").dataset.holder;
        options.content.querySelectorAll("option").forEach(function (option) {
          if (option.value !== holder) select.appendChild(option.cloneNode(true));
        });
      });
    }
    on("form[data-reassign]", "submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      L.api(API + "/evaluations/" + form.dataset.reassign + "/reassign", {
        method: "POST", json: { teacher_id: form.querySelector("[name=teacher_id]").value },
      }).then(function () { window.location.reload(); }, fail);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns();
    marking();
    remarking();
    reassigning();
  });
})();
