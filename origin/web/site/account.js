// The account: who is signed in, the subscription, and the plans to choose
// from (there is no payment step: choosing a plan activates it).

import {api, explain} from './api.js';
import {alertBox, announce, h, heading, when} from './dom.js';

function planText(p) {
  const dl = p.downloads ?
    `downloads on ${p.max_devices} device${p.max_devices === 1 ? '' : 's'}` : 'no downloads';
  return `${p.max_streams} stream${p.max_streams === 1 ? '' : 's'} at once, ` +
    `up to ${p.max_height}p, ${dl}`;
}

function subscriptionText(sub) {
  if (!sub) return 'No plan yet: choose one below to watch.';
  if (!sub.active) return `Your ${sub.plan} plan ended on ${when(sub.period_end)}.`;
  return sub.cancel_at_period_end ?
    `Plan ${sub.plan}, cancelled: active until ${when(sub.period_end)}.` :
    `Plan ${sub.plan}, renews on ${when(sub.period_end)}.`;
}

export async function accountView(main, ctx) {
  const [me, plans] = await Promise.all([api('GET', '/api/v1/me'),
                                         api('GET', '/api/v1/plans')]);
  const sub = me.subscription;
  const problem = h('div');
  const choices = plans.plans.map((p, i) => h('p', {class: 'choice'},
    h('input', {type: 'radio', name: 'plan', id: 'plan-' + p.name, value: p.name,
                checked: sub && sub.active ? sub.plan === p.name : i === 0}),
    h('label', {for: 'plan-' + p.name},
      h('strong', {text: p.title || p.name}), h('span', {class: 'hint', text: planText(p)}))));
  const form = h('form', {class: 'card'},
    h('fieldset', {}, h('legend', {text: 'Plans'}), choices),
    problem,
    h('p', {}, h('button', {type: 'submit', text: sub && sub.active ? 'Change plan' :
                                                    'Choose this plan'})));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const picked = form.querySelector('input[name=plan]:checked');
    problem.replaceChildren();
    try {
      const s = await api('PUT', '/api/v1/subscription', {plan: picked.value});
      announce(subscriptionText(s));
      location.hash = '#/';
    } catch (err) {
      problem.append(alertBox(explain(err)));
    }
  });
  const cancel = sub && sub.active && !sub.cancel_at_period_end ?
    h('button', {type: 'button', class: 'secondary', text: 'Cancel plan', onclick: async () => {
      try {
        await api('DELETE', '/api/v1/subscription');
        announce('Plan cancelled at the end of the period.');
        location.reload();
      } catch (err) {
        problem.append(alertBox(explain(err)));
      }
    }}) : null;
  main.append(h('div', {}, heading('Account'),
    h('p', {}, 'Signed in as ', h('strong', {text: me.email}), '.'),
    h('p', {id: 'subscription', text: subscriptionText(sub)}), cancel,
    h('p', {}, h('a', {href: '#/history', text: 'Watch history'}),
      ': what you watched; remove an entry or download it all.'),
    plans.plans.length ? form : h('p', {text: 'No plans are offered yet.'})));
}
