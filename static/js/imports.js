// While an import is read and checked (or written), show that it is working and prevent a second submit.
document.querySelectorAll("#upload-form, #confirm-form").forEach(function (form) {
  form.addEventListener("submit", function () {
    var busy = document.getElementById("upload-busy");
    if (busy) busy.classList.remove("d-none");
    form.querySelectorAll("[type=submit]").forEach(function (button) { button.disabled = true; });
  });
});

// "全部…" ticks every box of its section (and the server treats it as all, listed or not).
document.querySelectorAll("[data-check-all]").forEach(function (all) {
  all.addEventListener("change", function () {
    document.querySelectorAll("input[name=" + all.dataset.checkAll + "]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
});
