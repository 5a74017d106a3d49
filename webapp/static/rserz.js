// РС ЕРЗ: small helpers of the screens (no inline scripts: the CSP forbids them).
// Every page works without this file; it adds keyboard selection, partial reloads
// and a few conveniences of the forms.
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

// --- Tables with a selected row: the persons of the register, the versions of a person ---
//
// A row is selected by a click or from the keyboard (↑ ↓ Home End PgUp PgDn); the
// table is one stop of the Tab order (roving tabindex). The server marks the
// selected row; the links in the rows serve the pages without a script.

const SELECTABLE = "table[data-selectable]";
const ROW = `${SELECTABLE} > tbody > tr[data-key]`;
const PAGE_STEP = 10;

function rowsOf(table) {
  return table.tBodies.length ? Array.from(table.tBodies[0].rows).filter((r) => r.dataset.key) : [];
}

function prepareTables(root) {
  for (const table of root.querySelectorAll(SELECTABLE)) {
    const rows = rowsOf(table);
    const current = rows.find((r) => r.classList.contains("is-selected")) || rows[0];
    for (const row of rows) {
      row.tabIndex = row === current ? 0 : -1;
      for (const link of row.querySelectorAll("a[href]")) {
        link.tabIndex = -1;
      }
    }
  }
}

function markSelected(table, row) {
  for (const r of rowsOf(table)) {
    const on = r === row;
    r.classList.toggle("is-selected", on);
    r.setAttribute("aria-selected", on ? "true" : "false");
    r.tabIndex = on ? 0 : -1;
  }
}

function selectRow(row) {
  const table = row.closest(SELECTABLE);
  row.focus({ preventScroll: true });
  row.scrollIntoView({ block: "nearest" });
  if (row.classList.contains("is-selected")) {
    return;
  }
  markSelected(table, row);
  if (table.dataset.selectable === "persons") {
    personSelected(row);
  } else if (table.dataset.selectable === "versions") {
    showDetail(row.dataset.key);
  }
}

function openRow(row) {
  const table = row.closest(SELECTABLE);
  if (table.dataset.openUrl) {
    window.location.assign(table.dataset.openUrl.replace("{id}", row.dataset.key));
  }
}

function replaceArgs(changes) {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) {
      url.searchParams.delete(key);
    } else {
      url.searchParams.set(key, value);
    }
  }
  url.hash = "";
  window.history.replaceState(window.history.state, "", url);
  return url;
}

// --- The register screen: the button panel and the lower parts follow the selection ---

const PANEL_DELAY_MS = 250; // arrows held down do not load (and audit) every row they pass
let panelTimer = 0;
let panelToken = 0;

function toolbarLinks(toolbar) {
  try {
    return JSON.parse(toolbar.dataset.links || "{}");
  } catch {
    return {};
  }
}

function setButton(el, href, title) {
  if (href) {
    el.href = href;
    el.classList.remove("is-disabled");
    el.removeAttribute("aria-disabled");
  } else {
    el.removeAttribute("href");
    el.classList.add("is-disabled");
    el.setAttribute("aria-disabled", "true");
  }
  el.title = title;
}

function personSelected(row) {
  const id = row.dataset.key;
  const toolbar = document.getElementById("person-toolbar");
  if (toolbar) {
    const links = toolbarLinks(toolbar);
    const back = toolbar.dataset.back || "";
    toolbar.dataset.selected = id;
    for (const el of toolbar.querySelectorAll("[data-button]")) {
      const action = el.dataset.button;
      if (!links[action]) {
        continue;
      }
      const reason = action === "edit" ? row.dataset.editBlock
        : action === "close" ? row.dataset.closeBlock : "";
      let href = links[action].replace("{id}", id);
      if ((action === "edit" || action === "close") && back) {
        href += "?back=" + encodeURIComponent(back);
      }
      setButton(el, reason ? null : href, reason || el.dataset.title || "");
    }
    const count = document.getElementById("btn-count");
    if (count && count.href) {
      const url = new URL(count.href);
      url.searchParams.set("selected", id);
      count.href = url.toString();
    }
  }
  replaceArgs({ selected: id, version: null, tab: null });
  const box = document.getElementById("person-details");
  if (box) {
    box.setAttribute("aria-busy", "true");
    window.clearTimeout(panelTimer);
    panelTimer = window.setTimeout(() => loadPanel(id), PANEL_DELAY_MS);
  }
}

