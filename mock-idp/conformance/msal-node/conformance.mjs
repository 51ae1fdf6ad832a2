#!/usr/bin/env node
// Drives MSAL Node (@azure/msal-node, the version pinned in package.json) against a
// running mock-idp and checks that every row of the default fixture (mock-idp/README.md)
// that `acquireTokenByUsernamePassword` can express gives the documented outcome.
//
// Usage:
//     npm ci --no-audit --no-fund
//     node conformance.mjs --base-url https://localhost:PORT --ca ca.pem [--verbose]
//
// One line per case (`ok   ...` or `FAIL ...`), then `msal-node: N passed, N failed`.
// Exit status 0 when every case passed, 1 when one failed, 2 on bad arguments, a missing
// CA file or msal-node install, or a mock-idp that cannot be reached.
//
// How MSAL Node is kept on mock-idp:
// - `knownAuthorities: ["localhost:PORT"]`: MSAL Node trusts the authority as given, so it
//   never asks the real instance discovery endpoint; it reads the OIDC document from
//   mock-idp (`/{tenant}/v2.0/.well-known/openid-configuration`).
// - MSAL Node's own HTTP client is used unchanged (it calls the global `fetch`). The
//   script wraps `globalThis.fetch` to record every exchange (method, URL, form, status,
//   JSON body) and to refuse any host but localhost/127.0.0.1; a final case checks that
//   nothing tried to leave the machine.
// - TLS: Node reads NODE_EXTRA_CA_CERTS only at start-up, so when it does not name the
//   --ca file the script starts itself again with it set (xtask sets it directly).
// - The client clock: MSAL Node judges a cached access token by `Date.now()` and
//   `new Date()`. When the script advances mock-idp's clock through the admin API it
//   shifts the global `Date` by the same amount (see `ClientClock`), as if the time had
//   really passed on both sides.
// - A fresh application object (and so a fresh in-memory cache) per case.
// - Azure AD B2C at its real host name: `contosob2c.b2clogin.com` resolves to 127.0.0.1
//   in this process (`dns.lookup` is wrapped; mock-idp needs `--hostname
//   contosob2c.b2clogin.com`), trusted with `knownAuthorities: ["contosob2c.b2clogin.com:PORT"]`.

import { spawnSync } from "node:child_process";
import dns from "node:dns";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

// The default fixture (mock-idp/README.md, "The default fixture").
const CONTOSO_TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const CONTOSO_CLI = "00001111-aaaa-2222-bbbb-3333cccc4444";
const CONTOSO_DAEMON = "11112222-bbbb-3333-cccc-4444dddd5555";
const CONTOSO_WEB = "22223333-cccc-4444-dddd-5555eeee6666";
// Not in any fixture tenant.
const UNKNOWN_CLIENT = "99990000-ffff-9999-eeee-8888dddd7777";
const PASSWORD = "Pa$$ w0rd&=+\u00e9";
const DAEMON_SECRET = "contoso-daemon-secret";
const SCOPES = ["User.Read"];
const FEDUSER = "feduser@fabrikam.com";
const PERSONAL_USER = "someone@outlook.com";
const TOKEN_PATH_SUFFIX = "/oauth2/v2.0/token";
// Azure AD B2C (mock-idp/README.md, "Azure AD B2C").
const B2C_HOST = "contosob2c.b2clogin.com";
const B2C_DOMAIN = "contosob2c.onmicrosoft.com";
const B2C_TENANT = "ccccdddd-2222-eeee-3333-ffff4444aaaa";
const B2C_POLICY = "B2C_1_ROPC_Auth";
const B2C_APP = "33334444-dddd-5555-eeee-6666ffff7777";
const B2C_WEB = "44445555-eeee-6666-ffff-7777aaaa8888";
const B2C_USER = "b2c-user@contosob2c.onmicrosoft.com";
const B2C_USER_OID = "b2c00000-0000-4000-8000-000000000001";
const B2C_LOCKED = "b2c-locked@contosob2c.onmicrosoft.com";
const B2C_DISABLED = "b2c-disabled@contosob2c.onmicrosoft.com";
const B2C_SCOPES = [B2C_APP];
// Real host names that resolve to 127.0.0.1 in this process only (`dns.lookup` below);
// mock-idp serves them when started with `--hostname` for each.
const MAPPED_HOSTS = new Set([B2C_HOST]);
const LOOPBACK = new Set(["localhost", "127.0.0.1", ...MAPPED_HOSTS]);

