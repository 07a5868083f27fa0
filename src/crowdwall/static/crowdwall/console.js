/* The console's immediate feedback: while an organiser edits a list rule (hashtags, keywords,
   accounts, languages, bans), ask the server what each line will match (the matcher's own
   parser answers: no rule is written twice) and show it under the field. Without JavaScript the
   same sentences appear after saving. */
(function () {
  "use strict";
  const root = document.querySelector("[data-console-root]");
  if (!root) return;
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
})();
