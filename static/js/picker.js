// The picker: 责任人, 责任领导 (people), 配合单位 (units) and 责任单位 (a unit select) chosen from the
// known people and units, searched by name, pinyin or pinyin initials (zj finds 周洁), each person
// shown with their unit and whether they have an account. A name that matches nobody is added only
// through an explicit 新建人员“…” choice, and a known name one character away is flagged.
// A select marked data-picker-by="name" (the import preview's 导入为 choices) keeps names as its
// values: picking someone known adds them as an option and selects it.
// Progressive enhancement: without this script the fields are plain text and a select, as before,
// and the server asks to confirm unknown names.
(() => {
  const fields = document.querySelectorAll("[data-picker]");
  if (!fields.length) return;
  const SEPARATOR = /[、，,/;；\s]+/;
  let directory = null;
  let counter = 0;
  const waiting = [];  // fields typed into before the directory arrived: searched once it does

  fetch("/directory.json", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      directory = data;
      waiting.splice(0).forEach((refresh) => refresh());
    })
    .catch(() => {});

  const oneApart = (a, b) => a.length === b.length && a !== b &&
    [...a].filter((ch, i) => ch !== [...b][i]).length === 1;

  function rank(entry, query) {
    const q = query.toLowerCase();
    if (entry.name === query) return 0;
    if (entry.name.startsWith(query)) return 1;
    if (entry.keys.some((key) => key === q)) return 2;
    if (entry.keys.some((key) => key.startsWith(q))) return 3;
    if (entry.name.includes(query)) return 4;
    if (entry.keys.some((key) => key.includes(q))) return 5;
    return -1;
  }

  function search(kind, query) {
    const list = directory ? directory[kind === "people" || kind === "person" ? "people" : "units"] : [];
    return list.map((entry) => [rank(entry, query), entry]).filter(([r]) => r >= 0)
      .sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name, "zh-CN")).slice(0, 12).map(([, e]) => e);
  }

  function setUp(field) {
    const kind = field.dataset.picker;  // people, units (text); unit, person (a select)
    const select = field.tagName === "SELECT" ? field : null;
    const byName = select && field.dataset.pickerBy === "name";
    const person = kind === "people" || kind === "person";
    let input = field;
    if (select) {  // a search box in front of the select, which stays the form's value
      input = document.createElement("input");
      input.type = "text";
      input.className = "form-control form-control-sm mb-1 picker-search";
      input.placeholder = person ? "输入姓名或拼音首字母查找已有人员" : "输入名称或拼音首字母查找";
      const named = select.labels.length ? select.labels[0].textContent : select.getAttribute("aria-label");
      input.setAttribute("aria-label", "查找" + (named || (person ? "人员" : "单位")));
      select.before(input);
    }
    const list = document.createElement("ul");
    const id = "picker-" + (++counter);
    list.id = id;
    list.className = "picker-list list-group shadow-sm";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    const wrap = document.createElement("div");
    wrap.className = "picker position-relative";
    input.after(wrap);
    wrap.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.autocomplete = "off";
    let options = [];
    let active = -1;

    const token = () => (select ? input.value : input.value.split(SEPARATOR).pop()).trim();

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(option) {
      if (!option) return;
      if (byName) {
        if (![...select.options].some((o) => o.value === option.name)) {
          select.add(new Option(`即已有的“${option.name}”${option.note ? "（" + option.note + "）" : ""}`, option.name));
        }
        select.value = option.name;
        input.value = option.name;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (select) {
        select.value = option.unitId;
        input.value = option.name;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      } else {
        const parts = input.value.split(SEPARATOR).filter(Boolean);
        if (token()) parts.pop();
        if (!parts.includes(option.name)) parts.push(option.name);
        input.value = parts.join("、") + "、";
        if (option.isNew) {
          const confirm = document.createElement("input");
          confirm.type = "hidden";
          confirm.name = "new_people";
          confirm.value = option.name;
          input.form.appendChild(confirm);
        }
      }
      close();
      input.focus();
    }

    function highlight(index) {
      options.forEach((option, i) => {
        option.element.classList.toggle("active", i === index);
        option.element.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].element.id);
        options[index].element.scrollIntoView({ block: "nearest" });
      }
    }

    function item(text, note, extra) {
      const li = document.createElement("li");
      li.id = id + "-" + options.length;
      li.className = "list-group-item list-group-item-action py-2 picker-option" + (extra ? " " + extra : "");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const strong = document.createElement("span");
      strong.className = "fw-semibold";
      strong.textContent = text;
      li.appendChild(strong);
      if (note) {
        const small = document.createElement("span");
        small.className = "small ms-2 picker-note";
        small.textContent = note;
        li.appendChild(small);
      }
      return li;
    }

    function open() {
      const query = token();
      list.replaceChildren();
      options = [];
      if (query && !directory && !waiting.includes(retry)) waiting.push(retry);
      if (!query || !directory) { close(); return; }
      const found = search(kind, query);
      found.forEach((entry) => {
        const note = person ? `${entry.unit || "未定单位"} · ${entry.account ? "有账号" : "无账号"}` : "";
        const li = item(entry.name, note);
        options.push({ element: li, name: entry.name, unitId: entry.id, note: note.replace(" · ", "，") });
      });
      if (kind === "people" && !found.some((entry) => entry.name === query) && /[\u4e00-\u9fff]/.test(query)) {
        const near = directory.people.filter((entry) => oneApart(entry.name, query));
        const warning = near.length
          ? "注意：已有" + near.map((e) => `${e.name}（${e.unit || "未定单位"}）`).join("、") + "，只差一个字"
          : "不在人员名单中，确认后新建";
        const li = item(`新建人员“${query}”`, warning, near.length ? "picker-new picker-near" : "picker-new");
        options.push({ element: li, name: query, isNew: true });
      }
      if (!options.length) {
        const hint = kind === "people" ? "请输入汉字姓名以新建人员" : byName ? "保留“新建”即可" : "请先在部门管理中添加";
        const li = item("没有找到", hint, "disabled");
        li.setAttribute("aria-disabled", "true");
        list.appendChild(li);
      }
      options.forEach((option) => {
        option.element.addEventListener("mousedown", (event) => { event.preventDefault(); choose(option); });
        list.appendChild(option.element);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(options.length ? 0 : -1);
    }

    const retry = () => { if (document.activeElement === input) open(); };
    input.addEventListener("input", open);
    input.addEventListener("focus", () => { if (token()) open(); });
    input.addEventListener("blur", () => setTimeout(close, 150));
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, options.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options[active]); }
      else if (event.key === "Escape") { close(); }
    });
  }

  fields.forEach(setUp);
})();