// Node's fetch connects through `net`, which resolves names with `dns.lookup`.
const realLookup = dns.lookup;
dns.lookup = function lookup(host, options, callback) {
    const name = String(host).toLowerCase().replace(/\.$/, "");
    return realLookup.call(this, MAPPED_HOSTS.has(name) ? "127.0.0.1" : host, options, callback);
};

const USAGE = "usage: node conformance.mjs --base-url https://localhost:PORT --ca CA.pem [--verbose]";

// --- arguments and start-up -------------------------------------------------------

let args;
try {
    ({ values: args } = parseArgs({
        options: {
            "base-url": { type: "string" },
            ca: { type: "string" },
            verbose: { type: "boolean", default: false },
            help: { type: "boolean", short: "h", default: false },
        },
    }));
} catch (err) {
    process.stderr.write(`msal-node conformance: ${err.message}\n${USAGE}\n`);
    process.exit(2);
}
if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
}
if (!args["base-url"] || !args.ca) {
    process.stderr.write(`msal-node conformance: --base-url and --ca are required\n${USAGE}\n`);
    process.exit(2);
}
const BASE_URL = args["base-url"].replace(/\/+$/, "");
const CA = resolve(args.ca);
const VERBOSE = args.verbose;
if (!existsSync(CA)) {
    process.stderr.write(`no CA certificate at ${CA}\n`);
    process.exit(2);
}
if (!process.env.NODE_EXTRA_CA_CERTS || resolve(process.env.NODE_EXTRA_CA_CERTS) !== CA) {
    // Node reads NODE_EXTRA_CA_CERTS once, at start-up: run again with it set.
    const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
        stdio: "inherit",
        env: { ...process.env, NODE_EXTRA_CA_CERTS: CA },
    });
    process.exit(again.status ?? 2);
}

let msal;
try {
    msal = await import("@azure/msal-node");
} catch (err) {
    process.stderr.write(
        `msal-node conformance: ${err.message}\n` +
            "install the client first: npm ci --no-audit --no-fund (in mock-idp/conformance/msal-node)\n",
    );
    process.exit(2);
}
const PINNED = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).dependencies[
    "@azure/msal-node"
];

// --- the client clock -------------------------------------------------------------

/** Shifts the global `Date` (now and `new Date()`) by `offsetMs`, for MSAL Node. */
class ClientClock {
    constructor() {
        this.offsetMs = 0;
        const RealDate = Date;
        const clock = this;
        class ShiftedDate extends RealDate {
            constructor(...rest) {
                if (rest.length === 0) {
                    super(RealDate.now() + clock.offsetMs);
                } else {
                    super(...rest);
                }
            }

            static now() {
                return RealDate.now() + clock.offsetMs;
            }
        }
        globalThis.Date = ShiftedDate;
    }

    advance(seconds) {
        this.offsetMs += seconds * 1000;
    }
}

const CLIENT_CLOCK = new ClientClock();

// --- the wire ---------------------------------------------------------------------

/**
 * Wraps the global `fetch`, which MSAL Node's HTTP client calls: records every exchange
 * and refuses hosts other than loopback. The script's own admin calls use `realFetch`.
 */
class Wire {
    constructor() {
        this.realFetch = globalThis.fetch.bind(globalThis);
        /** @type {{method: string, url: URL, form: URLSearchParams | null, status: number, body: any}[]} */
        this.sent = [];
        /** Every URL that was refused (not https on localhost/127.0.0.1). */
        this.refused = [];
        /** Every host:port MSAL Node sent a request to. */
        this.hosts = new Set();
        globalThis.fetch = (input, init) => this.fetch(input, init);
    }

    async fetch(input, init = {}) {
        const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
        if (url.protocol !== "https:" || !LOOPBACK.has(url.hostname)) {
            this.refused.push(url.href);
            throw new TypeError(`refusing to send a request off this machine: ${url.href}`);
        }
        this.hosts.add(url.host);
        const method = (init.method || "GET").toUpperCase();
        const form = typeof init.body === "string" ? new URLSearchParams(init.body) : null;
        const response = await this.realFetch(input, init);
        let body = null;
        try {
            body = await response.clone().json();
        } catch {
            body = null;
        }
        this.sent.push({ method, url, form, status: response.status, body });
        return response;
    }

    /** A position in the log, for `since`. */
    mark() {
        return this.sent.length;
    }

    since(mark) {
        return this.sent.slice(mark);
    }

