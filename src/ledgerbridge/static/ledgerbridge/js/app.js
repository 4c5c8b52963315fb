// Ledgerbridge's own small scripts: add a line row to a lines formset, select all in a group,
// and ask before a destructive button is pressed. Every page also works without them.
(function () {
  "use strict";

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
})();
