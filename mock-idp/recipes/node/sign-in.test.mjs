// MSAL Node signs in users of mock-idp's default fixture.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { InteractionRequiredAuthError, PublicClientApplication } from "@azure/msal-node";

import { networkClient, startMockIdp } from "./mock-idp.mjs";

const CONTOSO_TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const CONTOSO_CLI = "00001111-aaaa-2222-bbbb-3333cccc4444";
const GRAPH = "00000003-0000-0000-c000-000000000000";
const PASSWORD = "Pa$$ w0rd&=+\u00e9";

let idp;
before(async () => {
    idp = await startMockIdp();
});
after(() => idp?.stop());

function app() {
    return new PublicClientApplication({
        auth: {
            clientId: CONTOSO_CLI,
            authority: idp.authority("organizations"),
            // Not a Microsoft host: trust it as given (host with port).
            knownAuthorities: [new URL(idp.baseUrl).host],
        },
        system: { networkClient: networkClient(idp.caPem) },
    });
}

function claims(jwt) {
    return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}

test("alice gets tokens", async () => {
    const result = await app().acquireTokenByUsernamePassword({
        username: "alice@contoso.com",
        password: PASSWORD,
        scopes: ["User.Read"],
    });
    assert.equal(result.account.username, "alice@contoso.com");
    assert.equal(result.tenantId, CONTOSO_TENANT);
    const access = claims(result.accessToken);
    assert.equal(access.aud, GRAPH);
    assert.ok(access.scp.split(" ").includes("User.Read"), access.scp);
});

test("the MFA user is refused with a claims challenge", async () => {
    const refused = app().acquireTokenByUsernamePassword({
        username: "mfa-required@contoso.com",
        password: PASSWORD,
        scopes: ["User.Read"],
    });
    await assert.rejects(refused, (err) => {
        assert.ok(err instanceof InteractionRequiredAuthError, String(err));
        assert.equal(err.errorCode, "invalid_grant");
        assert.equal(err.subError, "basic_action");
        assert.match(err.errorMessage, /AADSTS50076:/);
        assert.ok(err.claims);
        return true;
    });
});
