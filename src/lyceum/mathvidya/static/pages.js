/* Mathvidya's pages: the forms and buttons call the API (window.Lyceum.api: the session
   cookie and its CSRF token), then reload or move on. The exam page saves every choice as it
   is made; a choice the server has not confirmed yet waits in localStorage with the moment it
   was made, so a reload, a closed tab or a lost connection loses nothing (the API keeps the
   newest answer, so a late retry never overwrites a newer one). */
(function () {
  "use strict";
  var L = window.Lyceum;
  var API = "/api/mathvidya";

  // The done line (#page-done): the API's sentence, begun with a capital.
  function done(message) {
    var box = document.getElementById("page-done");
    if (!box) return;
    var text = message ? message.charAt(0).toUpperCase() + message.slice(1) : "";
    box.textContent = text;
    box.hidden = !text;
  }

  function fail(error) {
    done("");
    L.showError(error);
  }

  function busy(button, promise) {
    if (button) button.disabled = true;
    return promise.then(function (value) {
      if (button) button.disabled = false;
      return value;
    }, function (error) {
      if (button) button.disabled = false;
      throw error;
    });
  }

  function formValues(form) {
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  function on(selector, event, handler) {
    document.querySelectorAll(selector).forEach(function (node) {
      node.addEventListener(event, handler);
    });
  }

  // ---- sign-up and password reset -------------------------------------------------------

  function signUp() {
    var form = document.getElementById("sign-up");
    if (!form) return;
    function showStudentFields() {
      var student = form.querySelector('input[name="kind"]:checked').value === "students";
      form.querySelectorAll("[data-student-only]").forEach(function (node) { node.hidden = !student; });
    }
    on('#sign-up input[name="kind"]', "change", showStudentFields);
    showStudentFields();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var values = formValues(form);
      var kind = values.kind;
      var body = {
        email: values.email, password: values.password,
        first_name: values.first_name, last_name: values.last_name,
      };
      if (kind === "students") {
        body.student_class = values.student_class;
        if (values.school_name) body.school_name = values.school_name;
      }
      busy(form.querySelector("button"), L.api(API + "/accounts/" + kind, { method: "POST", json: body }))
        .then(function () {
          window.location.assign("/sign-in?next=" + encodeURIComponent("/mathvidya/"));
        }, fail);
    });
  }

  function passwordReset() {
    var request = document.getElementById("reset-request");
    if (request) {
      request.addEventListener("submit", function (event) {
        event.preventDefault();
        busy(request.querySelector("button"), L.api(API + "/accounts/password-reset", {
          method: "POST", json: { email: formValues(request).email },
        })).then(function (answer) { L.showError(""); done(answer.message); }, fail);
      });
    }
    var confirm = document.getElementById("reset-confirm");
    if (confirm) {
      confirm.addEventListener("submit", function (event) {
        event.preventDefault();
        busy(confirm.querySelector("button"), L.api(API + "/accounts/password-reset/confirm", {
          method: "POST", json: { token: confirm.dataset.token, new_password: formValues(confirm).password },
        })).then(function () {
          window.location.assign("/sign-in?next=" + encodeURIComponent("/mathvidya/"));
        }, fail);
      });
    }
  }

  // ---- a student's and a parent's home ----------------------------------------------------

  function home() {
    on("[data-start-template]", "click", function (event) {
      var button = event.currentTarget;
      var templateId = button.dataset.startTemplate;
      busy(button, L.api(API + "/exams", { method: "POST", json: { template_id: templateId } })
        .then(function (exam) {
          return L.api(API + "/exams/" + exam.id + "/start", { method: "POST" });
        }))
        .then(function (exam) { window.location.assign("/mathvidya/exams/" + exam.id); }, fail);
    });
    on("[data-subscribe]", "click", function (event) {
      var button = event.currentTarget;
      var body = { plan_type: button.dataset.subscribe };
      if (button.dataset.student) body.student_id = button.dataset.student;
      busy(button, L.api(API + "/subscriptions", { method: "POST", json: body }))
        .then(function () { window.location.reload(); }, fail);
    });
    var invite = document.getElementById("invite");
    if (invite) {
      invite.addEventListener("click", function () {
        busy(invite, L.api(API + "/family/invites", { method: "POST" })).then(function (answer) {
          var code = document.getElementById("invite-code");
          code.textContent = answer.code;
          code.hidden = false;
          done(answer.message);
        }, fail);
      });
    }
    var link = document.getElementById("link-child");
    if (link) {
      link.addEventListener("submit", function (event) {
        event.preventDefault();
        var values = formValues(link);
        busy(link.querySelector("button"), L.api(API + "/family/links", {
          method: "POST", json: { code: values.code, relationship_type: values.relationship_type },
        })).then(function () { window.location.reload(); }, fail);
      });
    }
  }

  // ---- the exam page ------------------------------------------------------------------------

  function pendingKey(examId) { return "mathvidya:exam:" + examId + ":pending"; }

  function readPending(examId) {
    try { return JSON.parse(localStorage.getItem(pendingKey(examId)) || "{}"); }
    catch (ignored) { return {}; }
  }

  function writePending(examId, pending) {
    try { localStorage.setItem(pendingKey(examId), JSON.stringify(pending)); }
    catch (ignored) { /* private mode: the server copy is all there is */ }
  }

  function exam() {
    var data = L.pageData();
    if (!data || !data.exam) return;
    var info = data.exam;
    var start = document.getElementById("start-exam");
    if (start) {
      start.addEventListener("click", function () {
        busy(start, L.api(API + "/exams/" + info.id + "/start", { method: "POST" }))
          .then(function () { window.location.reload(); }, fail);
      });
    }
    // A marked written question: the student may ask, once, for another teacher to mark it.
    on("form[data-remark]", "submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      busy(form.querySelector("button"), L.api(API + "/exams/" + info.id + "/reevaluations", {
        method: "POST",
        json: { question_number: Number(form.dataset.remark), reason: formValues(form).reason },
      })).then(function () { window.location.reload(); }, fail);
    });
    if (!info.taking) return;
    var paper = document.getElementById("paper");
    var pending = readPending(info.id);

    function mark(number, text) {
      var node = document.querySelector("#q" + number + " [data-saved]");
      if (node) node.textContent = text;
    }

    function progress() {
      var answered = paper.querySelectorAll('input[type="radio"]:checked').length;
      var skipped = paper.querySelectorAll("[data-unanswered]:checked").length;
      var total = paper.querySelectorAll(".question").length;
      document.getElementById("progress").textContent =
        answered + " answered, " + skipped + " left unanswered, of " + total;
    }

    // Send one pending change; it leaves the queue only once the server has it (or refuses
    // it for good: a 4xx other than 401/429 will not get better by retrying).
    function send(number) {
      var change = pending[number];
      if (!change) return Promise.resolve();
      var request = change.kind === "answer"
        ? L.api(API + "/exams/" + info.id + "/answers/" + number, {
          method: "PUT", json: { selected_option: change.option, answered_at: change.at } })
        : L.api(API + "/exams/" + info.id + "/unanswered/" + number, {
          method: "PUT", json: { declared_at: change.at } });
      return request.then(function () {
        if (pending[number] === change) {
          delete pending[number];
          writePending(info.id, pending);
        }
        mark(number, "saved");
        L.showError("");
      }, function (error) {
        if (error.status && error.status >= 400 && error.status < 500 && error.status !== 429) {
          delete pending[number];
          writePending(info.id, pending);
          fail(error);
        } else {
          mark(number, "not saved yet: will retry");
        }
      });
    }

    function flush() {
      return Promise.all(Object.keys(pending).map(send));
    }

    function queue(number, change) {
      pending[number] = change;
      writePending(info.id, pending);
      mark(number, "saving…");
      progress();
      send(number);
    }

    // What the server had when the page was made, overlaid with what it has not confirmed.
    Object.keys(pending).forEach(function (number) {
      var change = pending[number];
      var article = document.getElementById("q" + number);
      if (!article) return;
      if (change.kind === "answer") {
        var radio = article.querySelector('input[value="' + change.option + '"]');
        if (radio) radio.checked = true;
        var box = article.querySelector("[data-unanswered]");
        if (box) box.checked = false;
      } else {
        article.querySelectorAll('input[type="radio"]').forEach(function (r) { r.checked = false; });
        var declared = article.querySelector("[data-unanswered]");
        if (declared) declared.checked = true;
      }
    });

    paper.addEventListener("change", function (event) {
      var target = event.target;
      var article = target.closest(".question");
      if (!article) return;
      var number = article.dataset.number;
      var at = new Date().toISOString();
      if (target.type === "radio") {
        var box = article.querySelector("[data-unanswered]");
        if (box) box.checked = false;
        queue(number, { kind: "answer", option: target.value, at: at });
      } else if (target.hasAttribute("data-unanswered") && target.checked) {
        article.querySelectorAll('input[type="radio"]').forEach(function (r) { r.checked = false; });
        queue(number, { kind: "unanswered", at: at });
      }
    });

    var deadline = new Date(info.deadline).getTime();
    var timer = document.getElementById("timer");
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60), seconds = left % 60;
      timer.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds + " left";
      timer.classList.toggle("warn", left < 300);
      if (left === 0) {
        clearInterval(clock);
        flush().then(function () { window.location.reload(); });
      }
    }
    var clock = setInterval(tick, 1000);
    tick();

    document.getElementById("submit-exam").addEventListener("click", function (event) {
      var button = event.currentTarget;
      // MCQs with no choice and not declared unanswered; written answers are on paper.
      var unanswered = Array.prototype.filter.call(paper.querySelectorAll(".question"), function (q) {
        var declared = q.querySelector("[data-unanswered]");
        return q.querySelector('input[type="radio"]') && !q.querySelector('input[type="radio"]:checked')
          && !(declared && declared.checked);
      }).length;
      if (unanswered > 0 && !window.confirm(unanswered + " question(s) have no answer. Hand in anyway?")) return;
      busy(button, flush().then(function () {
        return L.api(API + "/exams/" + info.id + "/submit", { method: "POST" });
      })).then(function () {
        writePending(info.id, {});
        window.location.reload();
      }, fail);
    });
    window.addEventListener("online", flush);
    setInterval(flush, 15000);
    flush();
    progress();
  }

  // ---- the question bank -------------------------------------------------------------------

  function questionEditor() {
    var form = document.getElementById("question-form");
    if (!form) return;
    var id = form.dataset.question;
    function syncChoices() {
      var mcq = form.elements.question_type.value === "MCQ";
      form.querySelector("[data-mcq]").hidden = !mcq;
    }
    form.elements.question_type.addEventListener("change", syncChoices);
    syncChoices();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var v = formValues(form);
      var body = {
        class_level: v.class_level, question_type: v.question_type, difficulty: v.difficulty,
        marks: parseInt(v.marks, 10), unit: v.unit, chapter: v.chapter,
        topic: v.topic || null, question_text: v.question_text,
        model_answer: v.model_answer || null, explanation: v.explanation || null,
        tags: (v.tags || "").split(",").map(function (t) { return t.trim(); }).filter(Boolean),
      };
      if (v.question_type === "MCQ") {
        body.mcq_choices = ["A", "B", "C", "D"].map(function (key) { return { key: key, text: v["choice_" + key] }; });
        body.correct_option = v.correct_option || null;
      } else {
        body.mcq_choices = null;
        body.correct_option = null;
      }
      var call = id
        ? L.api(API + "/questions/" + id, { method: "PATCH", json: body }).then(function (edit) { return edit.question; })
        : L.api(API + "/questions", { method: "POST", json: body });
      busy(form.querySelector('button[type="submit"]'), call).then(function (question) {
        window.location.assign("/mathvidya/questions/" + question.id);
      }, fail);
    });
    on("[data-action]", "click", function (event) {
      var button = event.currentTarget;
      var action = button.dataset.action;
      var options = { method: "POST" };
      if (action === "reject") {
        var comment = window.prompt("What should the author change?");
        if (!comment) return;
        options.json = { comment: comment };
      }
      if (action === "retire" && !window.confirm("Retire this question? Papers already set keep it.")) return;
      busy(button, L.api(API + "/questions/" + id + "/" + action, options))
        .then(function () { window.location.reload(); }, fail);
    });
  }

  function importer() {
    var form = document.getElementById("import-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.elements.file.files[0];
      if (!file) return;
      var type = /\.json$/i.test(file.name) ? "application/json" : "text/csv";
      var result = document.getElementById("import-result");
      var list = document.getElementById("import-problems");
      busy(form.querySelector("button"), file.text().then(function (text) {
        return L.api(API + "/questions/import", { method: "POST", body: text, contentType: type });
      })).then(function (answer) {
        result.hidden = false;
        list.textContent = "";
        L.showError("");
        done(answer.imported + " question(s) imported as " + answer.status + ".");
      }, function (error) {
        fail(error);
        var problems = error.details && error.details.problems ? error.details.problems : [];
        result.hidden = problems.length === 0;
        list.textContent = "";
        if (problems.length) {
          list.appendChild(L.table(
            [{ key: "row", label: "Row" }, { key: "field", label: "Field" }, { key: "reason", label: "Problem" }],
            problems));
        }
      });
    });
  }

  function templatesPage() {
    on("button[data-template]", "click", function (event) {
      var button = event.currentTarget;
      busy(button, L.api(API + "/templates/" + button.dataset.template + "/" + button.dataset.action, { method: "POST" }))
        .then(function () { window.location.reload(); }, fail);
    });
    var form = document.getElementById("template-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var v = formValues(form);
      var config;
      try { config = JSON.parse(v.config); }
      catch (error) { fail(new Error("The configuration is not valid JSON: " + error.message)); return; }
      var body = {
        name: v.name, class_level: v.class_level, exam_type: v.exam_type,
        total_marks: parseInt(v.total_marks, 10), duration_minutes: parseInt(v.duration_minutes, 10),
        units: (v.units || "").split(",").map(function (u) { return u.trim(); }).filter(Boolean),
        config: config,
      };
      busy(form.querySelector("button"), L.api(API + "/templates", { method: "POST", json: body }))
        .then(function () { window.location.reload(); }, fail);
    });
  }

  function adminPages() {
    on("button[data-user]", "click", function (event) {
      var button = event.currentTarget;
      busy(button, L.api(API + "/admin/users/" + button.dataset.user, {
        method: "PATCH", json: { is_active: button.dataset.active === "true" },
      })).then(function () { window.location.reload(); }, fail);
    });
    var staff = document.getElementById("staff-form");
    if (staff) {
      staff.addEventListener("submit", function (event) {
        event.preventDefault();
        var v = formValues(staff);
        busy(staff.querySelector("button"), L.api(API + "/admin/users", {
          method: "POST",
          json: { email: v.email, password: v.password, first_name: v.first_name, last_name: v.last_name, role: v.role },
        })).then(function () { window.location.reload(); }, fail);
      });
    }
    on("button[data-activate]", "click", function (event) {
      var button = event.currentTarget;
      busy(button, L.api(API + "/admin/subscriptions/" + button.dataset.activate + "/activate", { method: "POST" }))
        .then(function () { window.location.reload(); }, fail);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    signUp();
    passwordReset();
    home();
    exam();
    questionEditor();
    importer();
    templatesPage();
    adminPages();
  });
})();
