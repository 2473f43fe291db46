// The estate's alert relay: a Cloudflare Worker that receives the webhooks of the
// providers whose payloads Slack cannot take, checks who sent each one, and posts
// one readable message to the stack's Slack channel (an incoming webhook).
//
// Routes
//   POST /cloudflare      Cloudflare notification webhook; `cf-webhook-auth` must equal a
//                         valid secret of CLOUDFLARE_WEBHOOK_SECRETS.
//   POST /vercel          Vercel account webhook; `x-vercel-signature` must be the
//                         HMAC-SHA1 (hex) of the raw body under a valid secret of VERCEL_WEBHOOK_SECRETS.
//   POST /sentry/<token>  Sentry's WebHooks plugin, which signs nothing: the secret is
//                         the path token, a valid secret of SENTRY_WEBHOOK_TOKENS.
//   GET  /health          Liveness, for probes; reveals nothing.
//
// Bindings (set by the stack, components/alert_relay.py)
//   SLACK_WEBHOOK_URL        secret_text
//   CLOUDFLARE_WEBHOOK_SECRETS, VERCEL_WEBHOOK_SECRETS, SENTRY_WEBHOOK_TOKENS
//                            secret_text, each a keyring: a JSON list of
//                            {"secret": "...", "notAfter": null | "<RFC 3339>"} (a plain string
//                            counts as an entry without notAfter). The stack rotates these
//                            secrets on its schedule (providers/keyring): the current one has no
//                            notAfter, the one it replaced stays valid until its notAfter (the
//                            grace), so a sender the same `up` has not updated yet is not refused.
//   ENVIRONMENT              plain_text, e.g. "production": the label on every message
//   PROJECTS                 plain_text, a JSON list of the Pages and Vercel project
//                            names this stack owns. Cloudflare's Pages alerts and Vercel's
//                            alert webhooks are account-wide, and both stacks share the
//                            accounts, so an event that names another project is dropped.
//
// Answers: 200 posted, 202 accepted but not posted (not this stack's project),
// 400 not JSON, 401 not from the sender, 404/405 wrong route, 413 too large,
// 500 a binding is missing (named, never shown), 502 Slack refused (the sender retries).
// No secret and no webhook URL ever appears in an answer or a log line.

const MAX_BODY_BYTES = 256 * 1024;
// Slack shows at most 40,000 characters; one alert never needs more than this.
const MAX_FIELD_CHARS = 1500;

export default {
  async fetch(request, env) {
    return handle(request, env);
  },
};

/**
 * Handles one request. `post` sends a Slack payload and returns the HTTP status;
 * tests pass their own, the Worker uses fetch. `now` (ms since the epoch) judges
 * the keyrings' notAfter; tests pass their own.
 */
export async function handle(request, env, post = postToSlack, now = Date.now()) {
  const url = new URL(request.url);
  const route = routeOf(url.pathname);
  if (route === null) {
    return answer(404, "no such route");
  }
  if (route.name === "health") {
    return request.method === "GET" ? answer(200, "ok") : answer(405, "use GET", { allow: "GET" });
  }
  if (request.method !== "POST") {
    return answer(405, "use POST", { allow: "POST" });
  }

  const missing = missingBindings(env, route.name);
  if (missing.length > 0) {
    // Names only: the operator fixes the stack, the sender retries later.
    return answer(500, `relay misconfigured: binding ${missing.join(", ")} missing`);
  }

  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return answer(413, "body too large");
  }
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.byteLength > MAX_BODY_BYTES) {
    return answer(413, "body too large");
  }

  if (!(await isAuthentic(route, request.headers, body, env, now))) {
    return answer(401, "not authenticated");
  }

  let event;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return answer(400, "body is not JSON");
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    return answer(400, "body is not a JSON object");
  }

  const message = FORMATTERS[route.name](event);
  const projects = ownProjects(env);
  if (message.project && projects !== null && !projects.has(message.project)) {
    return answer(202, "not a project of this stack; not posted");
  }

  const label = typeof env.ENVIRONMENT === "string" && env.ENVIRONMENT ? env.ENVIRONMENT : "unknown environment";
  const text = `*[${escapeSlack(label)}]* ${message.text}`;
  let status;
  try {
    status = await post(env.SLACK_WEBHOOK_URL, { text });
  } catch {
    status = 0;
  }
  if (status < 200 || status >= 300) {
    return answer(502, `slack did not take the message (status ${status})`);
  }
  return answer(200, "posted");
}

