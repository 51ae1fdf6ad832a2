#!/usr/bin/env node
// The MSAL Node (@azure/msal-node, the version pinned for the conformance check) side of
// `cargo xtask bench`.
//
// Each subcommand runs one scenario and prints one JSON object per measurement on its own
// stdout line, in the same shape as the Rust side (`entra-bench`) and msal_bench.py:
//
//     msal_bench.mjs silent   --cache FILE --probes FILE [--calls N] [--warmup N]
//     msal_bench.mjs accounts --cache FILE --probes FILE [--calls N]
//     msal_bench.mjs serde    --cache FILE [--rounds N]
//
// Every subcommand takes `--modules DIR`, the `node_modules` holding @azure/msal-node
// (default: mock-idp/conformance/msal-node/node_modules, where `cargo xtask` installs it).
//
// - silent: loads the cache file once with `tokenCache.deserialize`, then times each
//   `acquireTokenSilent` (after untimed warm-up calls) cycling over the accounts named in
//   the probe file, and checks every result's `fromCache`. The application's network
//   client answers OIDC discovery only and fails on anything else. Also reports the
//   process's peak resident memory (VmHWM) after the first hit.
// - accounts: loads the cache once, then times `getAllAccounts` and checks it lists
//   every account (up to 1k accounts, and fewer calls than asked where the first call
//   says they would take over 20 s: see LISTING_LIMIT).
// - serde: times `tokenCache.deserialize` and `serialize` on the file's contents, a fresh
//   application each round.
//
// MSAL Node takes the whole cache as one JavaScript string, and V8 caps a string's length
// (`buffer.constants.MAX_STRING_LENGTH`, 512 MiB on 64-bit): a larger file cannot be
// loaded at all. Then the measurement line says `skipped` and why, and the exit status is
// still 0.

import { readFileSync, statSync } from "node:fs";
import { constants as bufferConstants } from "node:buffer";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const LIBRARY = "msal-node";
const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODULES = resolve(HERE, "..", "..", "mock-idp", "conformance", "msal-node", "node_modules");

function emit(measurement) {
    process.stdout.write(JSON.stringify(measurement) + "\n");
}

function fail(problem) {
    process.stderr.write(`msal_bench.mjs: ${problem}\n`);
    process.exit(1);
}

