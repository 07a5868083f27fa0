/* The console's progressive enhancement (every form works without it):
   - while an organiser edits a list rule (hashtags, keywords, accounts, languages, bans), ask
     the server what each line will match (the matcher's own parser answers: no rule is written
     twice) and show it under the field; without JavaScript the same sentences show after saving;
   - on a source's form, show only the fields its kind reads (a field with a value or an error
     stays visible, so nothing typed is hidden). */
(function () {
  "use strict";

  function explainRules(root) {
    const url = root.dataset.rulesUrl;
    const csrf = root.querySelector("input[name=csrfmiddlewaretoken]");
    function render(list, lines) {
      list.replaceChildren(...lines.map(function (line) {
        const item = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = line.rule;
        item.append(code, " → " + (line.error || line.means));
        if (line.error) item.className = "error";
        return item;
      }));
    }
    root.querySelectorAll("[data-meanings]").forEach(function (list) {
      const field = list.dataset.meanings;
      const input = root.querySelector("textarea[name='" + field + "']");
      if (!input) return;
      let timer = null;
      let asked = 0;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(async function () {
          const mine = ++asked;
          const body = new URLSearchParams({ field: field, value: input.value });
          try {
            const response = await fetch(url, {
              method: "POST", body: body, credentials: "same-origin",
              headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
            });
            const data = await response.json();
            if (mine === asked && data.ok) render(list, data.lines);
          } catch (error) { /* offline: the sentences come back after saving */ }
        }, 250);
      });
    });
  }

  function fieldsByKind(form) {
    const kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    function filled(element) {
      if (element.querySelector(".error")) return true;
      return Array.from(element.querySelectorAll("input:not([type=checkbox]), textarea"))
        .some(function (input) { return input.value.trim() !== ""; });
    }
    function update() {
      form.querySelectorAll("[data-kinds]").forEach(function (element) {
        const applies = element.dataset.kinds.split(" ").indexOf(kind.value) >= 0;
        element.hidden = !applies && !filled(element);
      });
    }
    kind.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("[data-console-root]").forEach(explainRules);
  document.querySelectorAll("[data-console-source-form]").forEach(fieldsByKind);
})();
