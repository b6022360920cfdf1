// Passkeys: register one, or use one as the second step of signing in.
// A form with data-passkey="register" or "sign-in" posts twice to its own action:
// first for the options (step=options), then with the browser's answer (response).
const forms = document.querySelectorAll("form[data-passkey]");

function showError(form, message) {
  const box = document.getElementById(form.dataset.errorBox);
  box.querySelector("[data-error-text]").textContent = message;
  box.hidden = false;
  box.focus();
}

async function post(form, fields) {
  const body = new FormData();
  body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
  body.append("next", form.elements.next ? form.elements.next.value : "");
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  const answer = await fetch(form.action, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(data.detail || "Something went wrong. Try again.");
  return data;
}

async function ceremony(form) {
  const options = await post(form, { step: "options" });
  let credential;
  if (form.dataset.passkey === "register") {
    credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
  } else {
    credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
  }
  const name = form.elements.name ? form.elements.name.value : "";
  const done = await post(form, {
    response: JSON.stringify(credential.toJSON()),
    name,
  });
  window.location.assign(done.redirect);
}

for (const form of forms) {
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    showError(form, "This browser cannot use passkeys. Use your authenticator app instead.");
    continue;
  }
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ceremony(form).catch((error) => {
      const cancelled = error && error.name === "NotAllowedError";
      showError(
        form,
        cancelled ? "The passkey request was cancelled or timed out. Try again." : error.message,
      );
    });
  });
}
