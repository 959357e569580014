// REST client: JSON in, JSON out, errors as ApiError carrying the server's code and message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, { token, body, accept = "json" } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (exc) {
    throw new ApiError(0, "network", `cannot reach the server (${exc.message || exc})`);
  }
  if (!res.ok) {
    let code = "http_" + res.status;
    let message = `${method} ${path} failed with HTTP ${res.status}`;
    try {
      const err = await res.json();
      code = err.error || code;
      message = err.message || message;
    } catch {
      /* not JSON: keep the generic message */
    }
    throw new ApiError(res.status, code, message);
  }
  if (accept === "text") return res.text();
  if (res.status === 204) return null;
  return res.json();
}

export const getScenarios = () => api("GET", "/api/scenarios");
export const createDrill = (body) => api("POST", "/api/drills", { body });
export const createSolo = (body) => api("POST", "/api/solo", { body });
export const control = (id, token, body) => api("POST", `/api/drills/${enc(id)}/control`, { token, body });
export const joinDrill = (id, body) => api("POST", `/api/drills/${enc(id)}/join`, { body });
export const drillState = (id, token) => api("GET", `/api/drills/${enc(id)}`, { token });
export const rotateCodes = (id, token) => api("POST", `/api/drills/${enc(id)}/codes`, { token });
export const report = (id, kind, token) => api("GET", `/api/drills/${enc(id)}/${kind}`, { token });

/** The drill log as the token may see it, parsed from JSON lines. */
export async function drillLog(id, token) {
  const text = await api("GET", `/api/drills/${enc(id)}/log`, { token, accept: "text" });
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

const enc = encodeURIComponent;
