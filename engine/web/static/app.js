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

// The header menu: a button on a phone; where there is room it is always open (CSS shows it
// even closed where browsers can; older ones are opened here). Escape closes it on a phone.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector("header details.menu");
  if (!menu) return;
  const wide = window.matchMedia("(min-width: 48rem)");
  const styled = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  const fit = () => { if (wide.matches && !styled) menu.open = true; else if (!wide.matches) menu.open = false; };
  fit();
  wide.addEventListener("change", fit);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
});

// After a form is sent, its answer (the error, or what was saved) is on screen: a page that
// starts below its answer (a long header, a fragment) is moved so the answer shows.
document.addEventListener("DOMContentLoaded", () => {
  const answer = document.querySelector("main [role=alert], main [role=status]");
  if (!answer || location.hash) return;
  const box = answer.getBoundingClientRect();
  if (box.top < 0 || box.top + Math.min(box.height, 48) > window.innerHeight) {
    answer.scrollIntoView({ block: "start" });
  }
});

// BE date fields (วว/ดด/ปปปป): read the date back in words as it is typed — "= 10 พฤศจิกายน 2569" —
// so a slip (a CE year, a day that does not exist) is seen before the form is sent. The server
// parses the same forms (workflow.fiscal.parse_date) and says the same in its error.
document.addEventListener("DOMContentLoaded", () => {
  const th = document.documentElement.lang !== "en";
  const months = th
    ? ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน",
       "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
    : ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
       "November", "December"];
  const arabic = (s) => s.replace(/[๐-๙]/g, (d) => String("๐๑๒๓๔๕๖๗๘๙".indexOf(d)));
  const read = (text) => {
    const raw = arabic(text.trim());
    let d, m, y, match;
    if ((match = raw.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/))) [d, m, y] = [+match[1], +match[2], +match[3]];
    else if ((match = raw.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/))) [y, m, d] = [+match[1], +match[2], +match[3]];
    else return null;
    const ce = y > 2400 ? y - 543 : y;
    const date = new Date(Date.UTC(ce, m - 1, d));
    if (date.getUTCFullYear() !== ce || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
    return th ? `= ${d} ${months[m - 1]} ${ce + 543}` : `= ${d} ${months[m - 1]} ${ce + 543} BE (${ce})`;
  };
  for (const input of document.querySelectorAll("input[data-be-date]")) {
    const out = document.getElementById(`${input.id}-readback`);
    if (!out) continue;
    const show = () => {
      const said = input.value.trim() ? read(input.value) : "";
      out.textContent = said === null ? (th ? "พิมพ์เป็น วว/ดด/ปปปป เช่น 10/11/2569" : "type DD/MM/YYYY, e.g. 10/11/2569")
        : said === false ? (th ? "ไม่มีวันนี้ในปฏิทิน" : "no such day") : said;
    };
    input.addEventListener("input", show);
    show();
  }
});
