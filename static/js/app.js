// Behaviour shared by every page. The Content-Security-Policy allows no inline scripts, event
// handlers or style attributes: pages mark elements with data-* attributes and this file acts.

// Ask before submitting a form marked data-confirm="问题".
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A checkbox marked data-check-all="name" ticks or clears every checkbox of that name.
document.addEventListener("change", function (event) {
  var name = event.target.getAttribute("data-check-all");
  if (!name) return;
  document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});

// Progress bars carry their value as data-percent: the policy allows a width set through
// element.style, not one written in a style attribute.
document.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) {
  bar.style.width = bar.dataset.percent + "%";
});

// A button marked data-print prints the page (the print stylesheet keeps only its content).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// 整改方案: another measure row, a copy of the last one emptied, its field names renumbered.
document.querySelectorAll("[data-add-plan-row]").forEach((button) => {
  button.addEventListener("click", () => {
    const rows = document.getElementById("plan-rows");
    const last = rows.querySelector(".plan-row:last-of-type");
    const index = rows.querySelectorAll(".plan-row").length;
    const copy = last.cloneNode(true);
    copy.querySelectorAll("input, textarea").forEach((field) => {
      field.name = field.name.replace(/rows-\d+-/, `rows-${index}-`);
      field.id = field.id.replace(/rows-\d+-/, `rows-${index}-`);
      field.value = "";
    });
    copy.querySelectorAll("label").forEach((label) => {
      label.htmlFor = label.htmlFor.replace(/rows-\d+-/, `rows-${index}-`);
    });
    copy.querySelector(".plan-row-number").textContent = index + 1;
    rows.appendChild(copy);
  });
});
