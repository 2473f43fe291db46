// Tests of the alert relay with node's built-in runner (`node --test`), no packages.
// The Worker module runs unchanged: Node 20 has the same Request, Response and
// Web Crypto globals as the Workers runtime.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";

import relay, {
  escapeSlack,
  formatCloudflare,
  formatVercel,
  handle,
  hmacSha1Hex,
  timingSafeEqual,
  validSecrets,
} from "../src/relay.js";

// Canary values: a test fails if any of them leaks into an answer.
const SLACK_URL = "https://hooks.slack.com/services/TCANARY/BCANARY/canary-slack-4f1d9a7c";
const CF_SECRET = "canary-cloudflare-secret-8e21";
const VERCEL_SECRETS = ["canary-vercel-secret-deployments-11aa", "canary-vercel-secret-alerts-22bb"];
const SENTRY_TOKEN = "canary-sentry-token-93cf";
const SECRETS = [SLACK_URL, CF_SECRET, ...VERCEL_SECRETS, SENTRY_TOKEN];

/** A keyring binding as providers/keyring writes it: the current secret, then the previous one. */
function keyring(current, previous = null, notAfter = null) {
  const entries = [{ secret: current, notAfter: null }];
  if (previous !== null) entries.push({ secret: previous, notAfter });
  return JSON.stringify(entries);
}

function environment(overrides = {}) {
  return {
    SLACK_WEBHOOK_URL: SLACK_URL,
    CLOUDFLARE_WEBHOOK_SECRETS: keyring(CF_SECRET),
    VERCEL_WEBHOOK_SECRETS: JSON.stringify(VERCEL_SECRETS.map((secret) => ({ secret, notAfter: null }))),
    SENTRY_WEBHOOK_TOKENS: keyring(SENTRY_TOKEN),
    ENVIRONMENT: "production",
    PROJECTS: JSON.stringify(["gstarlink-handbook-public", "talkline"]),
    ...overrides,
  };
}

/** A Slack stand-in that records what it was sent and answers `status`. */
function slack(status = 200) {
  const sent = [];
  const post = async (url, payload) => {
    sent.push({ url, payload });
    return status;
  };
  return { sent, post };
}

function request(path, { method = "POST", body = "", headers = {} } = {}) {
  const init = { method, headers };
  if (method !== "GET" && method !== "HEAD") init.body = body;
  return new Request(`https://alerts.example.com${path}`, init);
}

async function call(req, env = environment(), post = slack().post) {
  const response = await handle(req, env, post);
  const text = await response.text();
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `answer ${response.status} leaks a secret`);
  }
  return { status: response.status, text };
}

function vercelRequest(event, secret = VERCEL_SECRETS[0]) {
  const body = JSON.stringify(event);
  const signature = createHmac("sha1", secret).update(body).digest("hex");
  return request("/vercel", { body, headers: { "x-vercel-signature": signature, "content-type": "application/json" } });
}

const PAGES_FAILURE = {
  name: "estate: Pages deployment failed (production)",
  text: "Deployment of gstarlink-handbook-public failed",
  data: { project_name: "gstarlink-handbook-public", environment: "ENVIRONMENT_PRODUCTION" },
  ts: 1760000000,
  account_id: "5f1c0a8e9b2d4c6e8a0b1c2d3e4f5a6b",
  policy_name: "estate: Pages deployment failed (production)",
  alert_type: "pages_event_alert",
};

const DEPLOYMENT_ERROR = {
  id: "evt_1",
  type: "deployment.error",
  createdAt: 1760000000000,
  payload: {
    deployment: {
      id: "dpl_1",
      name: "talkline",
      url: "talkline-abc.vercel.app",
      meta: { githubCommitRef: "main", githubCommitMessage: "Fix <checkout> & pay\nmore" },
    },
    project: { id: "prj_1" },
    target: "production",
    links: { deployment: "https://vercel.com/fancrush/talkline/dpl_1", project: "https://vercel.com/fancrush/talkline" },
  },
};

