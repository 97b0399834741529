import type { Results } from './tally.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function votesText(votes: number): string {
  return `${votes} ${votes === 1 ? 'vote' : 'votes'}`;
}

export function statusText(results: Results): string {
  if (!results.stale) return 'Live';
  if (results.updatedAt === null) return 'Waiting for the database…';
  return `Database unavailable: showing the counts of ${results.updatedAt}`;
}

/**
 * The results page. It is complete without JavaScript (the counts at the time of the request);
 * the script then follows `/events` and updates the numbers in place.
 */
export function resultsPage(results: Results): string {
  const { a, b } = results.options;
  const option = (key: 'a' | 'b', o: typeof a): string => `
    <section class="option option-${key}">
      <h2 id="label-${key}">${escapeHtml(o.label)}</h2>
      <p class="percent" id="percent-${key}">${o.percent}%</p>
      <p class="count" id="count-${key}">${votesText(o.votes)}</p>
    </section>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(a.label)} vs ${escapeHtml(b.label)}: results</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #222; text-align: center; }
    main { max-width: 48rem; margin: 3rem auto; padding: 0 1rem; }
    .options { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
    .option { background: #fff; border-radius: .75rem; padding: 1.5rem; }
    .percent { font-size: 3rem; margin: .5rem 0; font-weight: 600; }
    .bar { display: flex; height: 1rem; border-radius: .5rem; overflow: hidden; background: #ddd; margin: 1.5rem 0; }
    #bar-a { background: #0a6ebd; } #bar-b { background: #e07a10; }
    #status { color: #555; } #status.stale { color: #b00020; }
  </style>
</head>
<body>
<main>
  <h1>${escapeHtml(a.label)} vs ${escapeHtml(b.label)}</h1>
  <div class="options">${option('a', a)}${option('b', b)}
  </div>
  <div class="bar" aria-hidden="true"><div id="bar-a" style="width:${a.percent}%"></div><div id="bar-b" style="width:${b.percent}%"></div></div>
  <p id="total">${votesText(results.total)} in total</p>
  <p id="status" class="${results.stale ? 'stale' : ''}">${escapeHtml(statusText(results))}</p>
</main>
<script>
(() => {
  const text = (id, value) => { document.getElementById(id).textContent = value; };
  const votes = (n) => n + (n === 1 ? ' vote' : ' votes');
  const source = new EventSource('/events');
  source.addEventListener('results', (event) => {
    const r = JSON.parse(event.data);
    for (const key of ['a', 'b']) {
      const o = r.options[key];
      text('label-' + key, o.label);
      text('percent-' + key, o.percent + '%');
      text('count-' + key, votes(o.votes));
      document.getElementById('bar-' + key).style.width = o.percent + '%';
    }
    text('total', votes(r.total) + ' in total');
    const status = document.getElementById('status');
    status.textContent = !r.stale ? 'Live' : r.updatedAt === null ? 'Waiting for the database…'
      : 'Database unavailable: showing the counts of ' + r.updatedAt;
    status.className = r.stale ? 'stale' : '';
  });
  source.onerror = () => {
    const status = document.getElementById('status');
    status.textContent = 'Reconnecting…';
    status.className = 'stale';
  };
})();
</script>
</body>
</html>
`;
}