function routeOf(pathname) {
  if (pathname === "/health") return { name: "health" };
  if (pathname === "/cloudflare") return { name: "cloudflare" };
  if (pathname === "/vercel") return { name: "vercel" };
  const sentry = /^\/sentry\/([^/]+)$/.exec(pathname);
  if (sentry) {
    let token = "";
    try {
      token = decodeURIComponent(sentry[1]);
    } catch {
      // A malformed escape is simply a wrong token.
    }
    return { name: "sentry", token };
  }
  return null;
}

const REQUIRED_BINDINGS = {
  cloudflare: ["SLACK_WEBHOOK_URL", "CLOUDFLARE_WEBHOOK_SECRETS"],
  vercel: ["SLACK_WEBHOOK_URL", "VERCEL_WEBHOOK_SECRETS"],
  sentry: ["SLACK_WEBHOOK_URL", "SENTRY_WEBHOOK_TOKENS"],
};

function missingBindings(env, routeName) {
  return REQUIRED_BINDINGS[routeName].filter((name) => typeof env[name] !== "string" || env[name] === "");
}

async function isAuthentic(route, headers, body, env, now) {
  if (route.name === "cloudflare") {
    const given = headers.get("cf-webhook-auth");
    return given !== null && (await matchesAny(validSecrets(env.CLOUDFLARE_WEBHOOK_SECRETS, now), (secret) =>
      timingSafeEqual(given, secret)));
  }
  if (route.name === "sentry") {
    return matchesAny(validSecrets(env.SENTRY_WEBHOOK_TOKENS, now), (token) => timingSafeEqual(route.token, token));
  }
  const signature = headers.get("x-vercel-signature");
  if (signature === null) return false;
  return matchesAny(validSecrets(env.VERCEL_WEBHOOK_SECRETS, now), async (secret) =>
    timingSafeEqual(signature.toLowerCase(), await hmacSha1Hex(secret, body)));
}

/**
 * The secrets of a keyring binding still valid at `now`: entries without notAfter, or
 * whose notAfter is later. A binding that is not a JSON list yields none (refuse all).
 */
export function validSecrets(binding, now) {
  let entries;
  try {
    entries = JSON.parse(binding);
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const valid = [];
  for (const entry of entries) {
    if (typeof entry === "string") {
      if (entry !== "") valid.push(entry);
      continue;
    }
    if (entry === null || typeof entry !== "object" || typeof entry.secret !== "string" || entry.secret === "") continue;
    if (entry.notAfter === null || entry.notAfter === undefined) {
      valid.push(entry.secret);
      continue;
    }
    const limit = typeof entry.notAfter === "string" ? Date.parse(entry.notAfter) : Number.NaN;
    // An unreadable notAfter counts as expired: a mistake refuses rather than accepts forever.
    if (Number.isFinite(limit) && now < limit) valid.push(entry.secret);
  }
  return valid;
}

/** Whether `matches` holds for any secret; every secret is tried, so the time does not tell which. */
async function matchesAny(secrets, matches) {
  let matched = false;
  for (const secret of secrets) {
    if (await matches(secret)) matched = true;
  }
  return matched;
}

/** HMAC-SHA1 of `body` under `secret`, lowercase hex: Vercel's `x-vercel-signature`. */
export async function hmacSha1Hex(secret, body) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, body));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares two strings in time that depends on neither their content nor their
 * lengths: both are hashed first, so only fixed-length digests are compared.
 */
export async function timingSafeEqual(given, expected) {
  if (typeof given !== "string" || typeof expected !== "string") return false;
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const left = new Uint8Array(a);
  const right = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < left.length; i += 1) difference |= left[i] ^ right[i];
  return difference === 0;
}

function ownProjects(env) {
  if (typeof env.PROJECTS !== "string" || env.PROJECTS === "") return null;
  try {
    const list = JSON.parse(env.PROJECTS);
    return Array.isArray(list) ? new Set(list.filter((item) => typeof item === "string")) : null;
  } catch {
    return null;
  }
}

async function postToSlack(webhookUrl, payload) {
  const response = await fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  return response.status;
}

