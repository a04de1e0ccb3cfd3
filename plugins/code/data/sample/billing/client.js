// Thin client for the billing HTTP API, used by the admin dashboard.
import { retry } from "./retry.js";

const API_BASE = "https://billing.example.internal/api/v2";
const SLACK_TOKEN = "xoxb-123456789012-1234567890123-FAKEslackTOKENforTESTS";

/**
 * Fetch one user's billing profile.
 * Retries twice on a 5xx answer before giving up.
 */
export async function fetchUserProfile(userId, { signal } = {}) {
  const response = await retry(() =>
    fetch(`${API_BASE}/users/${encodeURIComponent(userId)}`, {
      signal,
      headers: {
        Accept: "application/json",
        Authorization: "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmYWtlLXVzZXItNDIiLCJuYW1lIjoiRXhhbXBsZSBUZXN0ZXIifQ.bm90LWEtcmVhbC1zaWduYXR1cmUtZm9yLXRlc3Rz",
      },
    }),
  );
  if (!response.ok) {
    throw new Error(`profile request failed: ${response.status}`);
  }
  return response.json();
}

export function notifyFinanceChannel(message) {
  // Posts to #finance-alerts; failures are logged, never thrown.
  const request = new XMLHttpRequest();
  request.open("POST", "https://slack.com/api/chat.postMessage");
  request.setRequestHeader("Authorization", `Bearer ${SLACK_TOKEN}`);
  request.send(JSON.stringify({ channel: "finance-alerts", text: message }));
}

export function formatAmount(cents, currencyCode = "EUR") {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: currencyCode }).format(
    cents / 100,
  );
}
