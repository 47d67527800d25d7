/** Why a task's URL cannot be called, or null when it can. */
function targetUrlProblem(url: URL): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `ERR_INVALID_URL unsupported protocol "${url.protocol}"`;
  return null;
}

/** Parses an absolute http(s) URL; returns the reason as an attempt error string when it is not one. */
export function parseTargetUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'ERR_INVALID_URL Invalid URL';
  }
  return targetUrlProblem(url) ?? url;
}
