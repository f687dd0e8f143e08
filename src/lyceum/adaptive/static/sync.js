/* Sync health: "Ask device to resend" stamps the dead letter through the API; the device
   sends it again on its next sync. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-resend]");
    if (!button) return;
    var id = button.getAttribute("data-resend");
    button.disabled = true;
    Lyceum.showError(null);
    Lyceum.api("/api/adaptive/sync/dead-letters/" + encodeURIComponent(id) + "/retry", { method: "POST" })
      .then(function () {
        var cell = button.parentNode;
        cell.textContent = "";
        cell.appendChild(Lyceum.el("span", { class: "badge warning", text: "requested just now" }));
      })
      .catch(function (error) {
        button.disabled = false;
        Lyceum.showError(error);
      });
  });
})();
