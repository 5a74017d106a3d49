// РС ЕРЗ: small helpers of the screens (no inline scripts: the CSP forbids them).
"use strict";

// Filter forms are GET forms: leave empty fields out of the address, so that a
// bookmarked or shared search reads "?surname=Иванов" rather than a list of blanks.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-drop-empty")) {
    return;
  }
  for (const field of form.querySelectorAll("input, select")) {
    if (field.name && field.type !== "checkbox" && field.value.trim() === "") {
      field.disabled = true;
    }
  }
  // Re-enable after the page is left, so that «Back» shows a usable form.
  window.addEventListener("pageshow", () => {
    for (const field of form.querySelectorAll("[disabled]")) {
      field.disabled = false;
    }
  }, { once: true });
});