describe("routes", () => {
  it("answers the health probe without any binding", async () => {
    const { status, text } = await call(request("/health", { method: "GET" }), {});
    assert.equal(status, 200);
    assert.equal(text.trim(), "ok");
  });

  it("refuses unknown paths and wrong methods", async () => {
    assert.equal((await call(request("/nope"))).status, 404);
    assert.equal((await call(request("/cloudflare", { method: "GET" }))).status, 405);
    assert.equal((await call(request("/health"))).status, 405);
  });

  it("is the Worker's fetch handler", async () => {
    const response = await relay.fetch(request("/health", { method: "GET" }), {});
    assert.equal(response.status, 200);
  });

  it("names a missing binding without showing any value", async () => {
    const env = environment({ CLOUDFLARE_WEBHOOK_SECRETS: "" });
    const { status, text } = await call(
      request("/cloudflare", { body: JSON.stringify(PAGES_FAILURE), headers: { "cf-webhook-auth": CF_SECRET } }),
      env,
    );
    assert.equal(status, 500);
    assert.match(text, /CLOUDFLARE_WEBHOOK_SECRETS/);
  });

  it("refuses a body over the limit before reading it", async () => {
    const { status } = await call(
      request("/cloudflare", { body: "x", headers: { "cf-webhook-auth": CF_SECRET, "content-length": "999999" } }),
    );
    assert.equal(status, 413);
  });
});

describe("cloudflare", () => {
  const body = JSON.stringify(PAGES_FAILURE);

  it("posts an authenticated notification with the environment label", async () => {
    const slackStub = slack();
    const { status } = await call(
      request("/cloudflare", { body, headers: { "cf-webhook-auth": CF_SECRET } }),
      environment(),
      slackStub.post,
    );
    assert.equal(status, 200);
    assert.equal(slackStub.sent.length, 1);
    assert.equal(slackStub.sent[0].url, SLACK_URL);
    const text = slackStub.sent[0].payload.text;
    assert.match(text, /^\*\[production\]\* :rotating_light: Cloudflare · estate: Pages deployment failed/);
    assert.match(text, /project `gstarlink-handbook-public`/);
  });

  for (const [label, headers] of [
    ["no header", {}],
    ["a wrong secret", { "cf-webhook-auth": "guess" }],
    ["the secret with a suffix", { "cf-webhook-auth": `${CF_SECRET}x` }],
  ]) {
    it(`refuses ${label}`, async () => {
      const slackStub = slack();
      const { status } = await call(request("/cloudflare", { body, headers }), environment(), slackStub.post);
      assert.equal(status, 401);
      assert.equal(slackStub.sent.length, 0);
    });
  }

  it("drops a Pages event of a project another stack owns", async () => {
    const other = { ...PAGES_FAILURE, data: { project_name: "gstarlink-handbook-public-staging" } };
    const slackStub = slack();
    const { status } = await call(
      request("/cloudflare", { body: JSON.stringify(other), headers: { "cf-webhook-auth": CF_SECRET } }),
      environment(),
      slackStub.post,
    );
    assert.equal(status, 202);
    assert.equal(slackStub.sent.length, 0);
  });

  it("posts a Pages event that names no project rather than lose it", async () => {
    const unnamed = { ...PAGES_FAILURE, data: {} };
    const slackStub = slack();
    const { status } = await call(
      request("/cloudflare", { body: JSON.stringify(unnamed), headers: { "cf-webhook-auth": CF_SECRET } }),
      environment(),
      slackStub.post,
    );
    assert.equal(status, 200);
    assert.equal(slackStub.sent.length, 1);
  });

  it("refuses a body that is not a JSON object", async () => {
    for (const bad of ["not json", "[1, 2]", "null"]) {
      const { status } = await call(request("/cloudflare", { body: bad, headers: { "cf-webhook-auth": CF_SECRET } }));
      assert.equal(status, 400, bad);
    }
  });

  it("reports a Slack refusal as 502 so Cloudflare retries", async () => {
    const { status, text } = await call(
      request("/cloudflare", { body, headers: { "cf-webhook-auth": CF_SECRET } }),
      environment(),
      slack(500).post,
    );
    assert.equal(status, 502);
    assert.match(text, /status 500/);
  });

  it("reports an unreachable Slack as 502", async () => {
    const failing = async () => {
      throw new Error(`connect failed to ${SLACK_URL}`);
    };
    const { status } = await call(
      request("/cloudflare", { body, headers: { "cf-webhook-auth": CF_SECRET } }),
      environment(),
      failing,
    );
    assert.equal(status, 502);
  });

  it("formats a zone alert without a project", () => {
    const message = formatCloudflare({ name: "SSL", text: "Certificate <expiring>", alert_type: "universal_ssl_event_type" });
    assert.equal(message.project, null);
    assert.match(message.text, /Certificate &lt;expiring&gt;/);
  });
});