/** Median, 10th and 90th percentile by nearest rank (as the Rust side). */
function spread(samples) {
    if (samples.length === 0) {
        return [0, 0, 0];
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const last = sorted.length - 1;
    const rank = (pct) => sorted[Math.floor((last * pct + 50) / 100)];
    return [rank(50), rank(10), rank(90)];
}

/** Nanoseconds since an arbitrary origin, as a Number. */
function clock() {
    return Number(process.hrtime.bigint());
}

/** VmHWM of this process in KiB (Linux), or null. */
function peakMemoryKib() {
    try {
        const status = readFileSync("/proc/self/status", "utf8");
        const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
        return match ? Number(match[1]) : null;
    } catch {
        return null;
    }
}

function loadMsal(modules) {
    const require = createRequire(pathToFileURL(join(modules, "..", "package.json")));
    let msal;
    try {
        msal = require("@azure/msal-node");
    } catch (err) {
        fail(`cannot load @azure/msal-node from ${modules} (${err.message}); ` +
            "run `npm ci` in mock-idp/conformance/msal-node");
    }
    const manifest = JSON.parse(readFileSync(join(modules, "@azure", "msal-node", "package.json"), "utf8"));
    return { msal, version: manifest.version };
}

/**
 * The cache file's text, or null when it is longer than a V8 string can be (then MSAL
 * Node cannot take it).
 */
function readCache(path) {
    const bytes = statSync(path).size;
    if (bytes > bufferConstants.MAX_STRING_LENGTH) {
        return { text: null, bytes };
    }
    return { text: readFileSync(path, "utf8"), bytes };
}

function skipped(scenario, accounts, bytes) {
    const mib = (n) => (n / 1048576).toFixed(0);
    emit({
        scenario, library: LIBRARY, accounts,
        skipped: `the cache file is ${mib(bytes)} MiB; MSAL Node's tokenCache.deserialize ` +
            `takes one string, and a V8 string holds at most ` +
            `${mib(bufferConstants.MAX_STRING_LENGTH)} MiB`,
    });
}

/** Answers OIDC discovery for the authority; any other request is an error. */
class OfflineEntra {
    constructor(environment, tenant) {
        this.base = `https://${environment}/${tenant}`;
    }

    async sendGetRequestAsync(url) {
        if (url.includes("/.well-known/openid-configuration")) {
            return {
                status: 200,
                headers: {},
                body: {
                    authorization_endpoint: `${this.base}/oauth2/v2.0/authorize`,
                    token_endpoint: `${this.base}/oauth2/v2.0/token`,
                    end_session_endpoint: `${this.base}/oauth2/v2.0/logout`,
                    issuer: `${this.base}/v2.0`,
                    jwks_uri: `${this.base}/discovery/v2.0/keys`,
                },
            };
        }
        throw new Error(`unexpected GET ${url}`);
    }

    async sendPostRequestAsync(url) {
        throw new Error(`unexpected POST ${url}: the cache did not serve the call`);
    }
}

function application(msal, probes) {
    return new msal.PublicClientApplication({
        auth: {
            clientId: probes.client_id,
            authority: `https://${probes.environment}/${probes.tenant}`,
        },
        system: { networkClient: new OfflineEntra(probes.environment, probes.tenant) },
    });
}

function readProbes(path) {
    return JSON.parse(readFileSync(path, "utf8"));
}

/**
 * The probed accounts as MSAL Node's `AccountInfo`, built from the cache file's account
 * entries (as an application that kept them would). Not through `getAllAccounts`: its
 * time grows with the square of the accounts (see `cmdAccounts`).
 */
function probedAccounts(text, probes, path) {
    const entries = new Map(Object.values(JSON.parse(text).Account || {})
        .map((entry) => [entry.home_account_id, entry]));
    return probes.home_account_ids.map((id) => {
        const entry = entries.get(id);
        if (!entry) {
            fail(`account ${id} is not in ${path}`);
        }
        return {
            homeAccountId: entry.home_account_id,
            environment: entry.environment,
            tenantId: entry.realm,
            username: entry.username,
            localAccountId: entry.local_account_id,
            name: entry.name,
        };
    });
}

async function cmdSilent(msal, args) {
    const probes = readProbes(args.probes);
    const { text, bytes } = readCache(args.cache);
    if (text === null) {
        skipped("silent", probes.accounts, bytes);
        return;
    }
    const app = application(msal, probes);
    const started = clock();
    app.getTokenCache().deserialize(text);
    const loadMs = (clock() - started) / 1e6;
    const accounts = probedAccounts(text, probes, args.cache);
    const scopes = [probes.scope];
    const silent = async (account) => {
        const result = await app.acquireTokenSilent({ account, scopes });
        if (!result || !result.accessToken || result.fromCache !== true) {
            fail(`silent call not served from the cache: ${JSON.stringify(result && { fromCache: result.fromCache })}`);
        }
    };
    await silent(accounts[0]);
    const peakKib = peakMemoryKib();
    for (let i = 0; i < args.warmup; i++) {
        await silent(accounts[i % accounts.length]);
    }
    const samples = [];
    for (let i = 0; i < args.calls; i++) {
        const account = accounts[i % accounts.length];
        const begin = clock();
        const result = await app.acquireTokenSilent({ account, scopes });
        const elapsed = clock() - begin;
        if (!result || result.fromCache !== true) {
            fail("a silent call was not served from the cache");
        }
        samples.push(elapsed);
    }
    const [median, p10, p90] = spread(samples);
    emit({
        scenario: "silent", library: LIBRARY, accounts: probes.accounts,
        calls: samples.length, median_ns: median, p10_ns: p10, p90_ns: p90,
        load_ms: loadMs, peak_kib: peakKib,
    });
}

/**
 * MSAL Node's `getAllAccounts` lists the keys of the whole cache and scans them for each
 * account's id token, so a call's time grows with the square of the accounts (seconds
 * at 1k accounts): larger caches are not listed.
 */
const LISTING_LIMIT = 1000;
/** About how long the timed listings of one run may take, in nanoseconds. */
const LISTING_BUDGET_NS = 20e9;

async function cmdAccounts(msal, args) {
    const probes = readProbes(args.probes);
    if (probes.accounts > LISTING_LIMIT) {
        emit({
            scenario: "accounts", library: LIBRARY, accounts: probes.accounts,
            skipped: `not run above ${LISTING_LIMIT} accounts: getAllAccounts scans the ` +
                "whole cache for each account's id token, so a call's time grows with the " +
                "square of the accounts (seconds a call at 1k)",
        });
        return;
    }
    const { text, bytes } = readCache(args.cache);
    if (text === null) {
        skipped("accounts", probes.accounts, bytes);
        return;
    }
    const app = application(msal, probes);
    app.getTokenCache().deserialize(text);
    const first = clock();
    const listed = (await app.getAllAccounts()).length;
    const firstNs = clock() - first;
    if (listed !== probes.accounts) {
        fail(`getAllAccounts listed ${listed} accounts, the cache holds ${probes.accounts}`);
    }
    // At 1k accounts a call takes seconds: fewer calls (at least 3) within the budget.
    const calls = Math.min(args.calls, Math.max(3, Math.floor(LISTING_BUDGET_NS / Math.max(firstNs, 1))));
    const samples = [];
    for (let i = 0; i < calls; i++) {
        const begin = clock();
        const accounts = await app.getAllAccounts();
        const elapsed = clock() - begin;
        if (accounts.length !== listed) {
            fail(`getAllAccounts listed ${accounts.length} accounts, then ${listed}`);
        }
        samples.push(elapsed);
    }
    const [median, p10, p90] = spread(samples);
    emit({
        scenario: "accounts", library: LIBRARY, accounts: probes.accounts,
        calls: samples.length, median_ns: median, p10_ns: p10, p90_ns: p90,
    });
}

async function cmdSerde(msal, args) {
    const { text, bytes } = readCache(args.cache);
    if (text === null) {
        skipped("deserialize", null, bytes);
        skipped("serialize", null, bytes);
        return;
    }
    const accounts = Object.keys(JSON.parse(text).Account || {}).length;
    const deserialize = [];
    const serialize = [];
    let length = 0;
    for (let round = 0; round < Math.max(args.rounds, 1); round++) {
        const app = new msal.PublicClientApplication({ auth: { clientId: "bench" } });
        const cache = app.getTokenCache();
        let begin = clock();
        cache.deserialize(text);
        deserialize.push(clock() - begin);
        begin = clock();
        const out = cache.serialize();
        serialize.push(clock() - begin);
        length = Buffer.byteLength(out, "utf8");
    }
    for (const [scenario, samples, size] of [["deserialize", deserialize, bytes], ["serialize", serialize, length]]) {
        const [median, p10, p90] = spread(samples);
        emit({
            scenario, library: LIBRARY, accounts, bytes: size,
            rounds: samples.length, median_ns: median, p10_ns: p10, p90_ns: p90,
        });
    }
}

async function main() {
    const [command, ...rest] = process.argv.slice(2);
    const { values } = parseArgs({
        args: rest,
        options: {
            cache: { type: "string" },
            probes: { type: "string" },
            calls: { type: "string", default: "2000" },
            warmup: { type: "string", default: "200" },
            rounds: { type: "string", default: "5" },
            modules: { type: "string", default: DEFAULT_MODULES },
        },
    });
    const args = {
        cache: values.cache,
        probes: values.probes,
        calls: Number(values.calls),
        warmup: Number(values.warmup),
        rounds: Number(values.rounds),
    };
    const commands = { silent: cmdSilent, accounts: cmdAccounts, serde: cmdSerde };
    if (!commands[command] || !args.cache || (command !== "serde" && !args.probes)) {
        process.stderr.write("usage: msal_bench.mjs silent|accounts|serde --cache FILE [--probes FILE] ...\n");
        process.exit(2);
    }
    const { msal, version } = loadMsal(values.modules);
    if (!version.startsWith("7.")) {
        process.stderr.write(`msal_bench.mjs: expected @azure/msal-node 7, found ${version}\n`);
    }
    await commands[command](msal, args);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