    tokenPosts(mark = 0) {
        return this.since(mark).filter((e) => e.method === "POST" && e.url.pathname.endsWith(TOKEN_PATH_SUFFIX));
    }
}

const WIRE = new Wire();

// --- checks -----------------------------------------------------------------------

class CaseFailed extends Error {}

function check(condition, message) {
    if (!condition) {
        throw new CaseFailed(message);
    }
}

function decodeBase64Url(text) {
    return JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
}

function describeError(err) {
    if (!(err instanceof Error)) {
        return `threw ${String(err)}`;
    }
    const firstLine = (err.errorMessage || err.message || "").split(/\r?\n/)[0].slice(0, 140);
    return `${err.name} errorCode=${err.errorCode} errorNo=${err.errorNo} subError=${err.subError} ${JSON.stringify(firstLine)}`;
}

class Conformance {
    constructor() {
        this.passed = 0;
        this.failed = 0;
        this.host = new URL(BASE_URL).host;
    }

    // --- plumbing ---------------------------------------------------------------

    config(clientId, tenant, clientSecret) {
        const auth = {
            clientId,
            authority: `${BASE_URL}/${tenant}`,
            // A host MSAL Node does not know as Microsoft's: trust it as given, with its
            // port, so that no instance discovery goes to login.microsoftonline.com.
            knownAuthorities: [this.host],
        };
        if (clientSecret !== undefined) {
            auth.clientSecret = clientSecret;
        }
        return { auth };
    }

    publicApp(clientId = CONTOSO_CLI, tenant = "organizations") {
        return new msal.PublicClientApplication(this.config(clientId, tenant));
    }

    confidentialApp(secret, clientId = CONTOSO_DAEMON, tenant = "organizations") {
        return new msal.ConfidentialClientApplication(this.config(clientId, tenant, secret));
    }

    async admin(method, path, json) {
        const init = { method };
        if (json !== undefined) {
            init.headers = { "content-type": "application/json" };
            init.body = JSON.stringify(json);
        }
        const resp = await WIRE.realFetch(`${BASE_URL}/_admin/${path}`, init);
        const text = await resp.text();
        check(resp.ok, `admin ${method} ${path} answered ${resp.status}: ${text.slice(0, 200)}`);
        return text ? JSON.parse(text) : null;
    }

    /** Moves mock-idp's clock (admin API) and MSAL Node's clock by the same amount. */
    async advanceClock(seconds) {
        await this.admin("POST", "clock/advance", { seconds: Math.trunc(seconds) });
        CLIENT_CLOCK.advance(Math.trunc(seconds));
    }

    /** mock-idp's request log (secrets redacted). */
    recordedRequests() {
        return this.admin("GET", "requests");
    }

    clearRequests() {
        return this.admin("DELETE", "requests");
    }

    static signIn(app, username, password = PASSWORD, scopes = SCOPES) {
        return app.acquireTokenByUsernamePassword({ username, password, scopes });
    }

    async run(name, body) {
        let ok;
        let detail;
        try {
            detail = await body();
            ok = true;
        } catch (err) {
            ok = false;
            detail = err instanceof CaseFailed ? err.message : `crashed: ${describeError(err)}`;
            if (VERBOSE && !(err instanceof CaseFailed)) {
                process.stderr.write(`${err.stack}\n`);
            }
        }
        if (ok) {
            this.passed += 1;
            process.stdout.write(`ok   ${name} ${detail}\n`);
        } else {
            this.failed += 1;
            process.stdout.write(`FAIL ${name} ${detail}\n`);
        }
    }

    // --- what a case checks -----------------------------------------------------

