// «Буфер»: moving between rows from the keyboard, clicking a row, confirming a forced send.
"use strict";

(() => {
  const table = document.querySelector("[data-testid='buffer-table']");
  if (table) {
    const links = () => Array.from(table.querySelectorAll("a.row-select"));

    // ↑/↓ move the focus between the rows' numbers; Enter opens the focused one.
    table.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
        return;
      }
      const all = links();
      const at = all.indexOf(document.activeElement);
      if (at < 0) {
        return;
      }
      const next = all[at + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.focus();
        next.closest("tr").scrollIntoView({ block: "nearest" });
      }
    });

    // A click anywhere in a row (but on another link) selects it, as its number does.
    table.addEventListener("click", (event) => {
      if (event.target.closest("a, button, input, select")) {
        return;
      }
      const row = event.target.closest("tr[data-request-id]");
      const link = row && row.querySelector("a.row-select");
      if (link) {
        link.click();
      }
    });

    // The selected row is in sight and has the focus, so that ↑/↓ go on from it.
    const current = table.querySelector("a.row-select[aria-current='true']");
    if (current) {
      current.closest("tr").scrollIntoView({ block: "nearest" });
      current.focus({ preventScroll: true });
    }
  }

  // Forms with data-confirm ask first (a real dialog, keyboard-usable, no inline script).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
