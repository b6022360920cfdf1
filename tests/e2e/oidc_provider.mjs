// A real OpenID Connect provider (the oidc-provider package) on loopback, for the
// single sign-on browser tests. It is configured from the environment:
//   OIDC_TEST_PORT, OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET, OIDC_TEST_REDIRECT_URI
// Its sign-in page takes any email (no password: the test is of Sustain, not of the
// provider). An email starting "unverified" is sent with email_verified false, and
// ticking "I used a second factor" puts "mfa" in the ID token's amr claim.
// It prints "ready <issuer>" once listening, and stops when its stdin closes.
import { randomBytes } from "node:crypto";
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_TEST_PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_TEST_CLIENT_ID,
      client_secret: process.env.OIDC_TEST_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_TEST_REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  // PKCE for every client, not only public ones.
  pkce: { required: () => true },
  // amr rides with the openid scope, as Entra ID sends it in every ID token.
  claims: { openid: ["sub", "amr"], email: ["email", "email_verified"] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith("unverified") };
      },
    };
  },
  cookies: { keys: [randomBytes(16).toString("hex")] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

const page = (uid) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loopback identity provider</title></head>
<body><main><h1>Loopback identity provider</h1>
<form method="post" action="/interaction/${uid}">
  <label for="email">Work email</label>
  <input id="email" name="email" type="email" autocomplete="off">
  <label><input type="checkbox" name="mfa" value="yes"> I used a second factor</label>
  <button type="submit">Sign in at provider</button>
</form></main></body></html>`;

async function formBody(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === "GET") {
    ctx.type = "html";
    ctx.body = page(details.uid);
    return undefined;
  }
  const form = await formBody(ctx.req);
  const accountId = (form.get("email") || "").trim();
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  const amr = form.get("mfa") === "yes" ? ["pwd", "mfa"] : ["pwd"];
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId, amr }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
  ctx.respond = false;
  return undefined;
});

const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
process.stdin.resume();
process.stdin.on("end", () => server.close(() => process.exit(0)));
