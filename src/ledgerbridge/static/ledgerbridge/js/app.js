// Ledgerbridge's own small scripts: add a line row to a lines formset, select all in a group,
// offer only the picked customer's organisation's options, and ask before a destructive button
// is pressed. Every page also works without them (the server refuses what does not fit).
(function () {
  "use strict";

  // A select marked data-organisation-source (the customer) decides which options of the
  // selects marked data-organisation-filtered are offered: those of its organisation and
  // those of none. Nothing picked yet: all. A select also marked data-needs-organisation is
  // hidden until a customer with an organisation is picked.
  function followOrganisation(form) {
    var source = form.querySelector("select[data-organisation-source]");
    if (!source) return;
    var picked = source.value ? source.options[source.selectedIndex] : null;
    var org = picked ? picked.getAttribute("data-organisation") || "" : null;
    form.querySelectorAll("select[data-organisation-filtered]").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        var own = option.getAttribute("data-organisation") || "";
        var offered = org === null || own === "" || own === org;
        option.hidden = !offered;
        option.disabled = !offered;
      });
      var chosen = select.options[select.selectedIndex];
      if (chosen && chosen.disabled) select.value = "";
      if (select.hasAttribute("data-needs-organisation")) {
        var holder = select.closest(".field") || select;
        holder.style.display = org ? "" : "none";
      }
    });
  }

  function addLine(button) {
    var prefix = button.getAttribute("data-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var body = document.getElementById(prefix + "-body");
    if (!total || !template || !body) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    while (holder.firstChild) body.appendChild(holder.firstChild);
    total.value = String(index + 1);
    if (button.form) followOrganisation(button.form);
    var first = body.querySelector("#id_" + prefix + "-" + index + "-description");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches("[data-add-line]")) {
      event.preventDefault();
      addLine(target);
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-organisation-source")) {
      if (target.form) followOrganisation(target.form);
      return;
    }
    if (!(target instanceof HTMLInputElement)) return;
    var group = target.getAttribute("data-select-all");
    if (group) {
      document.querySelectorAll('input[data-group="' + group + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(followOrganisation);
  });
})();

// An import run's page follows the run: poll its progress JSON every 1.5 s and update the
// page in place until the run is finished (without the script, the page has a Refresh link).
(function () {
  "use strict";

  var BADGES = { queued: "DRAFT", running: "yes", waiting: "SUBMITTED", done: "PAID", failed: "no" };

  function setField(panel, name, text) {
    document.querySelectorAll('[data-run-field="' + name + '"]').forEach(function (el) {
      el.textContent = text;
    });
  }

  function showProblems(problems) {
    var body = document.querySelector("[data-run-problems]");
    if (!body) return;
    body.textContent = "";
    if (!problems.length) {
      var row = body.insertRow();
      var cell = row.insertCell();
      cell.colSpan = 2;
      cell.className = "empty";
      cell.textContent = "No problems.";
      return;
    }
    problems.forEach(function (problem) {
      var row = body.insertRow();
      row.insertCell().textContent = problem.record;
      row.insertCell().textContent = problem.reason;
    });
  }

  function show(panel, run) {
    setField(panel, "status_label", run.status_label);
    var badge = document.querySelector("[data-run-badge]");
    if (badge) badge.className = "badge " + (BADGES[run.status] || "DRAFT");
    ["created", "updated", "skipped"].forEach(function (name) {
      setField(panel, name, String(run[name]));
    });
    setField(panel, "problem_count", String(run.problems.length));
    setField(
      panel,
      "counter",
      run.total === null ? run.processed + " processed" : run.processed + " of " + run.total + " processed"
    );
    var bar = panel.querySelector("[data-run-bar]");
    if (bar) {
      if (run.percent === null) bar.removeAttribute("value");
      else bar.value = run.percent;
      bar.textContent = run.percent === null ? "" : run.percent + "%";
    }
    var message = panel.querySelector('[data-run-field="message"]');
    if (message) {
      message.textContent = run.message;
      message.hidden = !run.message;
    }
    var waiting = panel.querySelector("[data-run-waiting]");
    if (waiting) {
      waiting.hidden = !(run.status === "waiting" && run.resume_after);
      if (run.resume_after) setField(panel, "resume_after", new Date(run.resume_after).toLocaleString());
    }
    showProblems(run.problems);
    var refresh = panel.querySelector("[data-run-refresh]");
    if (refresh) refresh.hidden = run.finished;
    panel.setAttribute("data-run-finished", run.finished ? "yes" : "no");
  }

  function follow(panel) {
    var url = panel.getAttribute("data-run-progress");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) throw new Error("HTTP " + answer.status);
          return answer.json();
        })
        .then(function (run) {
          show(panel, run);
          if (!run.finished) window.setTimeout(poll, 1500);
        })
        .catch(function () {
          window.setTimeout(poll, 5000); // a dropped answer: try again, less often
        });
    }
    window.setTimeout(poll, 1500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-run-progress]").forEach(function (panel) {
      if (panel.getAttribute("data-run-finished") !== "yes") follow(panel);
    });
  });
})();