describe("vercel", () => {
  it("posts a deployment failure signed with the first secret", async () => {
    const slackStub = slack();
    const { status } = await call(vercelRequest(DEPLOYMENT_ERROR), environment(), slackStub.post);
    assert.equal(status, 200);
    const text = slackStub.sent[0].payload.text;
    assert.match(text, /Vercel · deployment failed · `talkline`/);
    assert.match(text, /target production · branch main/);
    assert.match(text, /Fix &lt;checkout&gt; &amp; pay/);
    assert.ok(!text.includes("more"), "only the first line of the commit message");
    assert.match(text, /<https:\/\/vercel\.com\/fancrush\/talkline\/dpl_1\|Open in Vercel>/);
  });

  it("accepts the signature of any configured webhook secret", async () => {
    const { status } = await call(vercelRequest(DEPLOYMENT_ERROR, VERCEL_SECRETS[1]));
    assert.equal(status, 200);
  });

  it("refuses a wrong signature, a missing one and a changed body", async () => {
    assert.equal((await call(vercelRequest(DEPLOYMENT_ERROR, "another-secret"))).status, 401);
    const unsigned = request("/vercel", { body: JSON.stringify(DEPLOYMENT_ERROR) });
    assert.equal((await call(unsigned)).status, 401);
    const signed = vercelRequest(DEPLOYMENT_ERROR);
    const tampered = request("/vercel", {
      body: JSON.stringify({ ...DEPLOYMENT_ERROR, type: "deployment.succeeded" }),
      headers: { "x-vercel-signature": signed.headers.get("x-vercel-signature") },
    });
    assert.equal((await call(tampered)).status, 401);
  });

  it("refuses everything when the secrets binding is not a JSON list", async () => {
    const { status } = await call(vercelRequest(DEPLOYMENT_ERROR), environment({ VERCEL_WEBHOOK_SECRETS: "oops" }));
    assert.equal(status, 401);
  });

  it("drops an alert about another stack's project", async () => {
    const alert = { type: "alerts.triggered", payload: { project: { name: "talkline-staging" }, alert: { title: "5xx" } } };
    const slackStub = slack();
    const { status } = await call(vercelRequest(alert), environment(), slackStub.post);
    assert.equal(status, 202);
    assert.equal(slackStub.sent.length, 0);
  });

  it("never links to anything but https", () => {
    const message = formatVercel({ type: "deployment.error", payload: { links: { deployment: "javascript:alert(1)" } } });
    assert.ok(!message.text.includes("javascript:"));
  });

  it("computes the signature Vercel sends", async () => {
    const body = new TextEncoder().encode('{"a":1}');
    assert.equal(await hmacSha1Hex("s3cret", body), createHmac("sha1", "s3cret").update('{"a":1}').digest("hex"));
  });
});

describe("sentry", () => {
  const issue = {
    project_name: "talkline",
    level: "error",
    message: "TypeError: cannot read properties of undefined",
    url: "https://fancrush.sentry.io/issues/1/",
    triggering_rules: ["estate: error spike (production)"],
  };

  it("posts an issue sent to the secret path", async () => {
    const slackStub = slack();
    const { status } = await call(
      request(`/sentry/${SENTRY_TOKEN}`, { body: JSON.stringify(issue) }),
      environment(),
      slackStub.post,
    );
    assert.equal(status, 200);
    const text = slackStub.sent[0].payload.text;
    assert.match(text, /Sentry · error · `talkline`/);
    assert.match(text, /rule: estate: error spike \(production\)/);
    assert.match(text, /<https:\/\/fancrush\.sentry\.io\/issues\/1\/\|Open in Sentry>/);
  });

  it("refuses a wrong or malformed token", async () => {
    for (const token of ["guess", "%E0%A4%A", `${SENTRY_TOKEN}0`]) {
      const { status } = await call(request(`/sentry/${token}`, { body: JSON.stringify(issue) }));
      assert.equal(status, 401, token);
    }
  });
});

