// Pages to come (issue 10): Administration and Ledelse. Says so rather than showing nothing.
import {h, alert} from '../dom.js';

export function laterPage(ctx, title) {
  return h('div', {},
    h('h1', {}, title),
    alert('info', 'Kommer snart',
      `Siden ${title} er endnu ikke lavet i opgavelisten. Indtil da findes det samme i API'et under /v1.`));
}