// A record's sync panel follows its state: after a save it polls the state JSON every 2 s
// until the record is synced, failed or kept out, then shows the success message when the
// setting asks for it. Without the script the panel shows the state at page load.
(function () {
  "use strict";

  var BADGES = {
    synced: "yes", failed: "no", pending: "SUBMITTED", in_flight: "SUBMITTED",
    not_eligible: "DRAFT", not_synced: "DRAFT"
  };
  var SETTLED = { synced: true, failed: true, not_eligible: true, not_synced: true };

  function follow(panel) {
    var url = panel.getAttribute("data-sync-state");
    var keep = panel.hasAttribute("data-sync-follow"); // a document: Xero's changes come back
    var waited = !SETTLED[panel.getAttribute("data-sync-state-now")];
    if (!waited && !keep) return;
    var tries = 0;
    function poll() {
      tries += 1;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (state) {
          if (!state) return;
          var badge = panel.querySelector('[data-sync-field="label"]');
          badge.textContent = state.label;
          badge.className = "badge " + (BADGES[state.state] || "DRAFT");
          panel.querySelector('[data-sync-field="words"]').textContent = state.words;
          var link = panel.querySelector('[data-sync-field="xero_url"]');
          if (state.xero_url) { link.href = state.xero_url; link.hidden = false; }
          if (state.xero_number) {
            document.querySelectorAll("[data-xero-number]").forEach(function (cell) {
              cell.textContent = state.xero_number;
            });
          }
          if (state.document_status) {
            document.querySelectorAll("[data-document-status]").forEach(function (badge) {
              badge.textContent = state.document_status_label;
              badge.className = "badge " + state.document_status;
            });
          }
          panel.setAttribute("data-sync-state-now", state.state);
          if (SETTLED[state.state]) {
            // The message is for a save just made: not for a page that loaded settled.
            if (state.state === "synced" && state.success_message && waited) {
              panel.querySelector("[data-sync-message]").hidden = false;
            }
            if (keep && tries < 720) window.setTimeout(poll, 5000); // every 5 s, for an hour
            return;
          }
          if (tries < 450) window.setTimeout(poll, 2000);
        })
        .catch(function () { if (tries < 450) window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sync-state]").forEach(follow);
  });
})();

// A connection's page keeps its sync summary live: every 5 s it reads the summary JSON and
// updates what waits, the estimate, what is held and what failed.
(function () {
  "use strict";

  function show(panel, name, text) {
    var cell = panel.querySelector('[data-summary-field="' + name + '"]');
    if (cell && name !== "failed") cell.textContent = text;
  }

  function follow(panel) {
    var url = panel.getAttribute("data-sync-summary");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (data) {
          if (!data) return;
          var waiting = data.waiting.map(function (row) { return row.count + " " + row.kind; });
          show(panel, "waiting", waiting.length ? waiting.join(", ") : "Nothing");
          show(panel, "estimate", data.total ? "about " + data.estimate_minutes +
            " minute" + (data.estimate_minutes === 1 ? "" : "s") + " under Xero's limits" : "—");
          show(panel, "held", data.held || "No");
        })
        .catch(function () {})
        .then(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 5000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sync-summary]").forEach(follow);
  });
})();

// "Compare with Xero" on a connection's page: while a run goes, poll its progress every 2 s,
// then reload the page for its differences.
(function () {
  "use strict";

  function follow(panel) {
    var url = panel.getAttribute("data-compare-progress");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (run) {
          if (!run) { window.setTimeout(poll, 5000); return; }
          if (run.finished) { window.location.reload(); return; }
          var set = function (name, text) {
            var cell = panel.querySelector('[data-compare-field="' + name + '"]');
            if (cell) cell.textContent = text;
          };
          set("status_label", run.status_label);
          set("phase", run.phase || "Waiting for the worker");
          set("counter", run.total ? run.done + " of " + run.total : String(run.done));
          var bar = panel.querySelector("[data-compare-bar]");
          if (bar) {
            if (run.percent === null) bar.removeAttribute("value");
            else bar.value = run.percent;
          }
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-compare-progress]").forEach(function (panel) {
      if (panel.getAttribute("data-compare-finished") !== "yes") follow(panel);
    });
  });
})();
