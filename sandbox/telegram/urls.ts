/**
 * The URL checks Telegram applies to inline-button and text-link URLs: only http(s) and tg://
 * are links, and an http(s) host must be a public name. `localhost`, loopback and unspecified
 * addresses, and single-label host names (no dot, so no TLD) are refused; the real server says
 * `inline keyboard button URL '…' is invalid: Wrong HTTP URL` for a button.
 */
export function isRejectedHttpUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return true;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (!host) return true;
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '::' || host === '0.0.0.0' || /^127\./.test(host)) return true;
  if (!host.includes('.') && !host.includes(':')) return true;
  return false;
}

/** Checks a button URL; returns the reason Telegram gives, or undefined when it is accepted. */
export function buttonUrlProblem(raw: string): string | undefined {
  const text = raw.trim();
  if (!text) return 'Wrong HTTP URL';
  if (/^tg:\/\/\S+$/i.test(text)) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return 'Wrong HTTP URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Unsupported URL protocol';
  if (isRejectedHttpUrl(withScheme)) return 'Wrong HTTP URL';
  return undefined;
}
