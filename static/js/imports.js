// While an import is read and checked (or written), show that it is working and prevent a second submit.
document.querySelectorAll("#upload-form, #confirm-form").forEach(function (form) {
  form.addEventListener("submit", function () {
    var busy = document.getElementById("upload-busy");
    if (busy) busy.classList.remove("d-none");
    form.querySelectorAll("[type=submit]").forEach(function (button) { button.disabled = true; });
  });
});
