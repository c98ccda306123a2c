// Small formatting helpers shared by the views.
export const clock = (t: number) => {
  const d = new Date(t);
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

export const age = (ms: number | undefined) => (ms === undefined ? '–' : ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

export const bits = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} Mb` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kb` : `${n} b`);

/** A hash route with its parts encoded (actor ids contain "/"). */
export const route = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;

export const shortId = (id: string) => id.split('/').slice(1).join('/') || id;