    /** A token response from MSAL Node and the raw body it came from. */
    async expectTokens(result, mark, username, clientId, tenant = CONTOSO_TENANT) {
        check(result && result.accessToken, `expected tokens, got ${JSON.stringify(result)}`);
        check(result.fromCache === false, `fromCache ${result.fromCache} on sign-in`);
        const posts = WIRE.tokenPosts(mark);
        check(posts.length === 1, `expected one token POST, got ${posts.length}`);
        const post = posts[0];
        check(post.status === 200, `token endpoint answered ${post.status}`);
        check(post.form.get("grant_type") === "password", `grant_type ${post.form.get("grant_type")}`);
        const body = post.body || {};
        for (const field of ["error", "error_description", "suberror"]) {
            check(!(field in body), `a success body carries ${field}`);
        }
        check(Number(body.expires_in) > 300, `expires_in ${body.expires_in} is not above 300`);
        check(body.refresh_token, "no refresh_token in the response");
        const granted = (body.scope || "").split(" ");
        for (const scope of SCOPES) {
            check(granted.includes(scope), `scope ${JSON.stringify(body.scope)} does not echo ${scope}`);
            check(result.scopes.includes(scope), `MSAL Node's scopes ${result.scopes} lack ${scope}`);
        }
        const claims = result.idTokenClaims || {};
        check(claims.aud === clientId, `id token aud ${claims.aud}`);
        check(claims.tid === tenant, `id token tid ${claims.tid}`);
        check(
            (claims.preferred_username || "").toLowerCase() === username.toLowerCase(),
            `id token preferred_username ${claims.preferred_username}`,
        );
        check(body.client_info, "no client_info in the response");
        check(!body.client_info.includes("="), "client_info is padded");
        const info = decodeBase64Url(body.client_info);
        check(info.uid === claims.oid && info.utid === tenant, `client_info ${JSON.stringify(info)} does not match oid/tid`);
        const account = result.account || {};
        check(account.homeAccountId === `${claims.oid}.${tenant}`, `homeAccountId ${account.homeAccountId}`);
        check(account.tenantId === tenant, `account tenantId ${account.tenantId}`);
        check((account.username || "").toLowerCase() === username.toLowerCase(), `account username ${account.username}`);
        check(account.environment === this.host, `account environment ${account.environment}`);
    }

    /** MSAL Node's error and the raw body it came from. */
    expectError(err, mark, expected) {
        const { code, error, status = 400, suberror, claims = false } = expected;
        check(err !== undefined, `expected AADSTS${code}, got tokens`);
        check(err instanceof msal.AuthError, `expected an AuthError, got ${describeError(err)}`);
        const kind = expected.interaction ? "InteractionRequiredAuthError" : "ServerError";
        check(err.name === kind, `expected ${kind}, got ${describeError(err)}`);
        check(err.errorCode === error, `expected error ${error}, got ${describeError(err)}`);
        check(Number(err.errorNo) === code, `expected errorNo ${code}, got ${describeError(err)}`);
        check((err.subError || undefined) === suberror, `expected subError ${suberror}, got ${describeError(err)}`);
        check((err.errorMessage || "").includes(`AADSTS${code}:`), `errorMessage lacks AADSTS${code}: ${describeError(err)}`);
        if (claims) {
            check(err.claims, "expected a claims challenge on the error, got none");
            JSON.parse(err.claims);
        }
        const posts = WIRE.tokenPosts(mark);
        check(posts.length === 1, `expected one token POST, got ${posts.length}`);
        const post = posts[0];
        check(post.status === status, `expected HTTP ${status}, got ${post.status}`);
        const body = post.body || {};
        check((body.error_codes || []).includes(code), `body error_codes ${JSON.stringify(body.error_codes)}`);
        check((body.error_description || "").startsWith(`AADSTS${code}:`), `error_description does not start with AADSTS${code}:`);
        if (claims) {
            check(body.claims === err.claims, "MSAL Node's claims differ from the body's");
        }
        for (const field of ["trace_id", "correlation_id", "timestamp"]) {
            check(body[field], `no ${field} in the error body`);
        }
        check(err.correlationId === body.correlation_id, `correlationId ${err.correlationId} is not the body's`);
        return `AADSTS${code} ${error}${suberror ? ` ${suberror}` : ""} (${kind})`;
    }

