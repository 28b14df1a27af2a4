// Sign up and log in.  A signup logs in at once; a new account goes on to
// the Account page to choose a plan.

import {api, explain, keepSession} from './api.js';
import {alertBox, announce, h, heading} from './dom.js';

// An email and password form; SUBMIT(email, password) does the work.
function credentialsForm(main, {title, button, newPassword, submit, footer}) {
  const problem = h('div', {id: 'auth-problem'});
  const email = h('input', {id: 'email', type: 'email', name: 'email', required: true,
                            autocomplete: 'username', 'aria-describedby': 'auth-problem'});
  const password = h('input', {id: 'password', type: 'password', name: 'password',
                               required: true, minlength: newPassword ? 10 : null,
                               maxlength: 128,
                               autocomplete: newPassword ? 'new-password' : 'current-password',
                               'aria-describedby': newPassword ? 'password-hint auth-problem' :
                                 'auth-problem'});
  const go = h('button', {type: 'submit', text: button});
  const form = h('form', {class: 'card narrow', novalidate: true},
    h('p', {class: 'field'}, h('label', {for: 'email', text: 'Email'}), email),
    h('p', {class: 'field'}, h('label', {for: 'password', text: 'Password'}), password,
      newPassword ? h('span', {id: 'password-hint', class: 'hint',
                               text: '10 to 128 characters, not your email.'}) : null),
    problem, h('p', {}, go), footer);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.replaceChildren();
    if (!form.reportValidity()) return;
    go.disabled = true;
    try {
      await submit(email.value.trim(), password.value);
    } catch (err) {
      problem.append(alertBox(explain(err)));
      password.focus();
    } finally {
      go.disabled = false;
    }
  });
  main.append(heading(title), form);
}

async function logIn(session, email, password) {
  keepSession(await api('POST', '/api/v1/login', {email, password}));
  announce('Logged in as ' + email + '.');
  await session.signedIn();
}

export function loginView(main, {session}) {
  credentialsForm(main, {
    title: 'Log in', button: 'Log in',
    submit: (email, password) => logIn(session, email, password),
    footer: h('p', {}, 'No account yet? ', h('a', {href: '#/signup', text: 'Sign up'})),
  });
}

export function signupView(main, {session}) {
  credentialsForm(main, {
    title: 'Sign up', button: 'Create account', newPassword: true,
    submit: async (email, password) => {
      await api('POST', '/api/v1/signup', {email, password});
      session.next = '#/account';
      await logIn(session, email, password);
    },
    footer: h('p', {}, 'Have an account? ', h('a', {href: '#/login', text: 'Log in'})),
  });
}
