// Calls to the service, same origin (the console is served behind the same HTTP API).
// Every failure becomes an `ApiError` with words for people: the API's own bilingual message,
// or ours when the network or the server failed without one.

import { t, pick } from './i18n.js';

const TOKEN_KEY = 'gp.console.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.code ?? `http_${status}`);
    this.status = status;
    this.code = body?.code ?? (status === 0 ? 'network' : 'unknown');
    this.body = body ?? {};
  }

  /** What to show: the API's message in the current language, else ours. */
  get words() {
    if (this.code === 'network') return t('error_network');
    return pick(this.body, 'message') || t('error_unknown');
  }
}

/** The signed-in staff member, read from the token's claims (the server checks the signature). */
export function session() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const claims = token && decodeClaims(token);
  if (!claims || claims.exp * 1000 <= Date.now()) return null;
  return { token, subject: claims.sub, role: claims.role };
}

export function decodeClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

export function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * `method path` with an optional JSON or text body; resolves to the parsed JSON answer.
 * `keepalive` lets a request outlive the page (releasing a claim on leave).
 */
export async function call(method, path, { json, text, contentType, keepalive } = {}) {
  const headers = {};
  const current = session();
  if (current) headers.authorization = `Bearer ${current.token}`;
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (text !== undefined) {
    headers['content-type'] = contentType ?? 'text/plain; charset=utf-8';
    body = text;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, keepalive });
  } catch {
    throw new ApiError(0, null);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}
