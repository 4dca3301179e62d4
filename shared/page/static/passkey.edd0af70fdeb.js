// Passkeys in the portal's pages: signing in with one (the sign-in page's button) and adding one
// (the Passkeys page's form), through the JSON API on the same origin. Without this script, or
// without WebAuthn in the browser, the pages offer the emailed code only; the add form then posts
// to the server, which says what adding a passkey needs.

const supported = typeof window.PublicKeyCredential === "function" && navigator.credentials;

function bytes(b64url) {
  const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}

function b64url(buf) {
  let bin = "";
  for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function post(path, body) {
  return fetch("/api" + path, {
    method: "POST",
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function problem(text) {
  const box = document.getElementById("passkey-problem");
  document.getElementById("passkey-problem-text").textContent = text;
  box.classList.remove("govuk-!-display-none");
  box.classList.add("govuk-error-summary");
  box.focus();
}

function credentialJSON(c) {
  const r = c.response;
  const out = { id: c.id, rawId: b64url(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(), response: {} };
  out.response.clientDataJSON = b64url(r.clientDataJSON);
  if (r.attestationObject) {
    out.response.attestationObject = b64url(r.attestationObject);
    out.response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    out.response.authenticatorData = b64url(r.authenticatorData);
    out.response.signature = b64url(r.signature);
    if (r.userHandle) out.response.userHandle = b64url(r.userHandle);
  }
  if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment;
  return out;
}

async function signIn() {
  const begun = await post("/session/passkey/options");
  if (!begun.ok) throw new Error("begin");
  const { publicKey } = await begun.json();
  publicKey.challenge = bytes(publicKey.challenge);
  for (const c of publicKey.allowCredentials || []) c.id = bytes(c.id);
  const cred = await navigator.credentials.get({ publicKey });
  const done = await post("/session/passkey", { credential: credentialJSON(cred) });
  if (!done.ok) throw new Error("refused");
  window.location.assign("/clients");
}

async function add(form) {
  const begun = await post("/passkeys/registration", { name: form.elements.name.value });
  if ([400, 401, 409].includes(begun.status)) {
    form.submit(); // the server's page says what is wrong, in its error summary
    return;
  }
  if (!begun.ok) throw new Error("begin");
  const { publicKey } = await begun.json();
  publicKey.challenge = bytes(publicKey.challenge);
  publicKey.user.id = bytes(publicKey.user.id);
  for (const c of publicKey.excludeCredentials || []) c.id = bytes(c.id);
  const cred = await navigator.credentials.create({ publicKey });
  const done = await post("/passkeys", { credential: credentialJSON(cred) });
  if (!done.ok) throw new Error("refused");
  window.location.assign("/account/passkeys?added=1");
}

const button = document.querySelector("[data-passkey-signin]");
if (button && supported) {
  button.closest("[data-passkey-offer]").classList.remove("govuk-!-display-none");
  button.addEventListener("click", () => {
    button.disabled = true;
    signIn().catch(() => {
      button.disabled = false;
      problem("Your passkey did not sign you in. Try again, or sign in with a code we email you.");
    });
  });
}

const form = document.querySelector("form[data-passkey-add]");
if (form && supported) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const submit = form.querySelector("button");
    submit.disabled = true;
    add(form).catch(() => {
      submit.disabled = false;
      problem("The passkey was not added. Try again. If your device asked you to confirm, check you finished the steps it showed.");
    });
  });
}