    async expectSilentFromCacheThenRefresh(app, first, username, scopes = SCOPES) {
        const cache = app.getTokenCache();
        const accounts = (await cache.getAllAccounts()).filter(
            (a) => (a.username || "").toLowerCase() === username.toLowerCase(),
        );
        check(accounts.length === 1, `getAllAccounts found ${accounts.length} accounts for ${username}`);
        const account = accounts[0];
        check(account.homeAccountId === first.account.homeAccountId, `cached homeAccountId ${account.homeAccountId}`);
        const serialized = JSON.parse(cache.serialize());
        check(Object.keys(serialized.RefreshToken || {}).length === 1, "MSAL Node cached no refresh token");

        let mark = WIRE.mark();
        const cached = await app.acquireTokenSilent({ account, scopes });
        check(cached.fromCache === true, `silent fromCache ${cached.fromCache}, expected true`);
        check(cached.accessToken === first.accessToken, "silent returned another access token");
        check(WIRE.since(mark).length === 0, `silent from cache sent ${WIRE.since(mark).length} requests`);

        const expiresIn = Math.ceil((first.expiresOn.getTime() - Date.now()) / 1000);
        await this.advanceClock(expiresIn + 60);
        mark = WIRE.mark();
        const refreshed = await app.acquireTokenSilent({ account, scopes });
        const posts = WIRE.tokenPosts(mark);
        check(refreshed && refreshed.accessToken, "silent after expiry gave no token");
        check(refreshed.fromCache === false, "silent after expiry came from the cache");
        check(refreshed.accessToken !== first.accessToken, "the refresh gave the same access token");
        check(
            posts.length === 1 && posts[0].form.get("grant_type") === "refresh_token" && posts[0].status === 200,
            `expected one refresh_token POST answered 200, got ${JSON.stringify(
                posts.map((p) => [p.form.get("grant_type"), p.status]),
            )}`,
        );
        check(!posts[0].form.has("password"), "the refresh carried a password");
        return "tokens, silent from cache, refresh after expiry";
    }

    // --- the cases --------------------------------------------------------------