async function loadPanel(id) {
  const token = ++panelToken;
  const box = document.getElementById("person-details");
  const toolbar = document.getElementById("person-toolbar");
  const links = toolbar ? toolbarLinks(toolbar) : {};
  if (!box || !links.panel) {
    return;
  }
  const url = new URL(links.panel.replace("{id}", id), window.location.href);
  url.search = window.location.search;
  try {
    const response = await fetch(url, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (token !== panelToken) {
      return; // another row was selected meanwhile
    }
    if (!response.ok || response.redirected) {
      throw new Error(`HTTP ${response.status}`);
    }
    box.innerHTML = await response.text();
    prepareTables(box);
    box.removeAttribute("aria-busy");
  } catch {
    // The session may have ended, or the server is away: let the page itself say why.
    if (token === panelToken) {
      window.location.reload();
    }
  }
}

function showDetail(key) {
  const panel = document.getElementById("person-detail");
  if (!panel) {
    return;
  }
  for (const section of panel.querySelectorAll("[data-detail-key]")) {
    section.hidden = section.dataset.detailKey !== key;
  }
  if (key === "current") {
    for (const table of document.querySelectorAll('table[data-selectable="versions"]')) {
      markSelected(table, null);
      prepareTables(table.parentElement);
    }
  }
  replaceArgs({ version: key.startsWith("v") ? key.slice(1) : null });
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) {
    return;
  }
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (!menu.contains(target) || target.closest(".menu-item[href]")) {
      menu.open = false;
    }
  }
  if (target.closest('button[data-button="print"]')) {
    window.print();
    return;
  }
  const row = target.closest(ROW);
  if (row) {
    const link = target.closest("a[href]");
    if (link && (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)) {
      return; // opening the row's link in a new tab stays the browser's business
    }
    if (link) {
      event.preventDefault();
    }
    selectRow(row);
    return;
  }
  const show = target.closest("[data-show-detail]");
  if (show) {
    event.preventDefault();
    showDetail(show.dataset.showDetail);
  }
});

document.addEventListener("dblclick", (event) => {
  const row = event.target instanceof Element ? event.target.closest(ROW) : null;
  if (row) {
    openRow(row);
  }
});

document.addEventListener("keydown", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) {
    return;
  }
  if (event.key === "Escape") {
    for (const menu of document.querySelectorAll("details.menu[open]")) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
    return;
  }
  if (event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  // ↓ in a filter field goes to the table of persons.
  if (event.key === "ArrowDown" && target.matches("#person-filter input")) {
    const table = document.querySelector('table[data-selectable="persons"]');
    const rows = table ? rowsOf(table) : [];
    if (rows.length) {
      event.preventDefault();
      selectRow(rows.find((r) => r.classList.contains("is-selected")) || rows[0]);
    }
    return;
  }
  if (!target.matches(ROW)) {
    return;
  }
  const row = target;
  const rows = rowsOf(row.closest(SELECTABLE));
  const i = rows.indexOf(row);
  // The first key on a row that has the focus but is not selected selects that row.
  const from = row.classList.contains("is-selected") ? i : null;
  let next = null;
  switch (event.key) {
    case "ArrowDown": next = rows[from === null ? i : Math.min(i + 1, rows.length - 1)]; break;
    case "ArrowUp": next = rows[from === null ? i : Math.max(i - 1, 0)]; break;
    case "PageDown": next = rows[Math.min(i + PAGE_STEP, rows.length - 1)]; break;
    case "PageUp": next = rows[Math.max(i - PAGE_STEP, 0)]; break;
    case "Home": next = rows[0]; break;
    case "End": next = rows[rows.length - 1]; break;
    case " ": next = row; break;
    case "Enter":
      event.preventDefault();
      if (row.closest(SELECTABLE).dataset.openUrl) {
        openRow(row);
      } else {
        selectRow(row);
      }
      return;
    default:
      return;
  }
  event.preventDefault();
  selectRow(next);
});

