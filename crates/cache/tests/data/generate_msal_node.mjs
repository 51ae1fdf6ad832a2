// Regenerates msal_node_7_2.json: a token cache written by MSAL Node itself.
//
// Runs MSAL Node's real username/password flow through an in-process fake network
// client (no network), with a frozen clock, against an authority on a non-default port
// (as against mock-idp), then prints TokenCache.serialize(). Every token is a fake.
// Usage (in a directory where `npm install @azure/msal-node@7.2` was run):
//
//     node generate_msal_node.mjs > msal_node_7_2.json
import { createRequire } from "node:module";

const NOW = 1700000000;
const RealDate = Date;
globalThis.Date = class extends RealDate { // frozen clock, so the fixture is reproducible
  constructor(...args) { if (args.length === 0) { super(NOW * 1000); } else { super(...args); } }
  static now() { return NOW * 1000; }
};
const require = createRequire(process.cwd() + "/");
const msal = require("@azure/msal-node");

const HOST = "localhost:8443";
const TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const CLIENT_ID = "00001111-aaaa-2222-bbbb-3333cccc4444";
const USERS = {
  "alice@contoso.com": { oid: "00000000-0000-0000-0000-00000000a11c", extra: { refresh_in: 1800 } },
  "zo\u00eb@contoso.com": { oid: "00000000-0000-0000-0000-0000000020e0", extra: { foci: "1" } },
};

const b64url = (s) => Buffer.from(s).toString("base64url");
let issued = 0;

const network = {
  async sendGetRequestAsync(url) {
    if (url.includes("/.well-known/openid-configuration")) {
      const base = `https://${HOST}/organizations`;
      return {
        status: 200, headers: {},
        body: {
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          issuer: `https://${HOST}/{tenantid}/v2.0`,
          jwks_uri: `https://${HOST}/organizations/discovery/v2.0/keys`,
        },
      };
    }
    throw new Error("unexpected GET " + url);
  },
  async sendPostRequestAsync(url, options) {
    const form = new URLSearchParams(options.body);
    const username = form.get("username");
    const { oid, extra } = USERS[username];
    issued += 1;
    const idToken = [
      b64url(JSON.stringify({ alg: "none", typ: "JWT" })),
      b64url(JSON.stringify({
        aud: CLIENT_ID, iss: `https://${HOST}/${TENANT}/v2.0`, iat: NOW, nbf: NOW,
        exp: NOW + 3600, oid, sub: "sub-" + oid, tid: TENANT,
        preferred_username: username, name: username, ver: "2.0",
      })),
      "fake-signature",
    ].join(".");
    const requested = form.get("scope").split(" ").filter(
      (s) => !["openid", "profile", "offline_access"].includes(s));
    return {
      status: 200, headers: {},
      body: {
        token_type: "Bearer",
        scope: [...requested, "openid", "profile", "offline_access"].join(" "),
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: `fake-access-token-${issued}`,
        refresh_token: `fake-refresh-token-${issued}`,
        id_token: idToken,
        client_info: b64url(JSON.stringify({ uid: oid, utid: TENANT })),
        ...extra,
      },
    };
  },
};

const app = new msal.PublicClientApplication({
  auth: { clientId: CLIENT_ID, authority: `https://${HOST}/organizations`, knownAuthorities: [HOST] },
  system: { networkClient: network },
});
for (const username of Object.keys(USERS)) {
  await app.acquireTokenByUsernamePassword({ username, password: "fake-password", scopes: ["User.Read"] });
}
await app.acquireTokenByUsernamePassword({ username: "alice@contoso.com", password: "fake-password", scopes: ["Mail.Read"] });
process.stdout.write(app.getTokenCache().serialize());