    async allCases() {
        const user = (name) => `${name}@contoso.com`;

        const alice = (tenant) => async () => {
            const app = this.publicApp(CONTOSO_CLI, tenant);
            const mark = WIRE.mark();
            const result = await Conformance.signIn(app, user("alice"));
            await this.expectTokens(result, mark, user("alice"), CONTOSO_CLI);
            return this.expectSilentFromCacheThenRefresh(app, result, user("alice"));
        };
        await this.run("alice@contoso.com (organizations)", alice("organizations"));
        await this.run("alice@contoso.com (tenant GUID)", alice(CONTOSO_TENANT));
        await this.run("alice@contoso.com (tenant contoso.com)", alice("contoso.com"));

        const refused = (username, expected, options = {}) => async () => {
            const { password = PASSWORD, scopes = SCOPES, clientId = CONTOSO_CLI, tenant = "organizations", secret } = options;
            const app =
                secret === undefined ? this.publicApp(clientId, tenant) : this.confidentialApp(secret, clientId, tenant);
            const mark = WIRE.mark();
            let err;
            try {
                await Conformance.signIn(app, username, password, scopes);
            } catch (caught) {
                err = caught;
            }
            return this.expectError(err, mark, expected);
        };
        const rows = [
            [
                "mfa-required@contoso.com",
                refused(user("mfa-required"), {
                    code: 50076,
                    error: "invalid_grant",
                    suberror: "basic_action",
                    claims: true,
                    interaction: true,
                }),
            ],
            [
                "mfa-enrollment@contoso.com",
                refused(user("mfa-enrollment"), { code: 50079, error: "interaction_required", claims: true, interaction: true }),
            ],
            [
                "consent-required@contoso.com",
                refused(user("consent-required"), {
                    code: 65001,
                    error: "invalid_grant",
                    suberror: "consent_required",
                    interaction: true,
                }),
            ],
            [
                "password-expired@contoso.com",
                refused(user("password-expired"), {
                    code: 50055,
                    error: "invalid_grant",
                    suberror: "user_password_expired",
                    interaction: true,
                }),
            ],
            ["locked@contoso.com", refused(user("locked"), { code: 50053, error: "invalid_grant" })],
            ["disabled@contoso.com", refused(user("disabled"), { code: 50057, error: "invalid_grant" })],
            [
                "ca-blocked@contoso.com",
                refused(user("ca-blocked"), { code: 53003, error: "invalid_grant", suberror: "message_only", interaction: true }),
            ],
            ["nobody@contoso.com", refused(user("nobody"), { code: 50034, error: "invalid_grant" })],
            [
                "alice@contoso.com wrong password",
                refused(user("alice"), { code: 50126, error: "invalid_grant" }, { password: "not-the-password" }),
            ],
            [
                "alice@contoso.com Mail.Send without consent",
                refused(
                    user("alice"),
                    { code: 65001, error: "invalid_grant", suberror: "consent_required", interaction: true },
                    { scopes: ["Mail.Send"] },
                ),
            ],
            [
                "alice@contoso.com at /common",
                refused(user("alice"), { code: 9001023, error: "invalid_request" }, { tenant: "common" }),
            ],
            [
                "alice@contoso.com with Contoso Web (no public client flows)",
                refused(user("alice"), { code: 7000218, error: "invalid_client", status: 401 }, { clientId: CONTOSO_WEB }),
            ],
            [
                "alice@contoso.com with Contoso Daemon, wrong secret",
                refused(
                    user("alice"),
                    { code: 7000215, error: "invalid_client", status: 401 },
                    { clientId: CONTOSO_DAEMON, secret: "not-the-secret" },
                ),
            ],
            [
                "alice@contoso.com with an unknown client id",
                refused(user("alice"), { code: 700016, error: "unauthorized_client" }, { clientId: UNKNOWN_CLIENT }),
            ],
        ];
        for (const [name, body] of rows) {
            await this.run(name, body);
        }

        await this.run("alice@contoso.com with Contoso Daemon (confidential, ROPC)", async () => {
            const app = this.confidentialApp(DAEMON_SECRET);
            const mark = WIRE.mark();
            const result = await Conformance.signIn(app, user("alice"));
            await this.expectTokens(result, mark, user("alice"), CONTOSO_DAEMON);
            const post = WIRE.tokenPosts(mark)[0];
            check(post.form.get("client_secret") === DAEMON_SECRET, "MSAL Node did not send the client secret");
            return this.expectSilentFromCacheThenRefresh(app, result, user("alice"));
        });

        // MSAL Node has no user realm discovery and no WS-Trust: it posts every password
        // straight to the token endpoint. mock-idp's request log shows what was sent.
        const directOnly = async (username) => {
            const logged = await this.recordedRequests();
            const paths = logged.map((r) => r.path);
            check(!paths.some((p) => p.toLowerCase().includes("/userrealm/")), `MSAL Node asked the user realm: ${paths}`);
            check(!paths.some((p) => p.startsWith("/adfs/") || p.startsWith("/msa/")), `MSAL Node asked a federation service: ${paths}`);
            const tokens = logged.filter((r) => r.path.endsWith(TOKEN_PATH_SUFFIX));
            check(tokens.length === 1, `expected one token request, got ${tokens.length}`);
            const form = Object.fromEntries(tokens[0].form);
            check(form.grant_type === "password", `grant_type ${form.grant_type}`);
            check(form.username === username, `username ${form.username}`);
            check(tokens[0].carried_password, "mock-idp saw no password in the token request");
            const elsewhere = logged.filter((r) => r.carried_password && r !== tokens[0]).map((r) => r.path);
            check(elsewhere.length === 0, `the password also went to ${elsewhere}`);
            return logged.length;
        };

        await this.run(PERSONAL_USER, async () => {
            const app = this.publicApp();
            await this.clearRequests();
            const mark = WIRE.mark();
            let err;
            try {
                await Conformance.signIn(app, PERSONAL_USER);
            } catch (caught) {
                err = caught;
            }
            const detail = this.expectError(err, mark, { code: 50034, error: "invalid_grant" });
            const count = await directOnly(PERSONAL_USER);
            return `${detail}: MSAL Node posted the password to the token endpoint (no user realm discovery; ${count} requests)`;
        });

        // Entra does not check a federated user's password with the federation service on
        // a password grant (Microsoft's ROPC page: not supported for users federated to an
        // on-premises identity provider), so MSAL Node, which has no WS-Trust, gets 50126.
        await this.run(FEDUSER, async () => {
            const app = this.publicApp();
            await this.clearRequests();
            const mark = WIRE.mark();
            let err;
            try {
                await Conformance.signIn(app, FEDUSER);
            } catch (caught) {
                err = caught;
            }
            const detail = this.expectError(err, mark, { code: 50126, error: "invalid_grant" });
            const count = await directOnly(FEDUSER);
            return `${detail}: MSAL Node posted the password to the token endpoint, no user realm, MEX or WS-Trust (${count} requests)`;
        });

        await this.b2cCases();

        await this.run("every request stayed on mock-idp", async () => {
            check(WIRE.refused.length === 0, `MSAL Node tried to reach ${[...new Set(WIRE.refused)].join(", ")}`);
            const expected = [this.host, this.b2cHost];
            check(
                WIRE.hosts.size === expected.length && expected.every((host) => WIRE.hosts.has(host)),
                `MSAL Node sent requests to ${[...WIRE.hosts].join(", ")}`,
            );
            return `${WIRE.sent.length} requests, all to ${expected.join(" and ")} (mock-idp)`;
        });
    }

    // --- Azure AD B2C through `knownAuthorities` ----------------------------------

    /** `contosob2c.b2clogin.com:{mock-idp's port}`. */
    get b2cHost() {
        return `${B2C_HOST}:${new URL(BASE_URL).port}`;
    }

