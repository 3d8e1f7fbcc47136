// Progressive enhancement only: every form works without it.
// "Add a row" on list fields: clone the last row, renumber its inputs, clear them.
document.addEventListener("DOMContentLoaded", () => {
  for (const list of document.querySelectorAll("fieldset.list")) {
    const button = list.querySelector("button.add-row");
    if (!button) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const rows = list.querySelectorAll(":scope > fieldset.item");
      const last = rows[rows.length - 1];
      const index = rows.length;
      const copy = last.cloneNode(true);
      copy.dataset.index = String(index);
      const legend = copy.querySelector("legend");
      if (legend) legend.textContent = legend.textContent.replace(/\d+$/, String(index + 1));
      for (const el of copy.querySelectorAll("[name], [id], label[for], [aria-describedby]")) {
        for (const attr of ["name", "id", "for", "aria-describedby"]) {
          const v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/\[\d+\]/, `[${index}]`).replace(/-\d+-/, `-${index}-`));
        }
        if (el.matches("input:not([type=hidden]), textarea")) el.value = "";
        if (el.matches("select")) el.selectedIndex = 0;
      }
      for (const err of copy.querySelectorAll(".error-text")) err.remove();
      last.after(copy);
      const first = copy.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  }
});
