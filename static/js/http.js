// What generate.js and verse-editor.js share: building page nodes and calling the JSON API.
//
// Rules kept here as in both callers: text reaches the page only through textContent; a request
// carries the CSRF token and a time limit, and a failure is one of three kinds the callers show:
// "timeout", "network", or a "response" (with its JSON body when it has one).

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// fetch()'s options for a JSON POST to the API.
export function jsonPost(body, { accept, csrfToken, timeoutMs }) {
  return {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: accept,
      "Content-Type": "application/json",
      "X-CSRFToken": csrfToken,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  };
}

// What a fetch() that threw means to the writer: it ran out of time, or the network failed.
export function failureOf(error) {
  const timedOut = error && (error.name === "TimeoutError" || error.name === "AbortError");
  return { kind: timedOut ? "timeout" : "network" };
}

// An answer and its JSON body (null when it has none, e.g. a proxy's HTML error page).
export async function jsonAnswer(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { kind: "response", response, data };
}