    b2cApp(clientId = B2C_APP, policy = B2C_POLICY) {
        return new msal.PublicClientApplication({
            auth: {
                clientId,
                authority: `https://${this.b2cHost}/${B2C_DOMAIN}/${policy}`,
                // MSAL Node's way to trust a B2C authority: no instance discovery, the
                // endpoints from the user flow's OpenID configuration.
                knownAuthorities: [this.b2cHost],
            },
        });
    }

    /** B2C's error shape: `error` and an `error_description` opening with the code. */
    expectB2cError(err, mark, { error, code, status = 400 }) {
        check(err !== undefined, `expected ${code}, got tokens`);
        check(err instanceof msal.AuthError, `expected an AuthError, got ${describeError(err)}`);
        check(err.errorCode === error, `expected error ${error}, got ${describeError(err)}`);
        check((err.errorMessage || "").includes(`${code}:`), `errorMessage lacks ${code}: ${describeError(err)}`);
        const posts = WIRE.tokenPosts(mark);
        check(posts.length === 1, `expected one token POST, got ${posts.length}`);
        const post = posts[0];
        check(post.status === status, `expected HTTP ${status}, got ${post.status}`);
        check(
            post.url.pathname === `/${B2C_DOMAIN}/${B2C_POLICY.toLowerCase()}${TOKEN_PATH_SUFFIX}`,
            `token endpoint ${post.url.pathname}`,
        );
        const body = post.body || {};
        check(body.error === error, `body error ${body.error}`);
        check((body.error_description || "").startsWith(`${code}: `), `error_description does not start with ${code}:`);
        check(body.error_codes === undefined, `B2C body carries error_codes ${JSON.stringify(body.error_codes)}`);
        return `${error} ${code} (HTTP ${status}, ${err.name})`;
    }

