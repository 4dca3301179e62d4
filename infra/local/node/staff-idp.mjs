// The local stand-in for the council's identity provider: a real OpenID Provider (the npm package
// oidc-provider, OpenID Certified) on a loopback port, with one sample staff account per role and one
// with no role. Its development login pages accept any password; the account is the login typed.
// The local stack starts it (infra/local/services/oidc.go) with its settings in the environment:
//   STAFF_IDP_PORT, STAFF_IDP_CLIENT_ID, STAFF_IDP_CLIENT_SECRET, STAFF_IDP_REDIRECT_URI.
import Provider from 'oidc-provider';

const port = Number(process.env.STAFF_IDP_PORT);
const issuer = `http://127.0.0.1:${port}`;

// The sample staff: login -> name and groups (the group claim the portal maps to roles).
const staff = {
  reviewer: { name: 'Riya Reviewer', groups: ['cfp-reviewers'] },
  support: { name: 'Sam Support', groups: ['cfp-support'] },
  governance: { name: 'Grace Governance', groups: ['cfp-information-governance'] },
  admin: { name: 'Ada Administrator', groups: ['cfp-administrators'] },
  norole: { name: 'Nick Norole', groups: ['all-staff'] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.STAFF_IDP_CLIENT_ID,
    client_secret: process.env.STAFF_IDP_CLIENT_SECRET,
    redirect_uris: [process.env.STAFF_IDP_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email'], profile: ['name', 'groups'] },
  // The portal reads the groups from the ID token, as it would Entra ID's groups claim.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const who = staff[id];
    if (!who) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@council.example`, name: who.name, groups: who.groups };
      },
    };
  },
  // Staff sign in to a first-party application: no consent page.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const id = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`staff-idp: listening at ${issuer}`);
});