// Alt+letter shortcuts of the buttons (aria-keyshortcuts="Alt+N"). Done here rather than
// with accesskey: the letter is read from the key's position (event.code), so the
// shortcuts work with the Russian keyboard layout too, and alike in every browser.
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
    return;
  }
  const match = /^Key([A-Z])$/.exec(event.code || "");
  if (!match) {
    return;
  }
  const target = document.querySelector(`[aria-keyshortcuts="Alt+${match[1]}"]`);
  if (!target) {
    return;
  }
  event.preventDefault();
  if (target.matches(".is-disabled, [aria-disabled='true'], :disabled")) {
    return;
  }
  if (target.tagName === "SUMMARY") {
    target.parentElement.open = !target.parentElement.open;
    target.focus();
  } else if (target.matches("input, select, textarea")) {
    target.focus();
    target.select?.();
  } else {
    target.click();
  }
});

// The chosen tab is part of the address: a reload shows the same tab.
document.addEventListener("shown.bs.tab", (event) => {
  const id = event.target.id || "";
  if (id.startsWith("tab-")) {
    replaceArgs({ tab: id.slice(4) });
  }
});

// --- Change forms ---

// The format of the ДУЛ series and number follows the chosen document type.
function updateDocumentHints(select) {
  const option = select.selectedOptions[0];
  for (const key of ["series", "number"]) {
    const hint = select.form && select.form.querySelector(`[data-hint="${key}"]`);
    const text = option ? option.dataset[`${key}Hint`] : "";
    if (hint) {
      hint.textContent = text ? `Формат: ${text}` : "Формат зависит от вида ДУЛ";
    }
  }
}

// A group shown only for one value of a select (the death date for the reason П022);
// hidden, its inputs are disabled, so that a forgotten value is not sent.
function applyShowIf(root) {
  for (const group of root.querySelectorAll("[data-show-if]")) {
    const form = group.closest("form") || document;
    const field = form.querySelector(`[name="${group.dataset.showIf}"]`);
    if (!field) {
      continue;
    }
    const show = field.value === group.dataset.showValue;
    group.hidden = !show;
    for (const input of group.querySelectorAll("input, select, textarea")) {
      input.disabled = !show;
    }
  }
}

// A label that wraps to two lines would put its input lower than the inputs beside it:
// the labels of one line of fields get the height of the tallest, so the inputs line up.
const ALIGNED_FORMS = ".change-form, .correction-form, .admin-card";

function alignLabels(root) {
  for (const row of root.querySelectorAll(`:is(${ALIGNED_FORMS}) .row`)) {
    const labels = Array.from(row.querySelectorAll(":scope > * > .form-label"));
    for (const label of labels) {
      label.style.minHeight = "";
    }
    const lines = new Map(); // the labels by their top: one line of fields each
    for (const label of labels) {
      if (label.offsetParent === null) {
        continue; // hidden
      }
      const top = Math.round(label.getBoundingClientRect().top);
      lines.set(top, [...(lines.get(top) || []), label]);
    }
    for (const line of lines.values()) {
      const heights = line.map((label) => label.getBoundingClientRect().height);
      const tallest = Math.max(...heights);
      line.forEach((label, i) => {
        if (heights[i] < tallest - 0.5) {
          label.style.minHeight = `${tallest}px`;
        }
      });
    }
  }
}

let alignTimer = 0;
window.addEventListener("resize", () => {
  window.clearTimeout(alignTimer);
  alignTimer = window.setTimeout(() => alignLabels(document), 100);
});

document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLSelectElement)) {
    return;
  }
  if (target.hasAttribute("data-doc-hints")) {
    updateDocumentHints(target);
  }
  if (target.form) {
    applyShowIf(target.form);
    alignLabels(target.form);
  }
});

function init() {
  prepareTables(document);
  applyShowIf(document);
  alignLabels(document);
  // Back on the screen with a person selected: the keyboard continues from that row.
  const selected = document.querySelector(`${ROW}.is-selected`);
  if (selected && selected.closest('table[data-selectable="persons"]')) {
    selected.focus({ preventScroll: true });
    selected.scrollIntoView({ block: "nearest" });
  }
  // A form that came back with errors: the summary gets the focus (its links lead to the fields).
  const errors = document.getElementById("form-errors");
  if (errors) {
    errors.focus();
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
