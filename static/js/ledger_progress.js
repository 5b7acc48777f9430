// The progress of a ledger made in the background: ask the server every second, move the
// bar, and start the download once the file is ready.
(function () {
  var job = document.getElementById("export-job");
  if (!job || (job.dataset.state !== "queued" && job.dataset.state !== "running")) return;
  var bar = document.querySelector("#export-bar .progress-bar");
  var message = document.getElementById("export-message");
  var download = document.getElementById("export-download");

  function show(state) {
    job.dataset.state = state.state;
    bar.style.width = state.percent + "%";
    bar.textContent = state.percent + "%";
    document.getElementById("export-bar").setAttribute("aria-valuenow", state.percent);
    message.textContent = state.message;
    if (state.state === "done") {
      bar.className = "progress-bar bg-success";
      download.href = state.download;
      download.classList.remove("d-none");
      window.location.href = state.download;
    } else if (state.state === "failed") {
      bar.className = "progress-bar bg-danger";
    }
  }

  function poll() {
    fetch(job.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.state === "queued" || state.state === "running") window.setTimeout(poll, 1000);
      })
      .catch(function () {
        message.textContent = "暂时无法获取进度，稍后自动重试……";
        window.setTimeout(poll, 3000);
      });
  }

  window.setTimeout(poll, 500);
})();