describe("helpers", () => {
  it("compares in constant time and correctly", async () => {
    assert.equal(await timingSafeEqual("abc", "abc"), true);
    assert.equal(await timingSafeEqual("abc", "abd"), false);
    assert.equal(await timingSafeEqual("abc", "abcd"), false);
    assert.equal(await timingSafeEqual("", "abc"), false);
    assert.equal(await timingSafeEqual(undefined, "abc"), false);
  });

  it("escapes Slack markup and shortens long fields", () => {
    assert.equal(escapeSlack("<a> & <b>"), "&lt;a&gt; &amp; &lt;b&gt;");
    assert.ok(escapeSlack("x".repeat(5000)).length < 1600);
  });
});

describe("rotation: the previous secret until its notAfter", () => {
  const OLD_CF = "canary-cloudflare-previous-5a1c";
  const OLD_VERCEL = "canary-vercel-previous-6b2d";
  const OLD_SENTRY = "canary-sentry-previous-7c3e";
  const NOT_AFTER = "2026-04-15T00:00:00Z";
  const BEFORE = Date.parse(NOT_AFTER) - 1000;
  const AFTER = Date.parse(NOT_AFTER);
  const rotated = () =>
    environment({
      CLOUDFLARE_WEBHOOK_SECRETS: keyring(CF_SECRET, OLD_CF, NOT_AFTER),
      VERCEL_WEBHOOK_SECRETS: keyring(VERCEL_SECRETS[0], OLD_VERCEL, NOT_AFTER),
      SENTRY_WEBHOOK_TOKENS: keyring(SENTRY_TOKEN, OLD_SENTRY, NOT_AFTER),
    });
  const senders = (secrets) => [
    ["cloudflare", () => request("/cloudflare", { body: JSON.stringify(PAGES_FAILURE), headers: { "cf-webhook-auth": secrets.cf } })],
    ["vercel", () => vercelRequest(DEPLOYMENT_ERROR, secrets.vercel)],
    ["sentry", () => request(`/sentry/${secrets.sentry}`, { body: JSON.stringify({ project_name: "talkline", message: "boom" }) })],
  ];

  it("accepts the current secrets at any time", async () => {
    for (const [route, make] of senders({ cf: CF_SECRET, vercel: VERCEL_SECRETS[0], sentry: SENTRY_TOKEN })) {
      const response = await handle(make(), rotated(), slack().post, AFTER + 86400000 * 365);
      assert.equal(response.status, 200, route);
    }
  });

  it("accepts the previous secrets until notAfter and refuses them from then on", async () => {
    for (const [route, make] of senders({ cf: OLD_CF, vercel: OLD_VERCEL, sentry: OLD_SENTRY })) {
      assert.equal((await handle(make(), rotated(), slack().post, BEFORE)).status, 200, `${route} before notAfter`);
      const late = await handle(make(), rotated(), slack().post, AFTER);
      assert.equal(late.status, 401, `${route} at notAfter`);
      const text = await late.text();
      for (const secret of [...SECRETS, OLD_CF, OLD_VERCEL, OLD_SENTRY]) assert.ok(!text.includes(secret));
    }
  });

  it("reads keyrings defensively", () => {
    assert.deepEqual(validSecrets(keyring("a", "b", NOT_AFTER), BEFORE), ["a", "b"]);
    assert.deepEqual(validSecrets(keyring("a", "b", NOT_AFTER), AFTER), ["a"]);
    assert.deepEqual(validSecrets(keyring("a", "b", "not a date"), BEFORE), ["a"]);
    assert.deepEqual(validSecrets(JSON.stringify(["plain", "", { secret: "" }, null, 3]), AFTER), ["plain"]);
    assert.deepEqual(validSecrets("not json", BEFORE), []);
    assert.deepEqual(validSecrets(JSON.stringify({ secret: "a" }), BEFORE), []);
  });
});
