// «Администрирование»: show the СМО list for an СМО operator and the МО list for an МО operator.
"use strict";

for (const select of document.querySelectorAll("select[data-role-select]")) {
  const update = () => {
    for (const box of select.form.querySelectorAll("[data-for-role]")) {
      box.hidden = box.dataset.forRole !== select.value;
    }
  };
  select.addEventListener("change", update);
  update();
}