function answer(status, text, headers = {}) {
  return new Response(`${text}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

// ---------------------------------------------------------------------------
// Formatting: every formatter returns { text, project } where `project` is the
// Pages/Vercel project the event is about, when the payload names one.

const FORMATTERS = {
  cloudflare: formatCloudflare,
  vercel: formatVercel,
  sentry: formatSentry,
};

/** Slack mrkdwn treats &, < and > as markup; everything from a payload is escaped. */
export function escapeSlack(value) {
  const text = String(value ?? "");
  const short = text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
  return short.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function link(url, label) {
  if (typeof url !== "string" || !/^https:\/\/[^\s<>|]+$/.test(url)) return "";
  return ` <${url}|${escapeSlack(label)}>`;
}

function text(value) {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Cloudflare notifications: https://developers.cloudflare.com/notifications/reference/webhook-payload-schema/ */
export function formatCloudflare(event) {
  const data = event.data && typeof event.data === "object" ? event.data : {};
  const policy = text(event.policy_name) ?? text(event.name) ?? "Cloudflare notification";
  const project =
    event.alert_type === "pages_event_alert" ? text(data.project_name) ?? text(data.project) : null;
  const lines = [`:rotating_light: Cloudflare · ${escapeSlack(policy)}`];
  const detail = text(event.text);
  if (detail) lines.push(escapeSlack(detail));
  const facts = [];
  if (text(event.alert_type)) facts.push(`type \`${escapeSlack(event.alert_type)}\``);
  if (project) facts.push(`project \`${escapeSlack(project)}\``);
  if (text(event.alert_event)) facts.push(escapeSlack(event.alert_event));
  if (facts.length > 0) lines.push(facts.join(" · "));
  return { text: lines.join("\n"), project };
}

const VERCEL_TITLES = {
  "deployment.error": "deployment failed",
  "deployment.canceled": "deployment canceled",
  "project.removed": "project removed",
  "attack.detected": "attack detected",
  "alerts.triggered": "alert triggered",
};

/** Vercel account webhooks: https://vercel.com/docs/webhooks/webhooks-api */
export function formatVercel(event) {
  const payload = event.payload && typeof event.payload === "object" ? event.payload : {};
  const deployment = payload.deployment && typeof payload.deployment === "object" ? payload.deployment : {};
  const projectObject = payload.project && typeof payload.project === "object" ? payload.project : {};
  const alert = payload.alert && typeof payload.alert === "object" ? payload.alert : {};
  const project =
    text(projectObject.name) ?? text(payload.projectName) ?? text(deployment.name) ?? text(payload.name);
  const type = text(event.type) ?? "event";
  const title = VERCEL_TITLES[type] ?? type;
  const lines = [`:rotating_light: Vercel · ${escapeSlack(title)}${project ? ` · \`${escapeSlack(project)}\`` : ""}`];
  const summary = text(alert.title) ?? text(payload.title) ?? text(alert.description) ?? text(payload.message);
  if (summary) lines.push(escapeSlack(summary));
  const facts = [];
  if (text(payload.target)) facts.push(`target ${escapeSlack(payload.target)}`);
  const meta = deployment.meta && typeof deployment.meta === "object" ? deployment.meta : {};
  if (text(meta.githubCommitRef)) facts.push(`branch ${escapeSlack(meta.githubCommitRef)}`);
  if (text(meta.githubCommitMessage)) facts.push(`“${escapeSlack(meta.githubCommitMessage.split("\n")[0])}”`);
  if (facts.length > 0) lines.push(facts.join(" · "));
  const links = payload.links && typeof payload.links === "object" ? payload.links : {};
  const target = text(links.deployment) ?? text(alert.url) ?? text(links.project);
  const linked = link(target, "Open in Vercel");
  if (linked) lines.push(linked.trim());
  return { text: lines.join("\n"), project };
}

/** Sentry's WebHooks plugin (legacy integration): one issue per request. */
export function formatSentry(event) {
  const project = text(event.project_name) ?? text(event.project) ?? "Sentry project";
  const level = text(event.level) ?? "error";
  const lines = [`:rotating_light: Sentry · ${escapeSlack(level)} · \`${escapeSlack(project)}\``];
  const summary = text(event.message) ?? text(event.culprit);
  if (summary) lines.push(escapeSlack(summary));
  const rules = Array.isArray(event.triggering_rules) ? event.triggering_rules.filter((rule) => text(rule)) : [];
  if (rules.length > 0) lines.push(`rule: ${rules.map(escapeSlack).join(", ")}`);
  const linked = link(event.url, "Open in Sentry");
  if (linked) lines.push(linked.trim());
  // Sentry projects are per stack already; no project filter applies.
  return { text: lines.join("\n"), project: null };
}
