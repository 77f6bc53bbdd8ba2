// The permalink page of a saved verse: copy it to the clipboard (download is a plain link).
// The verse is read from a hidden textarea's value (text, never HTML).

const button = document.getElementById("copy-draft");
const source = document.getElementById("draft-text");
const status = document.getElementById("draft-status");

async function copy(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  source.removeAttribute("aria-hidden");
  source.select();
  const copied = document.execCommand("copy");
  source.setAttribute("aria-hidden", "true");
  if (!copied) throw new Error("copy refused");
}

button.addEventListener("click", async () => {
  try {
    await copy(source.value);
    button.textContent = "Copied";
    status.textContent = "The verse is copied to the clipboard.";
  } catch {
    button.textContent = "Copy failed";
    status.textContent = "Copying failed; select the lines and copy them by hand.";
  }
  window.setTimeout(() => {
    button.textContent = "Copy";
  }, 1800);
});
