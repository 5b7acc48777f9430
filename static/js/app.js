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

// Drafts: the text of a form being posted is kept in this tab, so that a form sent after the page
// or the sign-in expired comes back filled in (the server sends the user back to the page with
// #restore-draft, through the login page if need be). Any other page forgets the draft.
const DRAFT = "rectify-draft";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.method.toLowerCase() !== "post" || form.hasAttribute("data-no-draft")) return;
  const fields = {};
  form.querySelectorAll("textarea, input, select").forEach((field) => {
    if (!field.name || ["password", "hidden", "file", "submit", "button"].includes(field.type)) return;
    if ((field.type === "checkbox" || field.type === "radio") && !field.checked) return;
    (fields[field.name] = fields[field.name] || []).push(field.value);
  });
  try {
    sessionStorage.setItem(DRAFT, JSON.stringify({ page: location.pathname + location.search, fields }));
  } catch (error) { /* storage full or refused: the form is still sent */ }
});

(() => {
  let draft = null;
  try {
    draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
  } catch (error) { draft = null; }
  if (location.hash !== "#restore-draft") {
    if (!document.body.hasAttribute("data-keep-draft")) sessionStorage.removeItem(DRAFT);
    return;
  }
  history.replaceState(null, "", location.pathname + location.search);
  sessionStorage.removeItem(DRAFT);
  if (!draft || draft.page !== location.pathname + location.search) return;
  let restored = 0;
  Object.entries(draft.fields).forEach(([name, values]) => {
    document.getElementsByName(name).forEach((field) => {
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.includes(field.value);
      } else {
        field.value = values[0];
      }
      const pane = field.closest(".collapse");
      if (pane) pane.classList.add("show");
      restored += 1;
    });
  });
  if (restored) {
    const note = document.createElement("div");
    note.className = "alert alert-info";
    note.id = "draft-restored";
    note.setAttribute("role", "status");
    note.textContent = "已填回您上次未能提交的文字，请检查后重新提交。";
    document.querySelector("main").prepend(note);
  }
})();

// Uploads (forms marked data-upload-progress): with files chosen, the form goes up through
// XMLHttpRequest so that a bar shows how much is sent; the answer then replaces the page's body
// and title as a normal submission would (this file's listeners, on the document, stay; the new
// body's scripts do not run again). Without files, or without this script, the form goes as usual.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !form.hasAttribute("data-upload-progress")) return;
  const files = [...form.querySelectorAll("input[type=file]")].some((input) => input.files && input.files.length);
  if (!files || !window.FormData) return;
  event.preventDefault();
  const wrap = document.createElement("div");
  wrap.className = "progress upload-progress mt-2";
  wrap.id = "upload-progress";
  wrap.setAttribute("role", "progressbar");
  wrap.setAttribute("aria-label", "上传进度");
  wrap.setAttribute("aria-valuemin", "0");
  wrap.setAttribute("aria-valuemax", "100");
  wrap.setAttribute("aria-valuenow", "0");
  const bar = document.createElement("div");
  bar.className = "progress-bar";
  wrap.appendChild(bar);
  form.appendChild(wrap);
  form.querySelectorAll("[type=submit]").forEach((button) => { button.disabled = true; });
  const request = new XMLHttpRequest();
  request.open("POST", form.action);
  request.upload.addEventListener("progress", (progress) => {
    if (!progress.lengthComputable) return;
    const percent = Math.round((100 * progress.loaded) / progress.total);
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    wrap.setAttribute("aria-valuenow", String(percent));
  });
  request.addEventListener("load", () => {
    const answer = new DOMParser().parseFromString(request.responseText, "text/html");
    sessionStorage.removeItem(DRAFT);
    history.replaceState(null, "", request.responseURL);
    document.title = answer.title;
    document.body.replaceWith(document.adoptNode(answer.body));
    const measure = form.action.match(/\/measures\/(\d+)\//);
    const card = measure && document.getElementById("measure-" + measure[1]);
    if (card) card.scrollIntoView();
  });
  request.addEventListener("error", () => {
    wrap.remove();
    form.querySelectorAll("[type=submit]").forEach((button) => { button.disabled = false; });
    window.alert("上传失败：网络连接中断，请重试。");
  });
  request.send(new FormData(form));
});
