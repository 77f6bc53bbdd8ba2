// The training run page: refreshes the run's progress line (epoch, batch, windows/s, ETA)
// without a reload, by polling the JSON view named in the element's data-training-progress.
//
// Rules this file keeps:
// - The text comes from the server's one-line summary and reaches the page through
//   textContent only.
// - No inline scripts, styles or handlers: the production Content-Security-Policy forbids them.
// - It stops polling once the run is neither queued nor running.

const POLL_MS = 3000;
const ACTIVE = new Set(["queued", "running"]);

function follow(element) {
  const url = element.dataset.trainingProgress;
  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) {
        return; // signed out or the run is gone: leave the last line shown
      }
      const progress = await response.json();
      element.textContent = progress.summary;
      if (ACTIVE.has(progress.status)) {
        window.setTimeout(poll, POLL_MS);
      }
    } catch (error) {
      window.setTimeout(poll, POLL_MS * 5); // the server restarting: try again later
    }
  }
  window.setTimeout(poll, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-training-progress]").forEach(follow);
});