    async b2cCases() {
        await this.run(`B2C ${B2C_USER} (${B2C_HOST}, knownAuthorities)`, async () => {
            const app = this.b2cApp();
            await this.clearRequests();
            const mark = WIRE.mark();
            const result = await Conformance.signIn(app, B2C_USER, PASSWORD, B2C_SCOPES);
            check(result && result.accessToken, `expected tokens, got ${JSON.stringify(result)}`);
            check(result.fromCache === false, `fromCache ${result.fromCache} on sign-in`);
            const posts = WIRE.tokenPosts(mark);
            check(posts.length === 1 && posts[0].status === 200, `token POSTs ${JSON.stringify(posts.map((p) => p.status))}`);
            check(posts[0].form.get("grant_type") === "password", `grant_type ${posts[0].form.get("grant_type")}`);
            check(
                posts[0].url.pathname === `/${B2C_DOMAIN}/${B2C_POLICY.toLowerCase()}${TOKEN_PATH_SUFFIX}`,
                `token endpoint ${posts[0].url.pathname}`,
            );
            const body = posts[0].body || {};
            check(body.refresh_token, "no refresh_token in the response");
            const claims = result.idTokenClaims || {};
            const expected = {
                aud: B2C_APP,
                oid: B2C_USER_OID,
                tfp: B2C_POLICY,
                acr: B2C_POLICY.toLowerCase(),
                iss: `https://${this.b2cHost}/${B2C_TENANT}/v2.0/`,
            };
            for (const [claim, value] of Object.entries(expected)) {
                check(claims[claim] === value, `id token ${claim} ${claims[claim]}, expected ${value}`);
            }
            check((claims.emails || []).includes(B2C_USER), `id token emails ${JSON.stringify(claims.emails)}`);
            check(body.client_info, "no client_info in the response");
            const info = decodeBase64Url(body.client_info);
            const uid = `${B2C_USER_OID}-${B2C_POLICY.toLowerCase()}`;
            check(info.uid === uid && info.utid === B2C_TENANT, `client_info ${JSON.stringify(info)}`);
            const account = result.account || {};
            check(account.homeAccountId === `${uid}.${B2C_TENANT}`, `homeAccountId ${account.homeAccountId}`);
            check(account.environment === this.b2cHost, `account environment ${account.environment}`);
            const logged = await this.recordedRequests();
            const carried = logged.filter((r) => r.carried_password).map((r) => r.path);
            check(
                carried.length === 1 && carried[0].endsWith(TOKEN_PATH_SUFFIX),
                `the password went to ${JSON.stringify(carried)}`,
            );
            check(
                !logged.some((r) => r.path.endsWith("/discovery/instance")),
                "MSAL Node asked instance discovery for a known authority",
            );
            // MSAL Node 7.2 names a B2C account by `emails[0]` in its cache, but the
            // account getAllAccounts returns comes from the tenant profile (tenant = the
            // `tfp` claim, as B2C tokens carry no `tid`), whose username it takes only
            // from `preferred_username` or `upn`: empty for a B2C local account.
            const stored = Object.values(JSON.parse(app.getTokenCache().serialize()).Account || {});
            check(
                stored.length === 1 && stored[0].username === B2C_USER && stored[0].realm === B2C_TENANT,
                `cached account ${JSON.stringify(stored.map((a) => [a.username, a.realm]))}`,
            );
            const detail = await this.expectSilentFromCacheThenRefresh(app, result, "", B2C_SCOPES);
            const refresh = WIRE.tokenPosts(mark).at(-1);
            check(
                refresh.url.pathname === posts[0].url.pathname,
                `the refresh went to ${refresh.url.pathname}, not the user flow's token endpoint`,
            );
            return `${detail} (account ${account.homeAccountId}, environment ${account.environment}, tenantId ${account.tenantId})`;
        });

        const refused = (username, expected, options = {}) => async () => {
            const { password = PASSWORD, clientId = B2C_APP } = options;
            const app = this.b2cApp(clientId);
            const mark = WIRE.mark();
            let err;
            try {
                await Conformance.signIn(app, username, password, [clientId]);
            } catch (caught) {
                err = caught;
            }
            return this.expectB2cError(err, mark, expected);
        };
        const wrong = { error: "access_denied", code: "AADB2C90225" };
        const rows = [
            [`B2C ${B2C_USER} wrong password`, refused(B2C_USER, wrong, { password: "not-the-password" })],
            ["B2C unknown user", refused(`nobody@${B2C_DOMAIN}`, wrong)],
            [`B2C ${B2C_LOCKED} (locked)`, refused(B2C_LOCKED, wrong)],
            [`B2C ${B2C_DISABLED} (disabled)`, refused(B2C_DISABLED, wrong)],
            [
                "B2C with Contoso B2C Web (app not allowed the flow)",
                refused(B2C_USER, { error: "unauthorized_client", code: "AADB2C90057" }, { clientId: B2C_WEB }),
            ],
            [
                "B2C with Contoso CLI (an app of another tenant)",
                refused(B2C_USER, { error: "invalid_request", code: "AADB2C90018" }, { clientId: CONTOSO_CLI }),
            ],
        ];
        for (const [name, body] of rows) {
            await this.run(name, body);
        }

        await this.run("B2C unknown policy", async () => {
            const app = this.b2cApp(B2C_APP, "B2C_1_Unknown");
            await this.clearRequests();
            let err;
            try {
                await Conformance.signIn(app, B2C_USER, PASSWORD, B2C_SCOPES);
            } catch (caught) {
                err = caught;
            }
            check(err instanceof msal.AuthError, `expected an AuthError, got ${err ? describeError(err) : "tokens"}`);
            const logged = await this.recordedRequests();
            check(!logged.some((r) => r.carried_password), "the password was sent");
            const discovery = logged.filter((r) => r.path.endsWith("/.well-known/openid-configuration"));
            check(
                discovery.length >= 1 && discovery.every((r) => r.status === 404),
                `OpenID configuration answered ${JSON.stringify(discovery.map((r) => r.status))}`,
            );
            return `${describeError(err)}; OpenID configuration 404 (AADB2C90022), no password sent`;
        });
    }
}

async function main() {
    if (msal.version !== PINNED) {
        process.stdout.write(`note: running MSAL Node ${msal.version}, the conformance target is ${PINNED}\n`);
    }
    try {
        const probe = await WIRE.realFetch(`${BASE_URL}/organizations/v2.0/.well-known/openid-configuration`);
        if (probe.status !== 200) {
            process.stderr.write(`mock-idp discovery answered ${probe.status}\n`);
        }
    } catch (err) {
        process.stderr.write(`cannot reach mock-idp at ${BASE_URL}: ${err.cause?.message || err.message}\n`);
        return 2;
    }
    const conformance = new Conformance();
    await conformance.allCases();
    process.stdout.write(`msal-node: ${conformance.passed} passed, ${conformance.failed} failed\n`);
    return conformance.failed ? 1 : 0;
}

process.exitCode = await main();
